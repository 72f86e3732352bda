"""Countries the shop sells to: regions, cities, postal-code and phone formats, tax and shipping.

Postal codes and phone numbers are patterns: ``#`` is a random digit, ``@`` a random capital
letter. Taxes are the sales tax / VAT rate of the region (or the country when the region has no
rate of its own). Prices are in USD for every country (the shop's single currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ecommerce_pipeline.contract import PAYMENT_METHODS

CURRENCY = "USD"


@dataclass(frozen=True)
class City:
    name: str
    postal_pattern: str
    weight: float  # relative share of the country's customers


@dataclass(frozen=True)
class Region:
    name: str
    cities: tuple[City, ...]
    tax_rate: float | None = None  # None: the country's rate


@dataclass(frozen=True)
class Country:
    code: str
    share: float  # share of the customers
    language: str  # key of the name lists in :mod:`people`
    phone_pattern: str
    tax_rate: float
    shipping_fee_cents: int
    free_shipping_from_cents: int
    transit_days: tuple[float, float]  # mean and standard deviation of the carrier's transit
    regions: tuple[Region, ...]
    payment_tilt: tuple[tuple[str, float], ...] = ()  # payment method -> multiplier of its share


def _region(
    name: str, cities: tuple[tuple[str, str, float], ...], tax: float | None = None
) -> Region:
    return Region(name, tuple(City(*city) for city in cities), tax)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US", 0.35, "en", "+1 ###-###-####", 0.0, 599, 5_000, (3.0, 1.0),
        (
            _region("California", (("Los Angeles", "900##", 4), ("San Francisco", "941##", 2),
                                   ("San Diego", "921##", 1.5)), 0.0725),
            _region("New York", (("New York", "100##", 5), ("Buffalo", "142##", 0.6)), 0.08),
            _region("Texas", (("Houston", "770##", 2.5), ("Dallas", "752##", 2),
                              ("Austin", "787##", 1.2)), 0.0625),
            _region("Florida", (("Miami", "331##", 1.6), ("Orlando", "328##", 1)), 0.06),
            _region("Illinois", (("Chicago", "606##", 2.8),), 0.0625),
            _region("Washington", (("Seattle", "981##", 1.5),), 0.065),
            _region("Massachusetts", (("Boston", "021##", 1.4),), 0.0625),
            _region("Georgia", (("Atlanta", "303##", 1.3),), 0.04),
            _region("Pennsylvania", (("Philadelphia", "191##", 1.6),), 0.06),
            _region("Colorado", (("Denver", "802##", 1.1),), 0.029),
        ),
    ),
    Country(
        "GB", 0.14, "en", "+44 7### ######", 0.20, 999, 10_000, (6.0, 1.5),
        (
            _region("England", (("London", "SW# #@@", 6), ("Manchester", "M# #@@", 2),
                                ("Birmingham", "B# #@@", 2), ("Leeds", "LS# #@@", 1.2),
                                ("Bristol", "BS# #@@", 1))),
            _region("Scotland", (("Glasgow", "G# #@@", 1.2), ("Edinburgh", "EH# #@@", 1))),
            _region("Wales", (("Cardiff", "CF1# #@@", 0.8),)),
            _region("Northern Ireland", (("Belfast", "BT# #@@", 0.6),)),
        ),
        (("debit_card", 1.8), ("cash_on_delivery", 0.2)),
    ),
    Country(
        "DE", 0.12, "de", "+49 1## #######", 0.19, 999, 10_000, (6.0, 1.5),
        (
            _region("Bayern", (("München", "80###", 3), ("Nürnberg", "90###", 1.2))),
            _region("Berlin", (("Berlin", "10###", 4),)),
            _region("Hamburg", (("Hamburg", "20###", 2.2),)),
            _region("Nordrhein-Westfalen", (("Köln", "50###", 2), ("Düsseldorf", "40###", 1.3))),
            _region("Hessen", (("Frankfurt am Main", "60###", 1.6),)),
            _region("Baden-Württemberg", (("Stuttgart", "70###", 1.4),)),
        ),
        (("paypal", 1.8), ("bank_transfer", 3.0), ("credit_card", 0.5)),
    ),
    Country(
        "FR", 0.09, "fr", "+33 6 ## ## ## ##", 0.20, 999, 10_000, (6.0, 1.5),
        (
            _region("Île-de-France", (("Paris", "750##", 5),)),
            _region("Auvergne-Rhône-Alpes", (("Lyon", "6900#", 1.8),)),
            _region("Provence-Alpes-Côte d'Azur", (("Marseille", "130##", 1.6),
                                                  ("Nice", "060##", 1))),
            _region("Occitanie", (("Toulouse", "310##", 1.3),)),
            _region("Nouvelle-Aquitaine", (("Bordeaux", "330##", 1.1),)),
            _region("Hauts-de-France", (("Lille", "590##", 1),)),
        ),
        (("credit_card", 1.3),),
    ),
    Country(
        "CA", 0.07, "en", "+1 ###-###-####", 0.13, 999, 7_500, (5.0, 1.5),
        (
            _region("Ontario", (("Toronto", "M#@ #@#", 5), ("Ottawa", "K#@ #@#", 1.5)), 0.13),
            _region("Quebec", (("Montréal", "H#@ #@#", 3),), 0.14975),
            _region("British Columbia", (("Vancouver", "V#@ #@#", 2.2),), 0.12),
            _region("Alberta", (("Calgary", "T#@ #@#", 1.4), ("Edmonton", "T#@ #@#", 1.2)), 0.05),
        ),
    ),
    Country(
        "AU", 0.06, "en", "+61 4## ### ###", 0.10, 1_299, 12_000, (9.0, 2.0),
        (
            _region("New South Wales", (("Sydney", "20##", 5),)),
            _region("Victoria", (("Melbourne", "30##", 4.5),)),
            _region("Queensland", (("Brisbane", "40##", 2.3),)),
            _region("Western Australia", (("Perth", "60##", 2),)),
            _region("South Australia", (("Adelaide", "50##", 1.3),)),
        ),
        (("apple_pay", 1.4),),
    ),
    Country(
        "NL", 0.05, "nl", "+31 6 ########", 0.21, 999, 10_000, (6.0, 1.5),
        (
            _region("Noord-Holland", (("Amsterdam", "10## @@", 3), ("Haarlem", "20## @@", 0.6))),
            _region("Zuid-Holland", (("Rotterdam", "30## @@", 2), ("Den Haag", "25## @@", 1.5))),
            _region("Utrecht", (("Utrecht", "35## @@", 1.2),)),
            _region("Noord-Brabant", (("Eindhoven", "56## @@", 0.8),)),
        ),
        (("bank_transfer", 5.0), ("credit_card", 0.5)),
    ),
    Country(
        "ES", 0.05, "es", "+34 6## ### ###", 0.21, 999, 10_000, (7.0, 2.0),
        (
            _region("Comunidad de Madrid", (("Madrid", "280##", 3),)),
            _region("Cataluña", (("Barcelona", "080##", 2.5),)),
            _region("Comunidad Valenciana", (("Valencia", "460##", 1.2),)),
            _region("Andalucía", (("Sevilla", "410##", 1), ("Málaga", "290##", 0.8))),
        ),
        (("cash_on_delivery", 2.5),),
    ),
    Country(
        "IT", 0.04, "it", "+39 3## ### ####", 0.22, 999, 10_000, (7.0, 2.0),
        (
            _region("Lombardia", (("Milano", "201##", 2.5),)),
            _region("Lazio", (("Roma", "001##", 2.8),)),
            _region("Campania", (("Napoli", "801##", 1.5),)),
            _region("Piemonte", (("Torino", "101##", 1.2),)),
            _region("Toscana", (("Firenze", "501##", 0.8),)),
        ),
        (("cash_on_delivery", 3.0), ("paypal", 1.4)),
    ),
    Country(
        "BR", 0.03, "pt", "+55 ## 9####-####", 0.17, 1_999, 15_000, (12.0, 3.0),
        (
            _region("São Paulo", (("São Paulo", "0####-###", 5), ("Campinas", "13###-###", 1))),
            _region("Rio de Janeiro", (("Rio de Janeiro", "2####-###", 3),)),
            _region("Minas Gerais", (("Belo Horizonte", "30###-###", 1.5),)),
            _region("Bahia", (("Salvador", "40###-###", 1),)),
            _region("Paraná", (("Curitiba", "8####-###", 1),)),
        ),
        (("bank_transfer", 2.5), ("cash_on_delivery", 3.0), ("apple_pay", 0.4)),
    ),
)  # fmt: skip

#: Shop-wide payment shares (each country tilts them, see :attr:`Country.payment_tilt`).
PAYMENT_SHARES: dict[str, float] = {
    "credit_card": 0.34,
    "debit_card": 0.14,
    "paypal": 0.18,
    "apple_pay": 0.10,
    "google_pay": 0.06,
    "bank_transfer": 0.05,
    "gift_card": 0.03,
    "cash_on_delivery": 0.02,
}
if set(PAYMENT_SHARES) != set(PAYMENT_METHODS):  # pragma: no cover - guards a contract change
    raise RuntimeError(
        "geography.PAYMENT_SHARES must give a share to every contract payment method"
    )


class Geography:
    """Flat numpy views of :data:`COUNTRIES`: one row per city, region and country."""

    def __init__(self, countries: tuple[Country, ...] = COUNTRIES) -> None:
        self.countries = countries
        cities = [
            (country_index, region, city)
            for country_index, country in enumerate(countries)
            for region in country.regions
            for city in region.cities
        ]
        self.city_names = [city.name for _, _, city in cities]
        self.city_patterns = [city.postal_pattern for _, _, city in cities]
        self.region_names = sorted({region.name for _, region, _ in cities})
        region_index = {name: index for index, name in enumerate(self.region_names)}
        self.city_country = np.array([country for country, _, _ in cities], dtype=np.int16)
        self.city_region = np.array(
            [region_index[region.name] for _, region, _ in cities], np.int16
        )
        self.city_tax_rate = np.array(
            [
                region.tax_rate if region.tax_rate is not None else countries[country].tax_rate
                for country, region, _ in cities
            ]
        )
        self._city_weight = np.array([city.weight for _, _, city in cities], dtype=float)

    @cached_property
    def country_codes(self) -> list[str]:
        return [country.code for country in self.countries]

    @cached_property
    def country_shares(self) -> np.ndarray:
        shares = np.array([country.share for country in self.countries])
        return shares / shares.sum()

    def city_probabilities(self, country: int) -> np.ndarray:
        """Probability of each city (all cities) for a customer of ``country``."""
        weights = np.where(self.city_country == country, self._city_weight, 0.0)
        return weights / weights.sum()

    def sample_cities(self, rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
        """A city (index) per customer, within the customer's country."""
        cities = np.empty(len(countries), dtype=np.int16)
        for country in range(len(self.countries)):
            members = np.flatnonzero(countries == country)
            if len(members):
                probabilities = self.city_probabilities(country)
                cities[members] = rng.choice(len(probabilities), size=len(members), p=probabilities)
        return cities

    @cached_property
    def payment_probabilities(self) -> np.ndarray:
        """``(countries, payment methods)`` probabilities, methods in contract order."""
        base = np.array([PAYMENT_SHARES[method] for method in PAYMENT_METHODS])
        rows = []
        for country in self.countries:
            tilt = dict(country.payment_tilt)
            row = base * np.array([tilt.get(method, 1.0) for method in PAYMENT_METHODS])
            rows.append(row / row.sum())
        return np.array(rows)

    @cached_property
    def shipping_fee_cents(self) -> np.ndarray:
        return np.array([country.shipping_fee_cents for country in self.countries], dtype=np.int64)

    @cached_property
    def free_shipping_from_cents(self) -> np.ndarray:
        return np.array([c.free_shipping_from_cents for c in self.countries], dtype=np.int64)

    @cached_property
    def transit_days(self) -> np.ndarray:
        """``(countries, 2)``: mean and standard deviation of the carrier transit in days."""
        return np.array([country.transit_days for country in self.countries])

    def postal_codes(self, rng: np.random.Generator, cities: np.ndarray) -> np.ndarray:
        """A postal code per address (numpy bytes ``S`` array) in its city's format."""
        patterns = [self.city_patterns[city] for city in range(len(self.city_patterns))]
        return _fill_patterns(rng, patterns, cities)

    def phone_numbers(self, rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
        """A phone number per person (numpy bytes ``S`` array) in the country's format."""
        patterns = [country.phone_pattern for country in self.countries]
        return _fill_patterns(rng, patterns, countries)


def _fill_patterns(rng: np.random.Generator, patterns: list[str], which: np.ndarray) -> np.ndarray:
    """Per row, ``patterns[which[row]]`` filled in (bytes array wide enough for all)."""
    width = max(len(pattern) for pattern in patterns)
    result = np.zeros(len(which), dtype=f"S{width}")
    for index in np.unique(which):
        members = np.flatnonzero(which == index)
        result[members] = fill_pattern(rng, patterns[int(index)], len(members))
    return result


def fill_pattern(rng: np.random.Generator, pattern: str, count: int) -> np.ndarray:
    """``count`` strings of ``pattern`` with each ``#`` a random digit, each ``@`` a letter."""
    template = np.frombuffer(pattern.encode("ascii"), dtype=np.uint8)
    matrix = np.tile(template, (count, 1))
    digits = template == ord("#")
    letters = template == ord("@")
    matrix[:, digits] = rng.integers(0, 10, size=(count, int(digits.sum()))) + ord("0")
    matrix[:, letters] = rng.integers(0, 26, size=(count, int(letters.sum()))) + ord("A")
    return matrix.view(f"S{len(template)}").ravel()
