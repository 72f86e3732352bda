"""The product catalog: categories with subcategories and brands, prices, costs and their changes.

Prices depend on the subcategory (lognormal around its median, ``.99`` endings), costs on the
category's margin range. Popularity is long-tailed (Zipf over a random rank) and seasonal per
category; complement subcategories (phone -> case, camera -> memory card ...) give the
cross-sell pairs. Most products are listed before the first day, some are launched during the
period, a few are discontinued; prices and costs change a few times.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecommerce_pipeline.generate import columns
from ecommerce_pipeline.generate.grouping import cumsum_by_group
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, SECONDS_PER_HOUR, Horizon
from ecommerce_pipeline.generate.timeline import Timeline

#: Popularity ~ 1 / rank ** ZIPF_EXPONENT.
ZIPF_EXPONENT = 1.0
#: ... times (price / median price) ** -PRICE_ELASTICITY: a laptop sells less often than a case.
PRICE_ELASTICITY = 0.5
EXISTING_SHARE = 0.85  # listed before the first day
DISCONTINUED_SHARE = 0.04
PRICE_CHANGES_PER_PRODUCT = 1.3  # per 730 days
COST_ONLY_CHANGE_SHARE = 0.3
COMPLEMENT_PROBABILITY = 0.35  # a line with a complement is followed by it this often

RETURN_REASONS: tuple[str, ...] = (
    "wrong_size",
    "damaged_in_transit",
    "defective",
    "not_as_described",
    "changed_mind",
    "arrived_late",
    "better_price_elsewhere",
)
ADJECTIVES: tuple[str, ...] = (
    "Classic", "Pro", "Essential", "Premium", "Ultra", "Eco", "Smart", "Compact", "Deluxe",
    "Everyday", "Signature", "Urban", "Active", "Lite", "Max", "Studio", "Travel", "Original",
)  # fmt: skip


@dataclass(frozen=True)
class Subcategory:
    name: str
    noun: str  # used in product names
    median_price: float  # USD
    sku_share: float  # relative share of the category's products
    complements: tuple[str, ...] = ()  # subcategories often bought with this one


@dataclass(frozen=True)
class Category:
    name: str
    code: str  # SKU prefix
    share: float  # share of the products
    subcategories: tuple[Subcategory, ...]
    brands: tuple[str, ...]
    cost_ratio: tuple[float, float]  # unit cost / list price range
    return_rate: float  # share of delivered lines returned
    return_reasons: tuple[float, ...]  # weights over RETURN_REASONS
    quantity_weights: tuple[float, ...]  # P(quantity = 1, 2, 3, 4, 5, 6)
    month_factors: tuple[float, ...] = (1.0,) * 12


_S = Subcategory
CATEGORIES: tuple[Category, ...] = (
    Category(
        "Electronics", "ELE", 0.20,
        (
            _S("Smartphones", "Smartphone", 520, 1.0, ("Phone Cases", "Chargers")),
            _S("Laptops", "Laptop", 950, 0.8, ("Laptop Bags",)),
            _S("Headphones", "Headphones", 110, 1.2),
            _S("Cameras", "Camera", 600, 0.6, ("Memory Cards",)),
            _S("Memory Cards", "Memory Card", 24, 0.7),
            _S("Phone Cases", "Phone Case", 19, 1.4),
            _S("Chargers", "Charger", 29, 1.0),
            _S("Laptop Bags", "Laptop Bag", 49, 0.6),
            _S("Printers", "Printer", 180, 0.4, ("Ink Cartridges",)),
            _S("Ink Cartridges", "Ink Cartridge", 32, 0.6),
        ),
        ("Voltix", "Nexora", "Auralis", "Pixelon", "Kinetra", "Zentro", "Lumio", "Quantra"),
        (0.70, 0.85), 0.09, (0.02, 0.14, 0.34, 0.2, 0.2, 0.04, 0.06),
        (0.92, 0.06, 0.01, 0.01, 0.0, 0.0),
        (0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 1.0, 1.05, 1.0, 1.0, 1.35, 1.3),
    ),
    Category(
        "Fashion", "FAS", 0.22,
        (
            _S("T-Shirts", "T-Shirt", 24, 1.4),
            _S("Jeans", "Jeans", 65, 1.0, ("T-Shirts",)),
            _S("Dresses", "Dress", 79, 1.0),
            _S("Sneakers", "Sneakers", 95, 1.0, ("Socks",)),
            _S("Socks", "Socks", 12, 0.8),
            _S("Jackets", "Jacket", 140, 0.7),
        ),
        ("Loomwell", "Northline", "Vireo", "Cotton & Co", "Bravo Street", "Maison Claire",
         "Urbano"),
        (0.30, 0.50), 0.22, (0.48, 0.05, 0.04, 0.16, 0.22, 0.02, 0.03),
        (0.72, 0.18, 0.06, 0.04, 0.0, 0.0),
        (0.9, 0.9, 1.1, 1.15, 1.05, 0.95, 0.9, 0.95, 1.1, 1.1, 1.0, 1.0),
    ),
    Category(
        "Home & Kitchen", "HOM", 0.16,
        (
            _S("Coffee Makers", "Coffee Maker", 110, 0.6, ("Coffee",)),
            _S("Cookware", "Pan Set", 75, 1.0, ("Cookbooks",)),
            _S("Bedding", "Duvet Cover", 89, 1.0),
            _S("Lamps", "Lamp", 59, 0.8),
            _S("Storage", "Storage Box", 29, 1.0),
        ),
        ("Hearthly", "Casa Nova", "Nordhem", "Kitchwise", "Oakroot", "Dwellio"),
        (0.45, 0.60), 0.06, (0.0, 0.3, 0.25, 0.2, 0.2, 0.02, 0.03),
        (0.78, 0.15, 0.05, 0.02, 0.0, 0.0),
        (1.15, 1.0, 1.0, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.0, 1.1, 1.15),
    ),
    Category(
        "Beauty", "BEA", 0.12,
        (
            _S("Skincare", "Face Cream", 34, 1.2),
            _S("Makeup", "Lipstick", 24, 1.2),
            _S("Fragrance", "Eau de Parfum", 72, 0.7),
            _S("Hair Care", "Shampoo", 16, 1.0, ("Skincare",)),
        ),
        ("Belle Rive", "Glowen", "Purea", "Velvetine", "Aurea"),
        (0.28, 0.45), 0.04, (0.0, 0.3, 0.2, 0.25, 0.2, 0.02, 0.03),
        (0.65, 0.22, 0.08, 0.03, 0.01, 0.01),
        (0.95, 1.15, 1.0, 0.95, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.15, 1.35),
    ),
    Category(
        "Sports & Outdoors", "SPO", 0.11,
        (
            _S("Yoga Mats", "Yoga Mat", 35, 0.8, ("Yoga Blocks",)),
            _S("Yoga Blocks", "Yoga Block", 15, 0.6),
            _S("Running Shoes", "Running Shoes", 120, 1.0, ("Socks",)),
            _S("Bikes", "Bike", 650, 0.5, ("Bike Helmets",)),
            _S("Bike Helmets", "Bike Helmet", 59, 0.6),
            _S("Camping", "Tent", 85, 0.8),
        ),
        ("Summitra", "Trailhawk", "Aerofit", "Ridgeway", "Pacefield"),
        (0.50, 0.65), 0.07, (0.3, 0.15, 0.15, 0.1, 0.25, 0.02, 0.03),
        (0.82, 0.13, 0.03, 0.02, 0.0, 0.0),
        (0.85, 1.0, 1.05, 1.15, 1.25, 1.3, 1.3, 1.2, 1.0, 0.9, 0.9, 0.95),
    ),
    Category(
        "Toys & Games", "TOY", 0.08,
        (
            _S("Board Games", "Board Game", 35, 1.0),
            _S("Puzzles", "Puzzle", 19, 0.8),
            _S("Building Sets", "Building Set", 59, 1.0),
            _S("Dolls", "Doll", 29, 0.7),
        ),
        ("Playvana", "Kidora", "Brickton", "Wonderloop"),
        (0.45, 0.60), 0.05, (0.0, 0.3, 0.3, 0.15, 0.2, 0.02, 0.03),
        (0.85, 0.13, 0.02, 0.0, 0.0, 0.0),
        (0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.85, 1.0, 1.6, 2.3),
    ),
    Category(
        "Books", "BOO", 0.07,
        (
            _S("Fiction", "Novel", 15, 1.2),
            _S("Non-Fiction", "Biography", 19, 1.0),
            _S("Children's Books", "Picture Book", 11, 0.8),
            _S("Cookbooks", "Cookbook", 26, 0.5, ("Cookware",)),
        ),
        ("Inkwell Press", "Harbor Books", "Paperlane", "Blue Owl"),
        (0.55, 0.70), 0.03, (0.0, 0.45, 0.15, 0.15, 0.2, 0.02, 0.03),
        (0.88, 0.09, 0.03, 0.0, 0.0, 0.0),
        (0.95, 0.9, 0.9, 0.9, 0.95, 1.0, 1.15, 1.15, 1.0, 0.95, 1.1, 1.35),
    ),
    Category(
        "Grocery", "GRO", 0.04,
        (
            _S("Coffee", "Coffee Beans", 14, 1.0),
            _S("Tea", "Tea", 9, 0.8),
            _S("Snacks", "Snack Box", 7, 1.0),
            _S("Pantry", "Olive Oil", 11, 1.0),
        ),
        ("Green Valley", "Roastery 9", "Pantrywise", "Sol Harvest"),
        (0.65, 0.80), 0.01, (0.0, 0.55, 0.1, 0.15, 0.1, 0.05, 0.05),
        (0.50, 0.25, 0.12, 0.07, 0.03, 0.03),
    ),
)  # fmt: skip


class Catalog:
    """The products of one run: static attributes, price/cost history, availability, popularity."""

    def __init__(self, count: int, horizon: Horizon, rng: np.random.Generator) -> None:
        self.horizon = horizon
        self.count = count
        self._draw_structure(rng)
        self._draw_listing(rng)
        self._draw_prices(rng)
        self._draw_popularity(rng)
        self._draw_complements(rng)

    # -- structure -----------------------------------------------------------------------------

    @cached_property
    def subcategory_table(self) -> list[tuple[int, Subcategory]]:
        return [(c, sub) for c, category in enumerate(CATEGORIES) for sub in category.subcategories]

    def _draw_structure(self, rng: np.random.Generator) -> None:
        shares = np.array([category.share for category in CATEGORIES])
        self.category = rng.choice(len(CATEGORIES), size=self.count, p=shares / shares.sum())
        self.subcategory = np.empty(self.count, dtype=np.int32)
        self.brand = np.empty(self.count, dtype=np.int32)
        subs = self.subcategory_table
        brand_offset = 0
        self.brand_names: list[str] = []
        for c, category in enumerate(CATEGORIES):
            members = np.flatnonzero(self.category == c)
            sub_ids = np.array([i for i, (owner, _) in enumerate(subs) if owner == c])
            weights = np.array([subs[i][1].sku_share for i in sub_ids])
            self.subcategory[members] = rng.choice(
                sub_ids, size=len(members), p=weights / weights.sum()
            )
            self.brand[members] = brand_offset + rng.integers(0, len(category.brands), len(members))
            self.brand_names.extend(category.brands)
            brand_offset += len(category.brands)
        self.adjective = rng.integers(0, len(ADJECTIVES), self.count)
        self.model_number = rng.integers(10, 1000, self.count)

    # -- listing ---------------------------------------------------------------------------------

    def _draw_listing(self, rng: np.random.Generator) -> None:
        horizon = self.horizon
        existing = rng.random(self.count) < EXISTING_SHARE
        before = horizon.start_secs - rng.integers(
            30 * SECONDS_PER_DAY, 900 * SECONDS_PER_DAY, self.count
        )
        during = horizon.start_secs + rng.integers(0, horizon.days * SECONDS_PER_DAY, self.count)
        created = np.where(existing, before, during)
        # Product numbers follow listing time: P0000001 is the oldest product.
        order = np.argsort(created, kind="stable")
        for name in ("category", "subcategory", "brand", "adjective", "model_number"):
            setattr(self, name, getattr(self, name)[order])
        self.created_secs = created[order].astype(np.int64)
        self.is_existing = self.created_secs < horizon.start_secs
        #: updated_at of the first version: the first day's midnight for pre-existing products.
        self.first_version_secs = np.maximum(self.created_secs, horizon.start_secs)
        discontinue = rng.random(self.count) < DISCONTINUED_SHARE
        discontinue_at = self.first_version_secs + rng.integers(
            60 * SECONDS_PER_DAY, max(horizon.days, 61) * SECONDS_PER_DAY, self.count
        )
        discontinue &= discontinue_at < horizon.end_secs
        self.discontinued_secs = np.where(discontinue, discontinue_at, np.iinfo(np.int64).max)
        first_day = horizon.day_index(self.first_version_secs)
        #: Days on which the product can be ordered: [available_from, available_until).
        self.available_from = np.where(self.is_existing, 0, first_day + 1)
        self.available_until = np.where(
            discontinue, horizon.day_index(self.discontinued_secs), horizon.days
        )

    def available_on(self, day: int) -> np.ndarray:
        return (self.available_from <= day) & (day < self.available_until)

    # -- prices ----------------------------------------------------------------------------------

    def _draw_prices(self, rng: np.random.Generator) -> None:
        subs = self.subcategory_table
        median = np.array([sub.median_price for _, sub in subs])[self.subcategory]
        price = median * rng.lognormal(0.0, 0.4, self.count)
        self.initial_price_cents = _price_ending(price)
        low = np.array([category.cost_ratio[0] for category in CATEGORIES])[self.category]
        high = np.array([category.cost_ratio[1] for category in CATEGORIES])[self.category]
        ratio = low + (high - low) * rng.random(self.count)
        self.initial_cost_cents = np.round(self.initial_price_cents * ratio).astype(np.int64)
        self.price_timeline = self._price_history(rng)

    def _price_history(self, rng: np.random.Generator) -> Timeline:
        """Creation plus price/cost changes (at night, 01:00-05:00 UTC) per product."""
        horizon = self.horizon
        expected = PRICE_CHANGES_PER_PRODUCT * horizon.days / 730
        changes = rng.poisson(expected, self.count)
        product = np.repeat(np.arange(self.count), changes)
        first = self.first_version_secs[product] // SECONDS_PER_DAY + 3
        last = np.minimum(self.discontinued_secs[product], horizon.end_secs) // SECONDS_PER_DAY
        ok = first < last
        product, first, last = product[ok], first[ok], last[ok]
        day = first + (rng.random(len(product)) * (last - first)).astype(np.int64)
        when = day * SECONDS_PER_DAY + rng.integers(
            SECONDS_PER_HOUR, 5 * SECONDS_PER_HOUR, len(day)
        )
        order = np.lexsort((when, product))
        product, when = product[order], when[order]
        cost_only = rng.random(len(product)) < COST_ONLY_CHANGE_SHARE
        price_step = np.where(cost_only, 0.0, rng.normal(0.0, 0.10, len(product)))
        cost_step = rng.normal(0.0, 0.05, len(product))
        price_level = np.exp(cumsum_by_group(price_step, product))
        cost_level = np.exp(cumsum_by_group(cost_step, product))
        price = _price_ending(self.initial_price_cents[product] / 100 * price_level)
        cost = np.round(self.initial_cost_cents[product] * cost_level).astype(np.int64)
        # A cost above the new price would be a loss leader; keep margins positive.
        cost = np.minimum(cost, np.round(price * 0.95).astype(np.int64))
        keys = np.concatenate([np.arange(self.count), product])
        times = np.concatenate([self.created_secs, when])
        return Timeline(
            keys,
            times,
            {
                "price": np.concatenate([self.initial_price_cents, price]),
                "cost": np.concatenate([self.initial_cost_cents, cost]),
                "is_change": np.concatenate([np.zeros(self.count, bool), np.ones(len(when), bool)]),
            },
        )

    def price_changes(self) -> tuple[np.ndarray, np.ndarray]:
        """(product, time) of every price or cost change, sorted by product then time."""
        changed = self.price_timeline.values["is_change"]
        return self.price_timeline.keys[changed], self.price_timeline.times[changed]

    def price_at(self, products: np.ndarray, times: np.ndarray) -> np.ndarray:
        return self.price_timeline.value_at("price", products, times)

    def price_and_cost_at(
        self, products: np.ndarray, times: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        price, cost = self.price_timeline.values_at(("price", "cost"), products, times)
        return price, cost

    # -- demand ----------------------------------------------------------------------------------

    def _draw_popularity(self, rng: np.random.Generator) -> None:
        rank = rng.permutation(self.count) + 1
        relative_price = self.initial_price_cents / np.median(self.initial_price_cents)
        self.popularity = relative_price**-PRICE_ELASTICITY / rank**ZIPF_EXPONENT
        months = np.array([category.month_factors for category in CATEGORIES])
        self._month_factors = months  # (categories, 12)

    def demand_weights(self, day: int) -> np.ndarray:
        """Relative demand of each product on ``day`` (0 when it cannot be ordered)."""
        month = int(self.horizon.month[day]) - 1
        weights = self.popularity * self._month_factors[self.category, month]
        return np.where(self.available_on(day), weights, 0.0)

    def _draw_complements(self, rng: np.random.Generator) -> None:
        """One complement product per product of a subcategory that has complements (else -1)."""
        subs = self.subcategory_table
        index_of = {sub.name: i for i, (_, sub) in enumerate(subs)}
        always = self.is_existing & (self.available_until >= self.horizon.days)
        self.complement = np.full(self.count, -1, dtype=np.int64)
        for i, (_, sub) in enumerate(subs):
            members = np.flatnonzero(self.subcategory == i)
            if not sub.complements or not len(members):
                continue
            targets = np.array([index_of[name] for name in sub.complements])
            chosen = targets[rng.integers(0, len(targets), len(members))]
            for target in np.unique(chosen):
                candidates = np.flatnonzero((self.subcategory == target) & always)
                if not len(candidates):
                    continue
                weights = self.popularity[candidates]
                picks = rng.choice(
                    candidates, size=int((chosen == target).sum()), p=weights / weights.sum()
                )
                self.complement[members[chosen == target]] = picks

    @cached_property
    def quantity_probabilities(self) -> np.ndarray:
        """``(categories, 6)`` probabilities of quantities 1..6."""
        rows = np.array([category.quantity_weights for category in CATEGORIES], dtype=float)
        return rows / rows.sum(axis=1, keepdims=True)

    @cached_property
    def return_rate(self) -> np.ndarray:
        """Per product: probability that a delivered line is returned."""
        return np.array([category.return_rate for category in CATEGORIES])[self.category]

    @cached_property
    def expected_daily_units(self) -> np.ndarray:
        """Rough share of the daily units per product (for stock levels)."""
        return self.popularity / self.popularity.sum()

    # -- text columns ----------------------------------------------------------------------------

    def text_columns(self) -> dict[str, pa.Array]:
        """product_id, sku, product_name, category, subcategory, brand per product."""
        subs = self.subcategory_table
        ids = columns.prefixed_numbers("P", np.arange(self.count) + 1, 7)
        sub_codes = [sub.name[:3].upper() for _, sub in subs]
        brands = columns.labels(self.brand_names, self.brand)
        name = pc.binary_join_element_wise(
            brands,
            columns.labels(ADJECTIVES, self.adjective),
            columns.labels([sub.noun for _, sub in subs], self.subcategory),
            columns.prefixed_numbers("X", self.model_number, 3),
            columns.text_scalar(" "),
        )
        sku = pc.binary_join_element_wise(
            columns.labels([category.code for category in CATEGORIES], self.category),
            columns.labels(sub_codes, self.subcategory),
            pc.utf8_slice_codeunits(ids, 1),
            columns.text_scalar("-"),
        )
        return {
            "product_id": ids,
            "sku": sku,
            "product_name": name,
            "category": columns.labels([c.name for c in CATEGORIES], self.category),
            "subcategory": columns.labels([sub.name for _, sub in subs], self.subcategory),
            "brand": brands,
        }


def _price_ending(price: np.ndarray) -> np.ndarray:
    """Price in cents ending in .99 (or .49/.99 under 10 USD); at least 1.99."""
    price = np.maximum(price, 1.5)
    whole = np.floor(price)
    cents = np.where(
        price < 10,
        np.where(price - whole < 0.5, whole * 100 - 51, whole * 100 - 1),
        whole * 100 - 1,
    )
    return np.maximum(cents, 199).astype(np.int64)
