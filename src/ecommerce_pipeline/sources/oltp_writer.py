"""Fill the demo shop's OLTP database day by day from the generator's history.

``ecom generate --to-db URL``: the generator writes its landing files into a temporary folder
(the same seeded history ``ecom generate`` writes), then every business day is applied to the
``shop`` schema in one transaction, tables in parent-before-child order: each day's CSV file is
bulk-copied (``COPY``) into a temporary staging table and upserted into the normalised tables
(``insert ... on conflict do update``, only when the staged version is not older). So after day
D the database holds exactly the shop's state at the end of D, and ``updated_at`` is the business
time of every change (never the wall clock).

Payments are derived: one payment per order at ``order_ts`` with the order's payment method and
the amount due (lines net of discounts + shipping + tax).
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.contract import CORE_TABLES, TABLES
from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.sources.oltp_schema import create_schema

logger = logging.getLogger(__name__)


class OltpWriteError(UserError):
    """The OLTP database cannot be reached or written."""


@dataclass
class OltpWriteResult:
    """What was applied to the OLTP database."""

    days: int = 0
    rows: Counter[str] = field(default_factory=Counter)  # staged landing rows per table


_UPSERTS: dict[str, list[str]] = {
    "customers": [
        """
        insert into shop.customers as t (customer_id, email, first_name, last_name, phone,
            birth_date, acquisition_channel, loyalty_tier, created_at, updated_at)
        select distinct on (customer_id) customer_id, email, first_name, last_name, phone,
            birth_date::date, acquisition_channel, loyalty_tier, created_at::timestamptz,
            updated_at::timestamptz
        from stage order by customer_id, updated_at::timestamptz desc
        on conflict (customer_id) do update set email = excluded.email,
            first_name = excluded.first_name, last_name = excluded.last_name,
            phone = excluded.phone, birth_date = excluded.birth_date,
            acquisition_channel = excluded.acquisition_channel,
            loyalty_tier = excluded.loyalty_tier, updated_at = excluded.updated_at
        where t.updated_at <= excluded.updated_at
        """,
        """
        insert into shop.addresses as t (address_id, customer_id, kind, country_code, region,
            city, postal_code, created_at, updated_at)
        select distinct on (customer_id) customer_id || ':primary', customer_id, 'primary',
            country_code, region, city, postal_code, updated_at::timestamptz,
            updated_at::timestamptz
        from stage order by customer_id, updated_at::timestamptz desc
        on conflict (address_id) do update set country_code = excluded.country_code,
            region = excluded.region, city = excluded.city, postal_code = excluded.postal_code,
            updated_at = excluded.updated_at
        where t.updated_at <= excluded.updated_at
            and (t.country_code, t.region, t.city, t.postal_code) is distinct from
                (excluded.country_code, excluded.region, excluded.city, excluded.postal_code)
        """,
    ],
    "products": [
        """
        insert into shop.products as t (product_id, sku, name, category, subcategory, brand,
            list_price, unit_cost, stock_quantity, is_active, created_at, updated_at)
        select distinct on (product_id) product_id, sku, product_name, category, subcategory,
            brand, unit_price::numeric, unit_cost::numeric, stock_quantity::bigint,
            coalesce(is_active::boolean, true), created_at::timestamptz, updated_at::timestamptz
        from stage order by product_id, updated_at::timestamptz desc
        on conflict (product_id) do update set sku = excluded.sku, name = excluded.name,
            category = excluded.category, subcategory = excluded.subcategory,
            brand = excluded.brand, list_price = excluded.list_price,
            unit_cost = excluded.unit_cost, stock_quantity = excluded.stock_quantity,
            is_active = excluded.is_active, updated_at = excluded.updated_at
        where t.updated_at <= excluded.updated_at
        """,
    ],
    "orders": [
        """
        insert into shop.orders as t (order_id, customer_id, placed_at, status, sales_channel,
            currency, shipping_cost, tax_amount, ship_country_code, ship_region, ship_city,
            promised_delivery_date, shipped_at, delivered_at, created_at, updated_at)
        select distinct on (order_id) order_id, customer_id, order_ts::timestamptz,
            order_status, sales_channel, coalesce(currency, 'USD'), shipping_cost::numeric,
            tax_amount::numeric, ship_country_code, ship_region, ship_city,
            promised_delivery_date::date, shipped_at::timestamptz, delivered_at::timestamptz,
            order_ts::timestamptz, updated_at::timestamptz
        from stage order by order_id, updated_at::timestamptz desc
        on conflict (order_id) do update set status = excluded.status,
            sales_channel = excluded.sales_channel, currency = excluded.currency,
            shipping_cost = excluded.shipping_cost, tax_amount = excluded.tax_amount,
            ship_country_code = excluded.ship_country_code, ship_region = excluded.ship_region,
            ship_city = excluded.ship_city,
            promised_delivery_date = excluded.promised_delivery_date,
            shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at,
            updated_at = excluded.updated_at
        where t.updated_at <= excluded.updated_at
        """,
        # the payment method of each staged order, kept for the payments step
        """
        insert into order_methods
        select distinct on (order_id) order_id, payment_method,
            order_ts::timestamptz as paid_at, updated_at::timestamptz as updated_at
        from stage order by order_id, updated_at::timestamptz
        """,
    ],
    "order_items": [
        """
        insert into shop.order_lines as t (order_line_id, order_id, product_id, quantity,
            unit_price, discount_amount, is_returned, returned_at, return_reason, created_at,
            updated_at)
        select distinct on (order_item_id) order_item_id, order_id, product_id,
            quantity::integer, unit_price::numeric, coalesce(discount_amount::numeric, 0),
            coalesce(is_returned::boolean, false), returned_at::timestamptz, return_reason,
            updated_at::timestamptz, updated_at::timestamptz
        from stage order by order_item_id, updated_at::timestamptz desc
        on conflict (order_line_id) do update set quantity = excluded.quantity,
            unit_price = excluded.unit_price, discount_amount = excluded.discount_amount,
            is_returned = excluded.is_returned, returned_at = excluded.returned_at,
            return_reason = excluded.return_reason, updated_at = excluded.updated_at
        where t.updated_at <= excluded.updated_at
        """,
        # payments of the day's new orders (their lines are in now)
        """
        insert into shop.payments (payment_id, order_id, method, amount, paid_at, created_at,
            updated_at)
        select m.order_id || ':1', m.order_id, m.payment_method,
            coalesce((select sum(l.quantity * l.unit_price - l.discount_amount)
                      from shop.order_lines as l where l.order_id = m.order_id), 0)
                + coalesce(o.shipping_cost, 0) + coalesce(o.tax_amount, 0),
            m.paid_at, m.updated_at, m.updated_at
        from order_methods as m
        join shop.orders as o on o.order_id = m.order_id
        on conflict (payment_id) do nothing
        """,
    ],
}


def _stage_day(cursor: psycopg.Cursor[tuple[object, ...]], table: str, path: Path) -> int:
    """COPY one landing CSV into the temporary ``stage`` table (all text); its row count."""
    columns = TABLES[table].column_names
    cursor.execute("drop table if exists stage")
    cursor.execute(
        "create temp table stage (" + ", ".join(f"{name} text" for name in columns) + ")"
    )
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8").strip()
        names = header.split(",")
        with cursor.copy(f"copy stage ({', '.join(names)}) from stdin (format csv)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    cursor.execute("select count(*) from stage")
    row = cursor.fetchone()
    return int(str(row[0])) if row else 0


def _day_folders(landing_dir: Path) -> list[date]:
    days = {
        date.fromisoformat(folder.name)
        for table in CORE_TABLES
        if (landing_dir / table).is_dir()
        for folder in (landing_dir / table).iterdir()
        if folder.is_dir() and not folder.name.startswith(("_", "."))
    }
    return sorted(days)


def write_history(
    dsn: str,
    landing_dir: Path,
    *,
    since: date | None = None,
    until: date | None = None,
) -> OltpWriteResult:
    """Apply the generated landing days in ``[since, until]`` to the OLTP database, in order."""
    result = OltpWriteResult()
    try:
        create_schema(dsn)
        with psycopg.connect(dsn) as connection:
            for day in _day_folders(landing_dir):
                if (since and day < since) or (until and day > until):
                    continue
                _apply_day(connection, landing_dir, day, result)
                result.days += 1
    except psycopg.OperationalError as exc:
        raise OltpWriteError(f"cannot write the OLTP database: {exc}") from exc
    logger.info("OLTP: %d days applied, rows %s", result.days, dict(result.rows))
    return result


def _apply_day(
    connection: psycopg.Connection[tuple[object, ...]],
    landing_dir: Path,
    day: date,
    result: OltpWriteResult,
) -> None:
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            "create temp table order_methods (order_id text, payment_method text, "
            "paid_at timestamptz, updated_at timestamptz) on commit drop"
        )
        for table in CORE_TABLES:
            for path in sorted((landing_dir / table / day.isoformat()).glob("*.csv")):
                result.rows[table] += _stage_day(cursor, table, path)
                for statement in _UPSERTS[table]:
                    cursor.execute(statement)


def generate_to_db(settings: Settings, dsn: str) -> OltpWriteResult:
    """Generate the settings' history (scale, seed, days) and write it into the OLTP database."""
    from ecommerce_pipeline.pipeline import generate_landing

    with tempfile.TemporaryDirectory(prefix="ecom-oltp-") as folder:
        landing = Path(folder) / "landing"
        generate_landing(settings.model_copy(update={"landing_dir": landing, "file_format": "csv"}))
        return write_history(dsn, landing)
