"""The business marts on real generated data, on DuckDB and PostgreSQL.

A small synthetic shop is generated, loaded with the real loader and built with the real dbt
project (every dbt test runs: contracts, unit tests, reconciliations). The marts are then checked
against an independent recomputation in Python from the raw layer (net revenue, AOV, cohort
retention, RFM scores and segments), and the marts of the two warehouses must be identical.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import yaml

from ecommerce_pipeline import transform
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.ingest import load_landing
from ecommerce_pipeline.warehouse import connect_duckdb, connect_postgres, query

pytestmark = pytest.mark.integration

WAREHOUSES = [
    pytest.param(Target.DUCKDB, id="duckdb"),
    pytest.param(Target.POSTGRES, id="postgres", marks=pytest.mark.postgres),
]
START = date(2024, 1, 1)
MARTS = (
    "customer_summary",
    "product_performance",
    "sales_summary",
    "cohort_retention",
    "payment_method_performance",
    "geographic_performance",
    "fulfillment_performance",
    "product_affinity",
)
#: The warehouse layer's tables, every one under an enforced contract.
WAREHOUSE_MODELS = (
    "dim_customers",
    "dim_products",
    "dim_date",
    "dim_date_holidays",
    "fact_orders",
    "fact_order_items",
    "fact_inventory_snapshots",
    "orphan_records",
)
CONTRACT_YMLS = {
    "marts": transform.PROJECT_DIR / "models" / "marts" / "_marts__models.yml",
    "warehouse": transform.PROJECT_DIR / "models" / "warehouse" / "_warehouse__models.yml",
}
CENT = Decimal("0.01")
RATE = Decimal("0.000001")


@dataclass(frozen=True)
class Order:
    """The latest version of an order, with its lines' revenue, from the raw layer."""

    order_id: str
    customer_id: str
    order_date: date
    is_revenue: bool
    net_revenue: Decimal
    gross_revenue: Decimal


class Warehouses:
    """Builds each target's warehouse once per module, on first use."""

    def __init__(self, request: pytest.FixtureRequest, tmp: Path, landing: Path) -> None:
        self._request = request
        self._tmp = tmp
        self._landing = landing
        self._built: dict[Target, Settings] = {}

    def get(self, target: Target) -> Settings:
        if target not in self._built:
            self._built[target] = self._build(target)
        return self._built[target]

    def _build(self, target: Target) -> Settings:
        if target is Target.POSTGRES:
            databases = self._request.getfixturevalue("pg_databases")
            settings = Settings(
                target=target, postgres_dsn=databases.create("marts"), landing_dir=self._landing
            )
        else:
            settings = Settings(
                target=target,
                duckdb_path=self._tmp / "duckdb" / "ecommerce.duckdb",
                landing_dir=self._landing,
            )
        assert load_landing(settings).reconciles
        result = transform.build(settings, target_dir=self._tmp / f"dbt-{target.value}")
        assert result.success, "dbt build failed:\n" + "\n".join(result.failures)
        return settings


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 days of a small synthetic shop."""
    out = tmp_path_factory.mktemp("marts-landing")
    generate(GeneratorConfig(out=out, scale=0.01, days=120, seed=23, start=START))
    return out


@pytest.fixture(scope="module")
def warehouses(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, landing: Path
) -> Iterator[Warehouses]:
    yield Warehouses(request, tmp_path_factory.mktemp("marts-warehouses"), landing)


def _latest(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Latest version per key: rows are (key, updated_at, source_file, source_line, ...)."""
    latest: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        key = row[0].strip()
        if key not in latest or row[1:4] > latest[key][1:4]:
            latest[key] = row
    return latest


