"""Write transform/seeds/public_holidays.csv: national public holidays of the generator's countries.

Uses the `holidays` package; English names where the package has them. Deterministic output
(sorted by date, country, name). Run after changing COUNTRIES or YEARS:

    .venv/bin/python transform/scripts/make_holidays_seed.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import holidays

#: The countries the synthetic generator uses for customers and shipping.
COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "BR")
YEARS = range(2015, 2036)
OUTPUT = Path(__file__).resolve().parents[1] / "seeds" / "public_holidays.csv"
ENGLISH = "en_US"


def country_rows(country_code: str) -> list[tuple[str, str, str]]:
    """(holiday_date, country_code, holiday_name) of one country over YEARS."""
    calendar_class = holidays.country_holidays(country_code).__class__
    language = ENGLISH if ENGLISH in getattr(calendar_class, "supported_languages", ()) else None
    calendar = holidays.country_holidays(country_code, years=YEARS, language=language)
    return [
        (day.isoformat(), country_code, name)
        for day in sorted(calendar)
        for name in calendar.get_list(day)
    ]


def main() -> int:
    rows = sorted({row for code in COUNTRIES for row in country_rows(code)})
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("holiday_date", "country_code", "holiday_name"))
        writer.writerows(rows)
    sys.stdout.write(f"wrote {len(rows)} holidays to {OUTPUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
