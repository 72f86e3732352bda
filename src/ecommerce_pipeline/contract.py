"""The landing / raw data contract as code: the single source of truth.

``../shared/spec/data-contract.md`` is the human text of this contract. The generator, the loader,
the quarantine rules, the raw DDL and the docs all read the objects below; nothing restates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical column types of the landing contract."""

    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"  # money: decimal(18,2)
    DATE = "date"
    TIMESTAMP = "timestamp"  # UTC, ISO-8601 in files; stored as a UTC timestamp without zone
    BOOL = "bool"


class Check(StrEnum):
    """Value checks beyond the type (applied to non-empty values only)."""

    EMAIL = "email"
    COUNTRY_CODE = "country_code"
    POSITIVE = "positive"  # > 0 (quantities)
    NON_NEGATIVE = "non_negative"  # >= 0 (money, stock)
    NOT_IN_FUTURE = "not_in_future"  # timestamp <= end of the file's business day


class QuarantineReason(StrEnum):
    """Why a landing record (or file) went to ``raw._quarantine``; one reason per record."""

    MALFORMED_LINE = "malformed_line"  # wrong number of fields, broken quoting
    INVALID_ENCODING = "invalid_encoding"  # not valid UTF-8
    WRONG_TYPE = "wrong_type"  # value does not parse as the column's type
    MISSING_KEY = "missing_key"  # empty *_id key
    MISSING_REQUIRED = "missing_required"  # other required value empty
    UNKNOWN_ENUM = "unknown_enum"
    NON_POSITIVE_QUANTITY = "non_positive_quantity"
    NEGATIVE_AMOUNT = "negative_amount"
    MALFORMED_EMAIL = "malformed_email"
    MALFORMED_COUNTRY_CODE = "malformed_country_code"
    FUTURE_TIMESTAMP = "future_timestamp"
    EMPTY_FILE = "empty_file"  # file-level: no header or no data rows


class FileStatus(StrEnum):
    """Outcome of one landing file in ``raw._load_log``."""

    LOADED = "loaded"
    EMPTY = "empty"
    REJECTED = "rejected"  # missing required column: nothing of the file is loaded


#: Accepted spellings of booleans in landing files (case-insensitive).
TRUE_VALUES: tuple[str, ...] = ("true", "t", "1", "yes", "y")
FALSE_VALUES: tuple[str, ...] = ("false", "f", "0", "no", "n")

#: A well-formed email: one @, a non-empty local part, a dotted domain, no spaces.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
COUNTRY_CODE_PATTERN = r"^[A-Z]{2}$"

#: Money columns are stored as decimal(MONEY_PRECISION, MONEY_SCALE).
MONEY_PRECISION = 18
MONEY_SCALE = 2


@dataclass(frozen=True)
class Column:
    """One column of a landing table."""

    name: str
    type: ColumnType
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    checks: tuple[Check, ...] = ()

    @property
    def is_key(self) -> bool:
        """``*_id`` columns are keys (business or foreign); an empty one is ``missing_key``."""
        return self.name.endswith("_id")


@dataclass(frozen=True)
class ForeignKey:
    """A reference from ``column`` to ``table.column`` (checked in staging, not by the loader)."""

    column: str
    table: str
    references: str


@dataclass(frozen=True)
class Table:
    """One landing table: ``<landing>/<name>/<YYYY-MM-DD>/*.csv|*.parquet`` -> ``raw.<name>``."""

    name: str
    key: str
    description: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    optional: bool = False  # optional extra sources (funnel, richer adapters)
    version_column: str = "updated_at"  # several versions of one key: the latest wins
    _by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({column.name: column for column in self.columns})

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        return self._by_name[name]


def _id(name: str, description: str) -> Column:
    return Column(name, ColumnType.TEXT, description, required=True)


def _ts(name: str, description: str, *, required: bool = False) -> Column:
    return Column(
        name, ColumnType.TIMESTAMP, description, required=required, checks=(Check.NOT_IN_FUTURE,)
    )