def _raw_orders(settings: Settings) -> list[Order]:
    """Every order of the raw layer (latest versions, unknown customers/products left out)."""
    customers = {row[0].strip() for row in query(settings, "select customer_id from raw.customers")}
    products = {row[0].strip() for row in query(settings, "select product_id from raw.products")}
    orders = _latest(
        query(
            settings,
            "select order_id, updated_at, _source_file, _source_line, customer_id, order_ts,"
            " order_status from raw.orders",
        )
    )
    items = _latest(
        query(
            settings,
            "select order_item_id, updated_at, _source_file, _source_line, order_id, product_id,"
            " quantity, unit_price, discount_amount, is_returned from raw.order_items",
        )
    )
    net: dict[str, Decimal] = defaultdict(Decimal)
    gross: dict[str, Decimal] = defaultdict(Decimal)
    for *_, order_id, product_id, quantity, unit_price, discount, is_returned in items.values():
        if product_id.strip() not in products:
            continue
        amount = quantity * unit_price
        gross[order_id.strip()] += amount
        if not is_returned:
            net[order_id.strip()] += amount - (discount or 0)
    result = []
    for order_id, (*_, customer_id, order_ts, status) in orders.items():
        if customer_id.strip() not in customers:
            continue
        is_revenue = status.strip().lower() != "cancelled"
        result.append(
            Order(
                order_id=order_id,
                customer_id=customer_id.strip(),
                order_date=order_ts.date(),
                is_revenue=is_revenue,
                net_revenue=net[order_id] if is_revenue else Decimal(0),
                gross_revenue=gross[order_id] if is_revenue else Decimal(0),
            )
        )
    return result


def _month(day: date) -> date:
    return day.replace(day=1)


def _ntile(keys: list[tuple[Any, ...]], buckets: int = 5) -> dict[Any, int]:
    """SQL ntile(buckets) over rows sorted by key; each key's last element is its id."""
    ordered = sorted(keys)
    size, larger = divmod(len(ordered), buckets)
    scores, position = {}, 0
    for bucket in range(1, buckets + 1):
        count = size + (1 if bucket <= larger else 0)
        for key in ordered[position : position + count]:
            scores[key[-1]] = bucket
        position += count
    return scores


def _segment(r: int, f: int, m: int) -> str:
    """The documented map (models/marts/_marts__docs.md), written out as its table."""
    band = 1 if f + m <= 3 else 2 if f + m <= 5 else 3 if f + m <= 7 else 4
    table = {
        5: ("New Customers", "Potential Loyalists", "Loyal Customers", "Champions"),
        4: ("Promising", "Potential Loyalists", "Loyal Customers", "Champions"),
        3: ("About to Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"),
        2: ("Hibernating", "About to Sleep", "At Risk", "At Risk"),
        1: ("Lost", "Hibernating", "At Risk", "Cannot Lose Them"),
    }
    return table[r][band - 1]


