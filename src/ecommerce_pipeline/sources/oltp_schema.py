"""The demo shop's OLTP schema in PostgreSQL (schema ``shop``) and its contract-shaped reads.

A normalised storefront database, as a shop's application would keep it:
customers (1) -- (1) addresses (the primary address), customers (1) -- (n) orders,
orders (1) -- (n) order_lines (n) -- (1) products, orders (1) -- (n) payments.
Every table has ``created_at``, ``updated_at`` (set on every change) and ``deleted_at`` (soft
delete: the row stays, the application hides it).

:data:`LANDING_QUERIES` reads each landing table of the contract from these tables. Each query
returns the contract's columns plus ``deleted_at`` (an extra landing column, kept in
``raw.<table>._extra``), ``_changed_at`` (the change time the incremental cursor follows: for
customers the later of the customer's and the address's ``updated_at``) and ``_key``.
Soft deletes are mapped onto what the contract can express (see docs/sources.md):
a deleted customer keeps its key but loses its personal data (erasure), a deleted product is
inactive, a deleted order is cancelled, a deleted order line is taken back (returned, reason
``deleted_in_source``, so it leaves net revenue); a deleted payment keeps its row with
``deleted_at`` set.
"""

from __future__ import annotations

SCHEMA = "shop"

DDL = """
create schema if not exists shop;

create table if not exists shop.customers (
    customer_id text primary key,
    email text,
    first_name text,
    last_name text,
    phone text,
    birth_date date,
    acquisition_channel text,
    loyalty_tier text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
);

create table if not exists shop.addresses (
    address_id text primary key,
    customer_id text not null references shop.customers (customer_id),
    kind text not null default 'primary',
    country_code text,
    region text,
    city text,
    postal_code text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz,
    unique (customer_id, kind)
);

create table if not exists shop.products (
    product_id text primary key,
    sku text,
    name text,
    category text,
    subcategory text,
    brand text,
    list_price numeric(18, 2) not null,
    unit_cost numeric(18, 2),
    stock_quantity bigint,
    is_active boolean not null default true,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
);

create table if not exists shop.orders (
    order_id text primary key,
    customer_id text not null references shop.customers (customer_id),
    placed_at timestamptz not null,
    status text not null,
    sales_channel text,
    currency text not null default 'USD',
    shipping_cost numeric(18, 2),
    tax_amount numeric(18, 2),
    ship_country_code text,
    ship_region text,
    ship_city text,
    promised_delivery_date date,
    shipped_at timestamptz,
    delivered_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
);

create table if not exists shop.order_lines (
    order_line_id text primary key,
    order_id text not null references shop.orders (order_id),
    product_id text not null references shop.products (product_id),
    quantity integer not null check (quantity >= 1),
    unit_price numeric(18, 2) not null,
    discount_amount numeric(18, 2) not null default 0,
    is_returned boolean not null default false,
    returned_at timestamptz,
    return_reason text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
);

create table if not exists shop.payments (
    payment_id text primary key,
    order_id text not null references shop.orders (order_id),
    method text,
    amount numeric(18, 2) not null,
    paid_at timestamptz not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
);

create index if not exists customers_changed on shop.customers (updated_at, customer_id);
create index if not exists addresses_changed on shop.addresses (updated_at, customer_id);
create index if not exists products_changed on shop.products (updated_at, product_id);
create index if not exists orders_changed on shop.orders (updated_at, order_id);
create index if not exists order_lines_changed on shop.order_lines (updated_at, order_line_id);
create index if not exists order_lines_order on shop.order_lines (order_id);
create index if not exists payments_changed on shop.payments (updated_at, payment_id);
create index if not exists payments_order on shop.payments (order_id);
"""