def _money(name: str, description: str, *, required: bool = False) -> Column:
    return Column(
        name, ColumnType.DECIMAL, description, required=required, checks=(Check.NON_NEGATIVE,)
    )


ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "email", "referral", "affiliate")
LOYALTY_TIERS = ("bronze", "silver", "gold", "platinum")
ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
PAYMENT_METHODS = (
    "credit_card",
    "debit_card",
    "paypal",
    "apple_pay",
    "google_pay",
    "bank_transfer",
    "gift_card",
    "cash_on_delivery",
)
SALES_CHANNELS = ("web", "mobile_app", "marketplace")
WEB_EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")

CUSTOMERS = Table(
    name="customers",
    key="customer_id",
    description="Customers: one row per customer version (created or changed that day).",
    columns=(
        _id("customer_id", "Business key of the customer."),
        Column("email", ColumnType.TEXT, "Email (unique per customer).", checks=(Check.EMAIL,)),
        Column("first_name", ColumnType.TEXT, "First name (PII)."),
        Column("last_name", ColumnType.TEXT, "Last name (PII)."),
        Column("phone", ColumnType.TEXT, "Phone number (PII)."),
        Column("birth_date", ColumnType.DATE, "Date of birth; may be empty."),
        Column(
            "country_code",
            ColumnType.TEXT,
            "ISO-3166 alpha-2 country.",
            checks=(Check.COUNTRY_CODE,),
        ),
        Column("region", ColumnType.TEXT, "Region / state / province."),
        Column("city", ColumnType.TEXT, "City."),
        Column("postal_code", ColumnType.TEXT, "Postal code."),
        Column(
            "acquisition_channel",
            ColumnType.TEXT,
            "Marketing channel that acquired the customer.",
            enum=ACQUISITION_CHANNELS,
        ),
        Column("loyalty_tier", ColumnType.TEXT, "Loyalty programme tier.", enum=LOYALTY_TIERS),
        _ts("created_at", "Signup time (UTC).", required=True),
        _ts("updated_at", "Time of this version (UTC).", required=True),
    ),
)

PRODUCTS = Table(
    name="products",
    key="product_id",
    description="Products: one row per product version (price, cost, stock or status changed).",
    columns=(
        _id("product_id", "Business key of the product."),
        Column("sku", ColumnType.TEXT, "Stock keeping unit."),
        Column("product_name", ColumnType.TEXT, "Product name."),
        Column("category", ColumnType.TEXT, "Category."),
        Column("subcategory", ColumnType.TEXT, "Subcategory."),
        Column("brand", ColumnType.TEXT, "Brand."),
        _money("unit_price", "List price per unit.", required=True),
        _money("unit_cost", "Cost per unit."),
        Column(
            "stock_quantity",
            ColumnType.INT,
            "Units on hand at updated_at.",
            checks=(Check.NON_NEGATIVE,),
        ),
        Column("is_active", ColumnType.BOOL, "Whether the product is sold."),
        _ts("created_at", "Time the product was listed (UTC).", required=True),
        _ts("updated_at", "Time of this version (UTC).", required=True),
    ),
)

ORDERS = Table(
    name="orders",
    key="order_id",
    description="Orders: one row per order version (placed, shipped, delivered, cancelled...).",
    columns=(
        _id("order_id", "Business key of the order."),
        _id("customer_id", "Customer who placed the order."),
        _ts("order_ts", "Time the order was placed (UTC); its period.", required=True),
        Column(
            "order_status",
            ColumnType.TEXT,
            "Status of this version.",
            required=True,
            enum=ORDER_STATUSES,
        ),
        Column("payment_method", ColumnType.TEXT, "Payment method.", enum=PAYMENT_METHODS),
        Column("sales_channel", ColumnType.TEXT, "Sales channel.", enum=SALES_CHANNELS),
        Column("currency", ColumnType.TEXT, "ISO-4217 currency (default USD)."),
        _money("shipping_cost", "Shipping charged to the customer (not revenue)."),
        _money("tax_amount", "Tax collected (not revenue)."),
        Column(
            "ship_country_code",
            ColumnType.TEXT,
            "Shipping country (ISO-3166 alpha-2).",
            checks=(Check.COUNTRY_CODE,),
        ),
        Column("ship_region", ColumnType.TEXT, "Shipping region."),
        Column("ship_city", ColumnType.TEXT, "Shipping city."),
        Column("promised_delivery_date", ColumnType.DATE, "Delivery date promised at checkout."),
        _ts("shipped_at", "Time shipped (UTC); empty until it happens."),
        _ts("delivered_at", "Time delivered (UTC); empty until it happens."),
        _ts("updated_at", "Time of this version (UTC).", required=True),
    ),
    foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
)

