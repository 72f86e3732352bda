"""Distributions of a generated run stay within the documented bounds (see the report / docs).

One run (scale 0.05, September to April so both the Nov-Dec peak and ordinary months are in):

=========================================  ================
items (lines) per order, mean              2.0 .. 3.0
cancelled orders                            2% .. 7%
returned units per category                 configured rate +- 4 binomial sd, Fashion highest,
                                            Grocery lowest
orders per weekend day / per weekday        1.15 .. 1.6
orders per day Nov-Dec / other months       1.25 .. 2.5
one-time buyers among buyers                45% .. 75%
units of the top 10% products               > 40%
lift of the catalog's complement pairs      median > 5 (pairs seen in >= 5 orders)
customers with at least one change          20% .. 40%
discounted lines                            8% .. 30%
deliveries on or before the promised date   80% .. 97%
=========================================  ================
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import numpy as np
import pytest

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.generate.catalog import CATEGORIES, Catalog
from ecommerce_pipeline.generate.config import Sizes
from ecommerce_pipeline.generate.runner import RandomStreams
from ecommerce_pipeline.generate.seasonality import Horizon

pytestmark = pytest.mark.unit

CONFIG = {"scale": 0.05, "start": date(2024, 9, 1), "days": 240, "seed": 11}
KEYS = {"customers": "customer_id", "products": "product_id", "orders": "order_id"}
KEYS["order_items"] = "order_item_id"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> GeneratorConfig:
    config = GeneratorConfig(out=tmp_path_factory.mktemp("landing"), **CONFIG)  # type: ignore[arg-type]
    generate(config)
    return config


@pytest.fixture(scope="module")
def con(run: GeneratorConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name in CORE_TABLES:
        connection.execute(
            f"create table {name}_all as select * from read_csv('{run.out}/{name}/*/*.csv',"
            " header = true)"
        )
        connection.execute(
            f"create table {name} as select * from {name}_all qualify row_number() over"
            f" (partition by {KEYS[name]} order by updated_at desc) = 1"
        )
    yield connection
    connection.close()


def value(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    assert row is not None
    return float(row[0])


def test_items_per_order(con: duckdb.DuckDBPyConnection) -> None:
    mean = value(con, "select count(*) / count(distinct order_id) from order_items")
    assert 2.0 <= mean <= 3.0
    assert value(con, "select max(quantity) from order_items") <= 6


def test_cancel_rate(con: duckdb.DuckDBPyConnection) -> None:
    rate = value(con, "select avg((order_status = 'cancelled')::int) from orders")
    assert 0.02 <= rate <= 0.07


def test_return_rate_per_category(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select p.category, sum(i.quantity) units, sum(i.quantity) filter (i.is_returned) returned"
        " from order_items i join orders o using (order_id) join products p using (product_id)"
        " where o.order_status in ('delivered', 'returned') group by 1"
    ).fetchall()
    configured = {category.name: category.return_rate for category in CATEGORIES}
    observed = {}
    for category, units, returned in rows:
        rate = (returned or 0) / units
        expected = configured[category]
        tolerance = 4 * np.sqrt(expected * (1 - expected) / units) * 1.6  # units come in lines
        assert abs(rate - expected) <= tolerance, (category, rate, expected)
        observed[category] = rate
    assert max(observed, key=observed.__getitem__) == "Fashion"
    assert min(observed, key=observed.__getitem__) == "Grocery"


def test_weekend_effect(con: duckdb.DuckDBPyConnection) -> None:
    ratio = value(
        con,
        "select avg(n) filter (isodow(d) >= 6) / avg(n) filter (isodow(d) < 6) from"
        " (select order_ts::date d, count(*) n from orders group by 1)",
    )
    assert 1.15 <= ratio <= 1.6


def test_november_december_peak(con: duckdb.DuckDBPyConnection) -> None:
    ratio = value(
        con,
        "select avg(n) filter (month(d) in (11, 12)) / avg(n) filter (month(d) not in (11, 12))"
        " from (select order_ts::date d, count(*) n from orders group by 1)",
    )
    assert 1.25 <= ratio <= 2.5
    december, january = (
        value(con, f"select count(*) / count(distinct order_ts::date) from orders{month(m)}")
        for m in (12, 1)
    )
    assert january < 0.8 * december  # the January dip


def month(number: int) -> str:
    return f" where month(order_ts) = {number}"


def test_one_time_buyers(con: duckdb.DuckDBPyConnection) -> None:
    share = value(
        con,
        "select avg((n = 1)::int) from (select customer_id, count(*) n from orders"
        " where order_status <> 'cancelled' group by 1)",
    )
    assert 0.45 <= share <= 0.75
    never = value(
        con,
        "select count(*) from customers where customer_id not in (select customer_id from orders)",
    )
    assert never > 0


def test_long_tail_popularity(con: duckdb.DuckDBPyConnection) -> None:
    top_share = value(
        con,
        "with units as (select product_id, sum(quantity) q from order_items group by 1),"
        " ranked as (select q, row_number() over (order by q desc) rank from units)"
        " select sum(q) filter (rank <= (select count(*) from products) * 0.1) / sum(q)"
        " from ranked",
    )
    assert top_share > 0.4


def test_complement_pairs_have_high_lift(
    run: GeneratorConfig, con: duckdb.DuckDBPyConnection
) -> None:
    catalog = Catalog(
        Sizes.of(run).products, Horizon(run.start, run.days), RandomStreams(run.seed)("catalog")
    )
    pairs = [
        (f"P{product + 1:07d}", f"P{complement + 1:07d}")
        for product, complement in enumerate(catalog.complement)
        if complement >= 0
    ]
    con.execute("create temp table complement_pairs (a varchar, b varchar)")
    con.executemany("insert into complement_pairs values (?, ?)", pairs)
    lifts = con.execute(
        "with orders_of as (select distinct i.order_id, i.product_id from order_items i"
        " join orders o using (order_id) where o.order_status <> 'cancelled'),"
        " total as (select count(distinct order_id) n from orders_of),"
        " support as (select product_id, count(*) n from orders_of group by 1),"
        " together as (select c.a, c.b, count(*) n from complement_pairs c"
        " join orders_of x on x.product_id = c.a join orders_of y on y.product_id = c.b"
        " and y.order_id = x.order_id group by 1, 2)"
        " select t.n * total.n / (sa.n * sb.n) from together t, total"
        " join support sa on sa.product_id = t.a join support sb on sb.product_id = t.b"
        " where t.n >= 5"
    ).fetchall()
    assert len(lifts) >= 5
    assert float(np.median([row[0] for row in lifts])) > 5


def test_share_of_customers_who_change(con: duckdb.DuckDBPyConnection) -> None:
    share = value(
        con,
        "select avg((n > 1)::int) from (select customer_id, count(*) n from customers_all"
        " group by 1)",
    )
    assert 0.2 <= share <= 0.4


def test_discounts_and_on_time_delivery(con: duckdb.DuckDBPyConnection) -> None:
    discounted = value(con, "select avg((discount_amount > 0)::int) from order_items")
    assert 0.08 <= discounted <= 0.30
    on_time = value(
        con,
        "select avg((delivered_at::date <= promised_delivery_date)::int) from orders"
        " where delivered_at is not null",
    )
    assert 0.80 <= on_time <= 0.97


def test_several_countries_payment_methods_and_channels(con: duckdb.DuckDBPyConnection) -> None:
    countries = con.execute(
        "select ship_country_code, count(*) from orders group by 1 order by 2 desc"
    ).fetchall()
    assert len(countries) == 10 and countries[0][0] == "US"
    payments = dict(
        con.execute("select payment_method, avg(1) * count(*) from orders group by 1").fetchall()
    )
    assert len(payments) == 8 and max(payments, key=payments.__getitem__) == "credit_card"
    channels = dict(
        con.execute(
            "select sales_channel, count(*) / (select count(*) from orders) from orders group by 1"
        ).fetchall()
    )
    assert 0.05 <= channels["marketplace"] <= 0.15 and channels["web"] > channels["marketplace"]
