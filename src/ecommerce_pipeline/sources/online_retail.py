"""``ecom import online-retail FILE``: the UCI Online Retail dataset onto the landing contract.

One row per invoice line (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country), CSV or Parquet. Every row gets exactly one rule, first match wins
(counted in the report; docs/sources.md explains each):

``duplicate_row``        an exact copy of an earlier row: recorded twice, kept once
``bad_debt_adjustment``  invoice ``A...`` (accounting entries, negative prices): not a sale
``stock_adjustment``     quantity <= 0 on a non-cancellation invoice (damages, lost stock)
``postage``              stock code POST / DOT / C2: added to the order's ``shipping_cost``
``non_product_charge``   M, D, S, BANK CHARGES, AMAZONFEE, CRUK, B: fees and manual entries, not
                         products; their value is reported, they are not order lines
``cancellation``         invoice ``C...``: a line (quantity made positive) of an order whose status
                         is ``cancelled`` (the dataset does not link it to the original invoice)
``free_item``            unit price 0 on a sale: kept as a line at price 0
``sale``                 everything else: a line of a ``delivered`` order

Rows without a CustomerID (a fact, not a rule: their lines are kept) belong to a guest customer
``guest-<InvoiceNo>`` (one per invoice: an anonymous checkout). InvoiceDate is taken as UTC.
Prices with more than 2 decimals are rounded to cents (counted).
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

SOURCE = "online-retail"
MAPPING = Path(__file__).parent / "mappings" / "online_retail.yaml"
COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
POSTAGE_CODES = ("POST", "DOT", "C2")
NON_PRODUCT_CODES = ("M", "m", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B")
RULES = (
    "duplicate_row",
    "bad_debt_adjustment",
    "stock_adjustment",
    "postage",
    "non_product_charge",
    "cancellation",
    "free_item",
    "sale",
)


class OnlineRetailError(UserError):
    """The file is not the UCI Online Retail layout."""


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join("'" + code.replace("'", "''") + "'" for code in codes)


def _read(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    if not path.is_file():
        raise OnlineRetailError(f"{path} does not exist: give the Online Retail .parquet or .csv")
    location = "'" + str(path).replace("'", "''") + "'"
    if path.suffix.lower() == ".parquet":
        reader = f"read_parquet({location}, file_row_number = true)"
        order = "file_row_number"
    else:
        reader = f"read_csv({location}, header = true, all_varchar = true)"
        order = "null"
    connection.execute(f"create table source_rows as select * from {reader}")
    names = {str(row[0]) for row in connection.execute("describe source_rows").fetchall()}
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise OnlineRetailError(
            f"{path}: column(s) {', '.join(missing)} missing; the Online Retail columns are "
            f"{', '.join(COLUMNS)}"
        )
    connection.execute(f"""
        create table retail_rows as
        select
            row_number() over (order by {order}) as row_no,
            trim(cast(InvoiceNo as varchar)) as invoice_no,
            trim(cast(StockCode as varchar)) as stock_code,
            cast(Description as varchar) as description,
            cast(Quantity as bigint) as quantity,
            cast(InvoiceDate as timestamp) as invoice_date,
            cast(UnitPrice as double) as unit_price,
            cast(cast(CustomerID as double) as bigint) as customer_number,
            trim(cast(Country as varchar)) as country
        from source_rows
    """)


def _classify(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("""
        create table classified as
        select *,
            row_number() over (partition by invoice_no, stock_code, description, quantity,
                invoice_date, unit_price, customer_number, country order by row_no) > 1
                as is_duplicate,
            row_number() over (partition by invoice_no order by row_no) as line_no
        from retail_rows
    """)
    connection.execute(f"""
        create table ruled as
        select *,
            case
                when is_duplicate then 'duplicate_row'
                when invoice_no like 'A%' then 'bad_debt_adjustment'
                when invoice_no not like 'C%' and quantity <= 0 then 'stock_adjustment'
                when stock_code in ({_codes(POSTAGE_CODES)}) then 'postage'
                when stock_code in ({_codes(NON_PRODUCT_CODES)}) then 'non_product_charge'
                when invoice_no like 'C%' then 'cancellation'
                when unit_price = 0 then 'free_item'
                else 'sale'
            end as rule,
            coalesce(cast(customer_number as varchar), 'guest-' || invoice_no) as customer_id
        from classified
    """)


def _prepare_inputs(connection: duckdb.DuckDBPyConnection) -> None:
    """One input per contract table (what the mapping file maps)."""
    line_rules = "('cancellation', 'free_item', 'sale')"
    connection.execute(f"""
        create view retail_order_items as
        select invoice_no, lpad(cast(line_no as varchar), 4, '0') as line_no, stock_code,
            abs(quantity) as quantity, round(unit_price, 2) as unit_price, invoice_date
        from ruled where rule in {line_rules}
    """)
    connection.execute(f"""
        create view retail_orders as
        select invoice_no, min(customer_id) as customer_id, min(invoice_date) as invoice_date,
            case when invoice_no like 'C%' then 'cancellation' else 'sale' end as kind,
            round(coalesce(sum(abs(quantity) * unit_price)
                filter (where rule = 'postage'), 0), 2) as shipping_cost,
            arg_min(country, row_no) as country
        from ruled where rule in {line_rules} or rule = 'postage'
        group by invoice_no
    """)
    connection.execute("""
        create view retail_customers as
        select customer_id, arg_min(country, invoice_date) as country,
            min(invoice_date) as first_invoice_at
        from retail_orders group by customer_id
    """)
    connection.execute(f"""
        create view retail_products as
        select stock_code,
            mode(description) filter (where description is not null
                and description <> 'nan') as description,
            coalesce(mode(round(unit_price, 2)) filter (where rule = 'sale'), 0) as list_price,
            min(invoice_date) as first_seen_at
        from ruled where rule in {line_rules}
        group by stock_code
    """)


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> object:
    rows = connection.execute(sql).fetchall()
    row = rows[0] if rows else None
    return row[0] if row else None


def _facts(connection: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    for rule, count in connection.execute(
        "select rule, count(*) from ruled group by rule"
    ).fetchall():
        report.rules[str(rule)] = int(count)
    facts = {
        "invoices": "select count(distinct invoice_no) from retail_rows",
        "sale_invoices": "select count(*) from retail_orders where kind = 'sale'",
        "cancelled_invoices": "select count(*) from retail_orders where kind = 'cancellation'",
        "known_customers": "select count(distinct customer_number) from retail_rows",
        "guest_orders": "select count(*) from retail_orders where customer_id like 'guest-%'",
        "rows_without_customer_kept": "select count(*) from ruled where customer_number is null "
        "and rule in ('cancellation', 'free_item', 'sale', 'postage')",
        "descriptions_nan": "select count(*) from retail_rows where description = 'nan'",
        "prices_rounded_to_cents": "select count(*) from ruled where rule in "
        "('cancellation', 'free_item', 'sale') and round(unit_price, 2) <> unit_price",
        "sales_gross_value": "select round(sum(quantity * round(unit_price, 2)), 2) from ruled "
        "where rule in ('sale', 'free_item')",
        "cancelled_value": "select round(sum(abs(quantity) * round(unit_price, 2)), 2) from ruled "
        "where rule = 'cancellation'",
        "postage_value": "select round(sum(abs(quantity) * unit_price), 2) from ruled "
        "where rule = 'postage'",
    }
    for name, sql in facts.items():
        value = _scalar(connection, sql)
        report.facts[name] = float(value) if isinstance(value, float) else value
    charges = connection.execute(
        "select stock_code, count(*), round(sum(quantity * unit_price), 2) from ruled "
        "where rule = 'non_product_charge' group by stock_code order by stock_code"
    ).fetchall()
    report.facts["non_product_charges"] = {
        str(code): {"rows": int(rows), "value": float(value)} for code, rows, value in charges
    }


def import_online_retail(path: Path, landing_dir: Path) -> ImportReport:
    """Map the Online Retail file onto landing files; the report of every rule applied."""
    report = ImportReport(source=SOURCE)
    mapping = load_mapping(MAPPING)
    connection = connect()
    try:
        _read(connection, path)
        rows_read = _scalar(connection, "select count(*) from retail_rows")
        report.rows_in[path.name] = int(str(rows_read))
        _classify(connection)
        _prepare_inputs(connection)
        _facts(connection, report)
        for table_mapping in mapping.tables:
            apply_table(connection, table_mapping, str(table_mapping.input), landing_dir, report)
    finally:
        connection.close()
    report.save(landing_dir)
    logger.info("online retail: rules %s, rows written %s", dict(report.rules), report.rows_out)
    return report