ORDER_ITEMS = Table(
    name="order_items",
    key="order_item_id",
    description="Order lines: one row per line version (placed, then possibly returned).",
    columns=(
        _id("order_item_id", "Business key of the order line."),
        _id("order_id", "Order of the line."),
        _id("product_id", "Product of the line."),
        Column(
            "quantity",
            ColumnType.INT,
            "Units ordered (>= 1).",
            required=True,
            checks=(Check.POSITIVE,),
        ),
        _money("unit_price", "Price charged per unit.", required=True),
        _money("discount_amount", "Total discount on the line."),
        Column("is_returned", ColumnType.BOOL, "Whether the line was returned."),
        _ts("returned_at", "Time of the return (UTC); may be empty."),
        Column("return_reason", ColumnType.TEXT, "Reason given for the return; may be empty."),
        _ts("updated_at", "Time of this version (UTC).", required=True),
    ),
    foreign_keys=(
        ForeignKey("order_id", "orders", "order_id"),
        ForeignKey("product_id", "products", "product_id"),
    ),
)

WEB_EVENTS = Table(
    name="web_events",
    key="event_id",
    version_column="event_ts",
    description="Optional: storefront events for the funnel.",
    optional=True,
    columns=(
        _id("event_id", "Business key of the event."),
        _id("session_id", "Browsing session."),
        Column("customer_id", ColumnType.TEXT, "Customer, when known; may be empty."),
        Column("event_type", ColumnType.TEXT, "Funnel step.", required=True, enum=WEB_EVENT_TYPES),
        Column("product_id", ColumnType.TEXT, "Product viewed or added; may be empty."),
        _ts("event_ts", "Time of the event (UTC).", required=True),
        Column("device_type", ColumnType.TEXT, "Device type."),
        Column("country_code", ColumnType.TEXT, "Visitor country.", checks=(Check.COUNTRY_CODE,)),
    ),
)

PAYMENTS = Table(
    name="payments",
    key="payment_id",
    version_column="paid_at",
    description="Optional: payments (several per order possible).",
    optional=True,
    columns=(
        _id("payment_id", "Business key of the payment."),
        _id("order_id", "Order paid."),
        Column("payment_method", ColumnType.TEXT, "Payment method.", enum=PAYMENT_METHODS),
        _money("amount", "Amount paid.", required=True),
        _ts("paid_at", "Time of the payment (UTC).", required=True),
    ),
    foreign_keys=(ForeignKey("order_id", "orders", "order_id"),),
)

#: Every landing table, in load order (parents before children).
TABLES: dict[str, Table] = {
    table.name: table for table in (CUSTOMERS, PRODUCTS, ORDERS, ORDER_ITEMS, WEB_EVENTS, PAYMENTS)
}
#: The four core tables every source must deliver.
CORE_TABLES: tuple[str, ...] = tuple(name for name, table in TABLES.items() if not table.optional)

#: Lineage columns added to every raw table, in order.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_extra", "Columns of the file not in the contract, as a JSON object."),
    ("_source_file", "Landing file the row came from, relative to the landing folder."),
    (
        "_source_line",
        "Physical line in a CSV file (1 = header); row number in Parquet.",
    ),
    ("_file_day", "Business day of the file's folder."),
    ("_loaded_at", "UTC time the row was loaded."),
    ("_batch_id", "Id of the load that wrote the row (one per `ecom load`)."),
)

RAW_SCHEMA = "raw"
LOAD_LOG_TABLE = "_load_log"
QUARANTINE_TABLE = "_quarantine"
LANDING_FORMATS: tuple[str, ...] = ("csv", "parquet")


def sql_type(column_type: ColumnType, dialect: str) -> str:
    """SQL type of a contract type on a warehouse (``duckdb`` or ``postgres``)."""
    types = {
        ColumnType.TEXT: "varchar" if dialect == "duckdb" else "text",
        ColumnType.INT: "bigint",
        ColumnType.DECIMAL: f"decimal({MONEY_PRECISION},{MONEY_SCALE})",
        ColumnType.DATE: "date",
        ColumnType.TIMESTAMP: "timestamp",
        ColumnType.BOOL: "boolean",
    }
    return types[column_type]