def _ratio(numerator: Decimal | int, denominator: Decimal | int, unit: Decimal) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(unit, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("target", WAREHOUSES)
def test_marts_build_with_every_dbt_test_passing(warehouses: Warehouses, target: Target) -> None:
    settings = warehouses.get(target)
    for mart in MARTS:
        rows = query(settings, f"select count(*) from marts.{mart}")[0][0]
        assert rows > 0, f"marts.{mart} is empty"


@pytest.mark.parametrize("target", WAREHOUSES)
def test_unit_tests_keep_their_pinned_date_when_a_run_passes_as_of(
    warehouses: Warehouses, target: Target, tmp_path: Path
) -> None:
    """The run's as-of date, as `--vars as_of_date` or as the environment variable `ecom
    transform` and the DAG set, must not leak into the unit tests' fixtures."""
    settings = warehouses.get(target)
    as_of = {"as_of_date": "2024-02-29"}
    for args, env in (
        (["--vars", json.dumps(as_of)], {}),
        ([], transform.build_dates_env(as_of=date(2024, 2, 29))),
    ):
        result = transform.run_dbt(
            settings,
            ["test", "--select", "test_type:unit", *args],
            target_dir=tmp_path / "dbt",
            env=env,
        )
        assert result.success, "\n".join(result.failures)
        assert sum(outcome.resource_type == "unit_test" for outcome in result.results) >= 10


@pytest.mark.parametrize("target", WAREHOUSES)
def test_net_revenue_and_aov_match_a_recomputation_from_raw(
    warehouses: Warehouses, target: Target
) -> None:
    settings = warehouses.get(target)
    orders = _raw_orders(settings)
    days: dict[date, list[Order]] = defaultdict(list)
    months: dict[date, list[Order]] = defaultdict(list)
    for order in orders:
        days[order.order_date].append(order)
        months[_month(order.order_date)].append(order)

    marts = {
        (grain, start): (orders_, revenue_orders, net, gross, aov)
        for grain, start, orders_, revenue_orders, net, gross, aov in query(
            settings,
            "select period_grain, period_start, orders, revenue_orders, net_revenue,"
            " gross_revenue, avg_order_value from marts.sales_summary"
            " where period_grain in ('day', 'month')",
        )
    }
    expected = {}
    for grain, periods in (("day", days), ("month", months)):
        for start, members in periods.items():
            revenue_orders = sum(order.is_revenue for order in members)
            net = sum((order.net_revenue for order in members), Decimal(0))
            gross = sum((order.gross_revenue for order in members), Decimal(0))
            aov = _ratio(net, revenue_orders, CENT) if revenue_orders else None
            expected[(grain, start)] = (len(members), revenue_orders, net, gross, aov)
    assert marts == expected
    total = query(settings, "select sum(net_revenue) from marts.customer_summary")[0][0]
    assert total == sum((order.net_revenue for order in orders), Decimal(0))


@pytest.mark.parametrize("target", WAREHOUSES)
def test_cohort_retention_matches_a_recomputation_from_raw(
    warehouses: Warehouses, target: Target
) -> None:
    settings = warehouses.get(target)
    active: dict[str, set[date]] = defaultdict(set)
    for order in _raw_orders(settings):
        if order.is_revenue:
            active[order.customer_id].add(_month(order.order_date))
    cohorts: dict[date, list[str]] = defaultdict(list)
    for customer_id, months in active.items():
        cohorts[min(months)].append(customer_id)

    rows = query(
        settings,
        "select cohort_month, months_since_first_order, activity_month, cohort_size,"
        " active_customers, retention_rate from marts.cohort_retention",
    )
    assert rows, "cohort_retention is empty"
    for cohort, since, activity, size, active_customers, rate in rows:
        members = cohorts[cohort]
        assert since == (activity.year - cohort.year) * 12 + activity.month - cohort.month
        expected_active = sum(activity in active[customer] for customer in members)
        assert (size, active_customers) == (len(members), expected_active), (cohort, since)
        assert rate == _ratio(expected_active, len(members), RATE)
        if since == 0:
            assert rate == 1
    assert {row[0] for row in rows} == set(cohorts)


@pytest.mark.parametrize("target", WAREHOUSES)
def test_rfm_scores_and_segments_match_a_recomputation_from_raw(
    warehouses: Warehouses, target: Target
) -> None:
    settings = warehouses.get(target)
    orders = _raw_orders(settings)
    as_of = max(order.order_date for order in orders).toordinal() + 1
    last: dict[str, date] = {}
    frequency: dict[str, int] = defaultdict(int)
    monetary: dict[str, Decimal] = defaultdict(Decimal)
    for order in orders:
        if order.is_revenue:
            customer = order.customer_id
            last[customer] = max(last.get(customer, order.order_date), order.order_date)
            frequency[customer] += 1
            monetary[customer] += order.net_revenue
    recency = {customer: as_of - day.toordinal() for customer, day in last.items()}
    ids = {customer: customer.encode() for customer in last}
    r_scores = _ntile([(-recency[c], ids[c], c) for c in last])
    f_scores = _ntile([(frequency[c], ids[c], c) for c in last])
    m_scores = _ntile([(monetary[c], ids[c], c) for c in last])

    rows = query(
        settings,
        "select customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,"
        " rfm_segment, is_churned from marts.customer_summary",
    )
    assert {row[0] for row in rows} == set(last)
    for customer, days, freq, money, r, f, m, segment, churned in rows:
        assert (days, freq, money) == (recency[customer], frequency[customer], monetary[customer])
        assert (r, f, m) == (r_scores[customer], f_scores[customer], m_scores[customer])
        assert segment == _segment(r, f, m)
        assert churned == (days > 180)


def _declared_constraints() -> set[tuple[str, str, str, str]]:
    """(schema, model, column, not_null | check) of every column constraint of the enforced
    contracts: every mart and every warehouse table."""
    declared: set[tuple[str, str, str, str]] = set()
    for schema, path in CONTRACT_YMLS.items():
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            if not model.get("config", {}).get("contract", {}).get("enforced"):
                continue
            for column in model["columns"]:
                for constraint in column.get("constraints", []):
                    declared.add((schema, model["name"], column["name"], constraint["type"]))
    return declared


def _warehouse_constraints(settings: Settings) -> set[tuple[str, str, str, str]]:
    """(schema, table, column, not_null | check) of the NOT NULL and column CHECK constraints."""
    if settings.target is Target.DUCKDB:
        rows = query(
            settings,
            "select schema_name, table_name, unnest(constraint_column_names), constraint_type"
            " from duckdb_constraints()"
            " where schema_name in ('marts', 'warehouse')"
            " and constraint_type in ('NOT NULL', 'CHECK')",
        )
    else:
        rows = query(
            settings,
            "select table_schema, table_name, column_name, 'NOT NULL'"
            " from information_schema.columns"
            " where table_schema in ('marts', 'warehouse') and is_nullable = 'NO'"
            " union all"
            " select nsp.nspname, rel.relname, att.attname, 'CHECK' from pg_constraint as con"
            " join pg_class as rel on rel.oid = con.conrelid"
            " join pg_namespace as nsp on nsp.oid = rel.relnamespace"
            " join pg_attribute as att"
            "   on att.attrelid = con.conrelid and att.attnum = any(con.conkey)"
            " where nsp.nspname in ('marts', 'warehouse') and con.contype = 'c'",
        )
    kinds = {"NOT NULL": "not_null", "CHECK": "check"}
    return {(schema, table, column, kinds[kind]) for schema, table, column, kind in rows}


@pytest.mark.parametrize("target", WAREHOUSES)
def test_contract_constraints_are_in_the_warehouse_and_reject_bad_rows(
    warehouses: Warehouses, target: Target
) -> None:
    """The contracts' not-null and range checks replace column tests on the marts and the
    warehouse tables: the warehouse holds every declared one and refuses a write that breaks
    one (a build or an incremental insert fails the same way)."""
    settings = warehouses.get(target)
    declared = _declared_constraints()
    assert {model for _, model, _, _ in declared} == {*MARTS, *WAREHOUSE_MODELS}
    assert len(declared) > 170
    assert _warehouse_constraints(settings) >= declared
    breaking = (
        "update marts.customer_summary set net_revenue = -1",
        "update marts.customer_summary set r_score = 6",
        "update marts.sales_summary set orders = null",
        "update warehouse.fact_orders set gross_revenue = -0.01",
        "update warehouse.fact_order_items set order_id = null",
        "update warehouse.dim_products set unit_cost = -1",
        "update warehouse.dim_customers set valid_to = null",
        "update warehouse.dim_date set day_of_week = 8",
        "update warehouse.fact_inventory_snapshots set stock_quantity = -1",
        "insert into warehouse.orphan_records (table_name, record_id, reason, referenced_id)"
        " values ('orders', 'O1', 'misfiled', 'C1')",
    )
    for statement in breaking:
        if settings.target is Target.DUCKDB:
            connection = connect_duckdb(Path(settings.duckdb_path))
            try:
                with pytest.raises(duckdb.ConstraintException):
                    connection.execute(statement)
            finally:
                connection.close()
        else:
            refused = (psycopg.errors.CheckViolation, psycopg.errors.NotNullViolation)
            with connect_postgres(settings.postgres_dsn) as pg:
                with pytest.raises(refused):
                    pg.execute(statement)
                pg.rollback()


def _export(settings: Settings, mart: str) -> bytes:
    """A mart as CSV, rows sorted in Python (collation-independent)."""
    columns = [
        row[0]
        for row in query(
            settings,
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = %s order by ordinal_position",
            [mart],
        )
    ]
    rows = query(settings, f"select {', '.join(columns)} from marts.{mart}")
    text = [["" if value is None else str(value) for value in row] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(sorted(text))
    return buffer.getvalue().encode()


@pytest.mark.postgres
def test_marts_are_identical_on_duckdb_and_postgres(warehouses: Warehouses) -> None:
    duckdb_settings = warehouses.get(Target.DUCKDB)
    postgres_settings = warehouses.get(Target.POSTGRES)
    for mart in MARTS:
        assert _export(duckdb_settings, mart) == _export(postgres_settings, mart), mart