#: Contract-shaped read of each landing table (plus deleted_at, _changed_at, _key).
LANDING_QUERIES: dict[str, str] = {
    "customers": """
        select
            c.customer_id,
            case when c.deleted_at is null then c.email end as email,
            case when c.deleted_at is null then c.first_name end as first_name,
            case when c.deleted_at is null then c.last_name end as last_name,
            case when c.deleted_at is null then c.phone end as phone,
            case when c.deleted_at is null then c.birth_date end as birth_date,
            a.country_code,
            a.region,
            a.city,
            case when c.deleted_at is null then a.postal_code end as postal_code,
            c.acquisition_channel,
            c.loyalty_tier,
            c.created_at,
            greatest(c.updated_at, a.updated_at) as updated_at,
            c.deleted_at,
            greatest(c.updated_at, a.updated_at) as _changed_at,
            c.customer_id as _key
        from shop.customers as c
        left join shop.addresses as a
            on a.customer_id = c.customer_id and a.kind = 'primary'
    """,
    "products": """
        select
            p.product_id,
            p.sku,
            p.name as product_name,
            p.category,
            p.subcategory,
            p.brand,
            p.list_price as unit_price,
            p.unit_cost,
            p.stock_quantity,
            p.is_active and p.deleted_at is null as is_active,
            p.created_at,
            p.updated_at,
            p.deleted_at,
            p.updated_at as _changed_at,
            p.product_id as _key
        from shop.products as p
    """,
    "orders": """
        select
            o.order_id,
            o.customer_id,
            o.placed_at as order_ts,
            case when o.deleted_at is null then o.status else 'cancelled' end as order_status,
            (
                select pay.method from shop.payments as pay
                where pay.order_id = o.order_id and pay.deleted_at is null
                order by pay.amount desc, pay.payment_id
                limit 1
            ) as payment_method,
            o.sales_channel,
            o.currency,
            o.shipping_cost,
            o.tax_amount,
            o.ship_country_code,
            o.ship_region,
            o.ship_city,
            o.promised_delivery_date,
            o.shipped_at,
            o.delivered_at,
            o.updated_at,
            o.deleted_at,
            o.updated_at as _changed_at,
            o.order_id as _key
        from shop.orders as o
    """,
    "order_items": """
        select
            l.order_line_id as order_item_id,
            l.order_id,
            l.product_id,
            l.quantity,
            l.unit_price,
            l.discount_amount,
            l.is_returned or l.deleted_at is not null as is_returned,
            case when l.deleted_at is null then l.returned_at
                else coalesce(l.returned_at, l.deleted_at) end as returned_at,
            case when l.deleted_at is null or l.is_returned then l.return_reason
                else 'deleted_in_source' end as return_reason,
            l.updated_at,
            l.deleted_at,
            l.updated_at as _changed_at,
            l.order_line_id as _key
        from shop.order_lines as l
    """,
    "payments": """
        select
            pay.payment_id,
            pay.order_id,
            pay.method as payment_method,
            pay.amount,
            pay.paid_at,
            pay.deleted_at,
            pay.updated_at as _changed_at,
            pay.payment_id as _key
        from shop.payments as pay
    """,
}

#: Landing tables in extraction order (parents before children).
EXTRACT_TABLES: tuple[str, ...] = tuple(LANDING_QUERIES)
#: Extra landing columns every extracted table carries (kept in ``raw.<table>._extra``).
EXTRA_COLUMNS: tuple[str, ...] = ("deleted_at",)
#: Technical columns of the queries that are not written to landing files.
CURSOR_COLUMNS: tuple[str, ...] = ("_changed_at", "_key")


def page_sql(table: str) -> str:
    """A keyset page of ``table``'s changes: after a cursor, before a bound, in cursor order.

    Parameters: ``after_ts``, ``after_key`` (both null for the first page), ``before`` (null =
    no bound), ``limit``.
    """
    return f"""
        select * from ({LANDING_QUERIES[table]}) as changes
        where (
            %(after_ts)s::timestamptz is null
            or (_changed_at, _key) > (%(after_ts)s::timestamptz, %(after_key)s::text)
        )
        and (%(before)s::timestamptz is null or _changed_at < %(before)s::timestamptz)
        order by _changed_at, _key
        limit %(limit)s
    """


def create_schema(dsn: str) -> None:
    """Create the ``shop`` schema and tables (idempotent)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(DDL)
