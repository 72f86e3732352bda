"""``ecom import olist DIR``: the Olist Brazilian E-Commerce dataset onto the landing contract.

The nine CSV files are read with DuckDB, joined and aggregated into one input per contract table,
then mapped by ``mappings/olist.yaml`` (docs/sources.md has the full table). On purpose:

- the person is ``customer_unique_id`` (``customer_id`` is per order); a person's address
  changes between orders become new customer versions;
- order_items has one row per unit: rows of the same order, product and price become one line
  with ``quantity`` = the number of rows (``order_item_id`` = ``<order>-<first unit number>``);
- payments can be several per order: each is a ``payments`` row, the order's ``payment_method``
  is that of its largest payment; ``shipping_cost`` is the sum of the rows' ``freight_value``;
- an order is written as up to two versions: placed (``pending`` at the purchase time) and its
  final state at its last known event time (approval, hand-over to the carrier, delivery);
- categories are translated to English; a category without a translation keeps its Portuguese
  name, a product without a category stays uncategorised (both counted);
- reviews, sellers and geolocation have no place in the contract: counted as not imported.

Timestamps are Brazilian local times, taken as UTC (stated in the docs). Currency BRL.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.sources.landing_writer import connect
from ecommerce_pipeline.sources.mapping import apply_table, load_mapping
from ecommerce_pipeline.sources.report import ImportReport

logger = logging.getLogger(__name__)

SOURCE = "olist"
MAPPING = Path(__file__).parent / "mappings" / "olist.yaml"
FILES = {
    "customers": "olist_customers_dataset.csv",
    "orders": "olist_orders_dataset.csv",
    "order_items": "olist_order_items_dataset.csv",
    "payments": "olist_order_payments_dataset.csv",
    "products": "olist_products_dataset.csv",
    "translation": "product_category_name_translation.csv",
    "reviews": "olist_order_reviews_dataset.csv",
    "sellers": "olist_sellers_dataset.csv",
    "geolocation": "olist_geolocation_dataset.csv",
}
NOT_IMPORTED = ("reviews", "sellers", "geolocation")


class OlistError(UserError):
    """The folder does not hold the Olist files."""


def _read(connection: duckdb.DuckDBPyConnection, folder: Path, report: ImportReport) -> None:
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if missing:
        raise OlistError(
            f"{folder}: missing {', '.join(missing)}; give the folder of the Olist CSV files"
        )
    for table, name in FILES.items():
        location = "'" + str(folder / name).replace("'", "''") + "'"
        connection.execute(
            f"create table src_{table} as select * from read_csv({location}, header = true, "
            "all_varchar = true, quote = '\"', escape = '\"', strict_mode = false)"
        )
        rows = connection.execute(f"select count(*) from src_{table}").fetchall()
        report.rows_in[name] = int(rows[0][0])


def _prepare_inputs(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("""
        create table order_base as
        select o.order_id, o.order_status, c.customer_unique_id, c.customer_zip_code_prefix,
            c.customer_city, c.customer_state,
            cast(o.order_purchase_timestamp as timestamp) as purchased_at,
            cast(o.order_approved_at as timestamp) as approved_at,
            cast(o.order_delivered_carrier_date as timestamp) as shipped_at,
            cast(o.order_delivered_customer_date as timestamp) as delivered_at,
            cast(cast(o.order_estimated_delivery_date as timestamp) as date)
                as order_estimated_delivery_date
        from src_orders as o
        join src_customers as c on c.customer_id = o.customer_id
    """)
    connection.execute("""
        create view olist_customers as
        with ordered as (
            select *,
                lag(customer_zip_code_prefix || '|' || customer_city || '|' || customer_state)
                    over (partition by customer_unique_id order by purchased_at, order_id)
                    as previous_address,
                min(purchased_at) over (partition by customer_unique_id) as first_order_at
            from order_base
        )
        select customer_unique_id, customer_zip_code_prefix, customer_city, customer_state,
            first_order_at, purchased_at as version_at
        from ordered
        where previous_address is null
            or previous_address <> customer_zip_code_prefix || '|' || customer_city || '|'
                || customer_state
    """)
    connection.execute("""
        create table item_lines as
        select i.order_id, i.product_id, cast(i.price as decimal(18, 2)) as price,
            count(*) as units, min(cast(i.order_item_id as integer)) as first_unit,
            sum(cast(i.freight_value as decimal(18, 2))) as freight
        from src_order_items as i
        group by i.order_id, i.product_id, cast(i.price as decimal(18, 2))
    """)
    connection.execute("""
        create view olist_order_items as
        select l.order_id, l.product_id, l.price, l.units, l.first_unit,
            b.purchased_at as order_purchase_timestamp
        from item_lines as l join order_base as b using (order_id)
    """)
    connection.execute("""
        create view olist_products as
        select p.product_id,
            coalesce(t.product_category_name_english, nullif(p.product_category_name, ''))
                as category,
            round(median(l.price), 2) as list_price,
            min(b.purchased_at) as first_sold_at
        from src_products as p
        left join src_translation as t on t.product_category_name = p.product_category_name
        join item_lines as l on l.product_id = p.product_id
        join order_base as b on b.order_id = l.order_id
        group by all
    """)
    connection.execute("""
        create view olist_payments as
        select pay.order_id, pay.payment_sequential, pay.payment_type, pay.payment_value,
            coalesce(b.approved_at, b.purchased_at) as paid_at
        from src_payments as pay join order_base as b using (order_id)
    """)
    connection.execute("""
        create view olist_orders as
        with totals as (
            select b.*,
                (select arg_max(pay.payment_type, cast(pay.payment_value as double)
                    * 1000 - cast(pay.payment_sequential as integer))
                 from src_payments as pay where pay.order_id = b.order_id) as main_payment_type,
                coalesce((select sum(l.freight) from item_lines as l
                          where l.order_id = b.order_id), 0) as shipping_cost,
                greatest(b.purchased_at, b.approved_at, b.shipped_at, b.delivered_at)
                    as final_at
            from order_base as b
        )
        select order_id, customer_unique_id, customer_city, customer_state, main_payment_type,
            shipping_cost, order_estimated_delivery_date, purchased_at as order_purchase_timestamp,
            'created' as status, null as shipped_at, null as delivered_at,
            purchased_at as version_at
        from totals where final_at > purchased_at
        union all
        select order_id, customer_unique_id, customer_city, customer_state, main_payment_type,
            shipping_cost, order_estimated_delivery_date, purchased_at, order_status,
            shipped_at, delivered_at, final_at
        from totals
    """)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return connection.execute(sql).fetchall()


def _rules(connection: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    """One rule per source row, per file (sum per file = rows read of that file)."""
    for status, count in _rows(
        connection, "select order_status, count(*) from src_orders group by 1"
    ):
        report.rules[f"orders.status_{status}"] = int(count)  # type: ignore[call-overload]
    report.rules["order_items.unit_row_to_line_quantity"] = report.rows_in[FILES["order_items"]]
    report.rules["payments.payment_row"] = report.rows_in[FILES["payments"]]
    report.rules["customers.order_customer_to_person"] = report.rows_in[FILES["customers"]]
    for rule, count in _rows(
        connection,
        """
        select case
            when p.product_category_name is null then 'products.no_category'
            when t.product_category_name_english is null then 'products.untranslated_category'
            else 'products.translated_category' end, count(*)
        from src_products as p
        left join src_translation as t using (product_category_name) group by 1
    """,
    ):
        report.rules[str(rule)] = int(count)  # type: ignore[call-overload]
    report.rules["translation.category_translation"] = report.rows_in[FILES["translation"]]
    for name in NOT_IMPORTED:
        report.rules[f"{name}.not_imported"] = report.rows_in[FILES[name]]


def _facts(connection: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    facts = {
        "orders": "select count(*) from src_orders",
        "persons": "select count(distinct customer_unique_id) from src_customers",
        "customer_versions": "select count(*) from olist_customers",
        "order_lines": "select count(*) from item_lines",
        "units": "select sum(units) from item_lines",
        "lines_with_several_units": "select count(*) from item_lines where units > 1",
        "orders_with_several_payments": "select count(*) from (select order_id from "
        "src_payments group by order_id having count(*) > 1)",
        "orders_without_payment": "select count(*) from src_orders where order_id not in "
        "(select order_id from src_payments)",
        "payment_type_not_defined": "select count(*) from src_payments "
        "where payment_type = 'not_defined'",
        "items_value": "select sum(cast(price as decimal(18, 2))) from src_order_items",
        "freight_value": "select sum(cast(freight_value as decimal(18, 2))) from src_order_items",
        "payments_value": "select sum(cast(payment_value as decimal(18, 2))) from src_payments",
        "order_versions": "select count(*) from olist_orders",
    }
    for name, sql in facts.items():
        value = _rows(connection, sql)[0][0]
        report.facts[name] = value if isinstance(value, int) else str(value)


def import_olist(folder: Path, landing_dir: Path) -> ImportReport:
    """Map the Olist files of ``folder`` onto landing files; the report of every rule applied."""
    report = ImportReport(source=SOURCE)
    mapping = load_mapping(MAPPING)
    connection = connect()
    try:
        _read(connection, folder, report)
        _prepare_inputs(connection)
        _rules(connection, report)
        _facts(connection, report)
        for table_mapping in mapping.tables:
            apply_table(connection, table_mapping, str(table_mapping.input), landing_dir, report)
    finally:
        connection.close()
    report.save(landing_dir)
    logger.info("olist: rules %s, rows written %s", dict(report.rules), report.rows_out)
    return report
