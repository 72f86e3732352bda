"""The data API on real marts, on DuckDB and PostgreSQL: every endpoint's numbers equal the marts,
auth and scope rules, the data-quality empty state, and schemathesis over the OpenAPI schema.

A small shop is generated, loaded and built with the real dbt project once per module and
warehouse; expectations are independent SQL over the marts (``warehouse.query``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from ecommerce_pipeline import transform
from ecommerce_pipeline.api.main import create_app
from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.generate import GeneratorConfig, generate
from ecommerce_pipeline.ingest import load_landing
from ecommerce_pipeline.warehouse import connect_duckdb, connect_postgres, query

pytestmark = pytest.mark.integration

WAREHOUSES = [
    pytest.param(Target.DUCKDB, id="duckdb"),
    pytest.param(Target.POSTGRES, id="postgres", marks=pytest.mark.postgres),
]
PII_KEY = "pii-key-for-tests"
PLAIN_KEY = "plain-key-for-tests"
API_KEYS = f"{PII_KEY}:pii,{PLAIN_KEY}:"
PII = {"Accept": "application/json", "X-API-Key": PII_KEY}
PLAIN = {"Accept": "application/json", "X-API-Key": PLAIN_KEY}
START = date(2024, 1, 1)
#: Generated cases per API operation and mode (kept small: 2 shared cores).
MAX_EXAMPLES = {"positive": 20, "negative": 8}


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
        common: dict[str, Any] = {"landing_dir": self._landing, "api_keys": API_KEYS}
        if target is Target.POSTGRES:
            databases = self._request.getfixturevalue("pg_databases")
            settings = Settings(target=target, postgres_dsn=databases.create("api"), **common)
        else:
            path = self._tmp / "duckdb" / "ecommerce.duckdb"
            settings = Settings(target=target, duckdb_path=path, **common)
        assert load_landing(settings).reconciles
        result = transform.build(settings, target_dir=self._tmp / f"dbt-{target.value}")
        assert result.success, "dbt build failed:\n" + "\n".join(result.failures)
        return settings


@pytest.fixture(scope="module")
def warehouses(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouses]:
    landing = tmp_path_factory.mktemp("api-landing")
    generate(GeneratorConfig(out=landing, scale=0.005, days=90, seed=31, start=START))
    yield Warehouses(request, tmp_path_factory.mktemp("api-warehouses"), landing)


@pytest.fixture(scope="module", params=WAREHOUSES)
def built(request: pytest.FixtureRequest, warehouses: Warehouses) -> Settings:
    return warehouses.get(request.param)


@pytest.fixture(scope="module")
def client(built: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built)) as test_client:
        yield test_client


def _sql(settings: Settings, statement: str, params: list[Any] | None = None) -> list[dict]:
    """Independent expectation: rows of ``statement`` as dicts (psycopg placeholders)."""
    rows = query(settings, f"select * from ({statement}) as expected", params)
    names = _columns(settings, statement, params)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _columns(settings: Settings, statement: str, params: list[Any] | None) -> list[str]:
    if settings.target is Target.DUCKDB:
        with connect_duckdb(settings.duckdb_path, read_only=True) as con:
            text = statement.replace("%s", "?")
            cursor = con.execute(f"select * from ({text}) as expected limit 0", params or [])
            return [column[0] for column in cursor.description]
    with connect_postgres(settings.postgres_dsn) as conn:
        cursor = conn.execute(f"select * from ({statement}) as expected limit 0", params)
        return [column.name for column in cursor.description or []]


def _same(actual: Any, expected: Any) -> bool:
    """A JSON value equals a warehouse value (decimals exactly, dates as ISO text)."""
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, Decimal | float):
        return Decimal(str(actual)) == Decimal(str(expected))
    if isinstance(expected, datetime | date):
        return str(actual) == expected.isoformat()
    return actual == expected


def _assert_rows(actual: list[dict], expected: list[dict]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        for name, value in want.items():
            assert _same(got[name], value), f"{name}: API {got[name]!r} != marts {value!r}"


def _bounds(settings: Settings) -> tuple[date, date]:
    first, last = query(
        settings,
        "select min(period_start), max(period_start) from marts.sales_summary "
        "where period_grain = 'day'",
    )[0]
    return first, last


# --- KPIs and sales ---------------------------------------------------------------------------


def test_kpis_equal_the_sums_of_sales_summary(client: TestClient, built: Settings) -> None:
    _first, last = _bounds(built)
    start, end = last - timedelta(days=29), last
    body = client.get("/v1/kpis", headers=PLAIN).json()
    assert (body["start"], body["end"]) == (start.isoformat(), end.isoformat())
    assert body["previous_end"] == (start - timedelta(days=1)).isoformat()
    for window, (low, high) in (
        ("current", (start, end)),
        ("previous", (start - timedelta(days=30), start - timedelta(days=1))),
    ):
        expected = _sql(
            built,
            "select sum(orders) as orders, sum(revenue_orders) as revenue_orders, "
            "sum(cancelled_orders) as cancelled_orders, sum(net_revenue) as net_revenue, "
            "sum(gross_revenue) as gross_revenue, sum(gross_profit) as gross_profit, "
            "sum(units_sold) as units_sold, sum(returned_units) as returned_units, "
            "sum(new_customers) as new_customers, sum(tax_collected) as tax_collected "
            "from marts.sales_summary where period_grain = 'day' "
            "and period_start between %s and %s",
            [low, high],
        )[0]
        got = body[window]
        for name, value in expected.items():
            assert Decimal(str(got[name])) == Decimal(value or 0), (window, name)
        customers = query(
            built,
            "select count(distinct customer_id) from warehouse.fact_orders "
            "where is_revenue_order and order_date between %s and %s",
            [low, high],
        )[0][0]
        assert got["customers"] == customers
        aov = (Decimal(expected["net_revenue"]) / expected["revenue_orders"]).quantize(
            Decimal("0.01")
        )
        assert Decimal(str(got["avg_order_value"])) == aov
    current, previous = body["current"]["net_revenue"], body["previous"]["net_revenue"]
    assert body["change"]["net_revenue"] == pytest.approx((current - previous) / previous)


def test_kpis_by_channel_add_up_and_equal_the_order_facts(
    client: TestClient, built: Settings
) -> None:
    first, last = _bounds(built)
    span = {"start": first.isoformat(), "end": last.isoformat()}
    whole = client.get("/v1/kpis", params=span, headers=PLAIN).json()["current"]
    totals = {"orders": 0, "net_revenue": Decimal(0), "units_sold": 0}
    for channel in ("web", "mobile_app", "marketplace"):
        part = client.get("/v1/kpis", params={**span, "channel": channel}, headers=PLAIN).json()[
            "current"
        ]
        expected = _sql(
            built,
            "select count(*) as orders, sum(case when is_revenue_order then net_revenue "
            "else 0 end) as net_revenue from warehouse.fact_orders "
            "where sales_channel = %s and order_date between %s and %s",
            [channel, first, last],
        )[0]
        assert part["orders"] == expected["orders"]
        assert Decimal(str(part["net_revenue"])) == Decimal(expected["net_revenue"] or 0)
        assert part["new_customers"] is None
        totals["orders"] += part["orders"]
        totals["net_revenue"] += Decimal(str(part["net_revenue"]))
        totals["units_sold"] += part["units_sold"]
    assert totals["orders"] == whole["orders"]
    assert totals["net_revenue"] == Decimal(str(whole["net_revenue"]))
    assert totals["units_sold"] == whole["units_sold"]


@pytest.mark.parametrize("grain", ["day", "month", "quarter"])
def test_sales_rows_equal_sales_summary(client: TestClient, built: Settings, grain: str) -> None:
    body = client.get("/v1/sales", params={"grain": grain}, headers=PLAIN).json()
    expected = _sql(
        built,
        "select period_start, orders, revenue_orders, cancelled_orders, customers, "
        "new_customers, gross_revenue, net_revenue, gross_profit, avg_order_value, cancel_rate, "
        "units_sold, returned_units, return_rate, shipping_revenue, tax_collected "
        "from marts.sales_summary where period_grain = %s order by period_start",
        [grain],
    )
    _assert_rows(body["rows"], expected)


def test_sales_filtered_by_country_equal_the_order_facts(
    client: TestClient, built: Settings
) -> None:
    country = query(
        built,
        "select ship_country_code from warehouse.fact_orders group by ship_country_code "
        "order by count(*) desc, ship_country_code limit 1",
    )[0][0]
    body = client.get(
        "/v1/sales", params={"grain": "month", "country": country}, headers=PLAIN
    ).json()
    expected = _sql(
        built,
        "select order_month as period_start, count(*) as orders, "
        "count(distinct case when is_revenue_order then customer_id end) as customers, "
        "sum(case when is_revenue_order then net_revenue else 0 end) as net_revenue "
        "from warehouse.fact_orders where ship_country_code = %s "
        "group by order_month order by order_month",
        [country],
    )
    _assert_rows(body["rows"], expected)


def test_geography_payment_methods_fulfillment_equal_their_marts(
    client: TestClient, built: Settings
) -> None:
    geography = client.get("/v1/geography", headers=PLAIN).json()
    _assert_rows(
        geography,
        _sql(
            built,
            "select country_code, region, month, customers, orders, revenue_orders, "
            "net_revenue, avg_order_value from marts.geographic_performance "
            "order by month, country_code, region",
        ),
    )
    methods = client.get("/v1/payment-methods", headers=PLAIN).json()
    _assert_rows(
        methods,
        _sql(
            built,
            "select payment_method, sum(orders) as orders, sum(net_revenue) as net_revenue, "
            "sum(cancelled_orders) as cancelled_orders "
            "from marts.payment_method_performance group by payment_method "
            "order by sum(net_revenue) desc, payment_method",
        ),
    )
    shares = sum(Decimal(str(row["share_of_revenue"])) for row in methods)
    assert abs(shares - 1) <= Decimal("0.00001")  # each share is rounded to 6 places
    fulfillment = client.get("/v1/fulfillment", headers=PLAIN).json()
    _assert_rows(
        fulfillment,
        _sql(
            built,
            "select month, ship_country_code, shipped_orders, delivered_orders, "
            "avg_hours_to_ship, avg_hours_to_deliver, on_time_rate "
            "from marts.fulfillment_performance order by month, ship_country_code",
        ),
    )


# --- customers --------------------------------------------------------------------------------


def test_customer_pages_walk_every_customer_once(client: TestClient, built: Settings) -> None:
    expected = [row[0] for row in query(built, "select customer_id from marts.customer_summary")]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v1/customers", params=params, headers=PLAIN).json()
        seen += [item["customer_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(expected)
    assert pages == -(-len(expected) // 7)


def test_customers_by_segment_and_churn_risk(client: TestClient, built: Settings) -> None:
    segment = query(
        built,
        "select rfm_segment from marts.customer_summary group by rfm_segment "
        "order by count(*) desc, rfm_segment limit 1",
    )[0][0]
    body = client.get(
        "/v1/customers", params={"segment": segment, "limit": 500}, headers=PLAIN
    ).json()
    expected = query(
        built,
        "select customer_id from marts.customer_summary where rfm_segment = %s "
        "order by customer_id",
        [segment],
    )
    assert [item["customer_id"] for item in body["items"]] == [row[0] for row in expected]
    risky = client.get(
        "/v1/customers", params={"min_churn_probability": 0.5, "limit": 500}, headers=PLAIN
    ).json()["items"]
    count = query(
        built, "select count(*) from marts.customer_summary where churn_probability >= 0.5"
    )[0][0]
    assert len(risky) == count
    assert all(item["churn_probability"] >= 0.5 for item in risky)


def test_customer_360_equals_customer_summary_and_hides_pii_without_scope(
    client: TestClient, built: Settings
) -> None:
    customer_id = query(
        built, "select customer_id from marts.customer_summary order by order_count desc, 1"
    )[0][0]
    expected = _sql(
        built, "select * from marts.customer_summary where customer_id = %s", [customer_id]
    )[0]
    contact = _sql(
        built,
        "select email, first_name, last_name, phone from warehouse.dim_customers "
        "where customer_id = %s and is_current",
        [customer_id],
    )[0]
    plain = client.get(f"/v1/customers/{customer_id}", headers=PLAIN)
    private = client.get(f"/v1/customers/{customer_id}", headers=PII)
    assert plain.status_code == private.status_code == 200
    for body in (plain.json(), private.json()):
        for name in ("net_revenue", "rfm_segment", "predicted_clv", "churn_probability"):
            assert _same(body[name], expected[name]), name
        orders = query(
            built,
            "select count(*) from warehouse.fact_orders where customer_id = %s",
            [customer_id],
        )[0][0]
        assert len(body["recent_orders"]) == min(orders, 10)
    assert private.json()["contact"] == contact
    assert plain.json()["contact"] is None
    listed = client.get("/v1/customers", params={"limit": 500}, headers=PLAIN).text
    for value in (*contact.values(),):
        if value:
            assert value not in plain.text
            assert value not in listed
    listed_private = client.get("/v1/customers", params={"limit": 500}, headers=PII).json()
    mine = next(item for item in listed_private["items"] if item["customer_id"] == customer_id)
    assert mine["contact"] == contact


def test_segments_and_cohorts_equal_their_marts(client: TestClient, built: Settings) -> None:
    segments = client.get("/v1/segments", headers=PLAIN).json()
    _assert_rows(
        segments,
        _sql(
            built,
            "select rfm_segment, count(*) as customers, sum(net_revenue) as net_revenue "
            "from marts.customer_summary group by rfm_segment order by rfm_segment",
        ),
    )
    cohorts = client.get("/v1/cohorts", headers=PLAIN).json()
    _assert_rows(
        cohorts,
        _sql(
            built,
            "select cohort_month, months_since_first_order, cohort_size, active_customers, "
            "retention_rate, net_revenue from marts.cohort_retention "
            "order by cohort_month, months_since_first_order",
        ),
    )


# --- products ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "direction", "order"),
    [("net_revenue", "top", "desc"), ("margin_pct", "bottom", "asc")],
)
def test_product_ranking_follows_product_performance(
    client: TestClient, built: Settings, metric: str, direction: str, order: str
) -> None:
    body = client.get(
        "/v1/products/ranking",
        params={"metric": metric, "direction": direction, "limit": 5},
        headers=PLAIN,
    ).json()
    expected = _sql(
        built,
        "select product_id, net_revenue, units_sold, margin_pct, return_rate "
        "from marts.product_performance "
        f"order by {metric} {order} nulls last, product_id limit 5",
    )
    _assert_rows(body["items"], expected)


def test_product_detail_and_cross_sell_equal_their_marts(
    client: TestClient, built: Settings
) -> None:
    product_id = query(
        built,
        "select product_id from marts.product_affinity group by product_id "
        "order by count(*) desc, product_id limit 1",
    )[0][0]
    detail = client.get(f"/v1/products/{product_id}", headers=PLAIN).json()
    _assert_rows(
        [detail],
        _sql(built, "select * from marts.product_performance where product_id = %s", [product_id]),
    )
    partners = client.get(f"/v1/products/{product_id}/cross-sell", headers=PLAIN).json()
    _assert_rows(
        partners["partners"],
        _sql(
            built,
            "select related_product_id, orders_together, support, confidence, lift "
            "from marts.product_affinity where product_id = %s "
            "order by lift desc, orders_together desc, related_product_id limit 10",
            [product_id],
        ),
    )
    assert client.get("/v1/products/NOPE", headers=PLAIN).status_code == 404
    assert client.get("/v1/customers/NOPE", headers=PLAIN).status_code == 404


# --- data quality -----------------------------------------------------------------------------


def _execute(settings: Settings, statement: str, params: list[Any] | None = None) -> None:
    if settings.target is Target.DUCKDB:
        with connect_duckdb(settings.duckdb_path) as con:
            con.execute(statement.replace("%s", "?"), params or [])
        return
    with connect_postgres(settings.postgres_dsn, autocommit=True) as conn:
        conn.execute(statement, params)


def test_data_quality_empty_state_then_latest_run(client: TestClient, built: Settings) -> None:
    empty = client.get("/v1/data-quality", headers=PLAIN).json()
    assert empty == {
        "available": False,
        "run_id": None,
        "run_at": None,
        "checks": 0,
        "failed_checks": 0,
        "results": [],
        "quarantine_by_reason": [],
    }
    _execute(
        built,
        "create table marts.data_quality_results (run_id text, check_name text, model text, "
        "status text, failures bigint, run_at timestamp, severity text, check_type text, "
        "details text)",
    )
    try:
        reasons = '{"reasons": {"bad_email": 3, "negative_price": 1}}'
        for run_id, run_at, status, details in (
            ("r1", "2024-03-01 00:00:00", "fail", reasons),
            ("r2", "2024-03-02 00:00:00", "pass", reasons),
        ):
            for check, check_type in (("rows_quarantined", "quarantine"), ("not_null", "dbt")):
                _execute(
                    built,
                    "insert into marts.data_quality_results values "
                    "(%s, %s, 'raw.orders', %s, 0, cast(%s as timestamp), 'error', %s, %s)",
                    [
                        run_id,
                        check,
                        status if check_type == "dbt" else "warn",
                        run_at,
                        check_type,
                        details,
                    ],
                )
        body = client.get("/v1/data-quality", headers=PLAIN).json()
        assert body["available"] is True
        assert body["run_id"] == "r2"
        assert body["checks"] == 2
        assert body["failed_checks"] == 0
        assert {row["check_name"] for row in body["results"]} == {"rows_quarantined", "not_null"}
        assert body["quarantine_by_reason"] == [
            {"model": "raw.orders", "reason": "bad_email", "rows": 3},
            {"model": "raw.orders", "reason": "negative_price", "rows": 1},
        ]
    finally:
        _execute(built, "drop table marts.data_quality_results")


def test_responses_are_cached_per_scope_and_never_stale(
    client: TestClient, built: Settings
) -> None:
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    first = client.get("/v1/sales", params={"grain": "month"}, headers=PLAIN)
    hits = cache.hits
    again = client.get("/v1/sales", params={"grain": "month"}, headers=PLAIN)
    assert again.status_code == 200
    assert again.content == first.content
    assert cache.hits == hits + 1
    # The key is checked before the cache: a cached path still needs a known key.
    assert client.get("/v1/sales", params={"grain": "month"}).status_code == 401
    # The caller's scope is part of the key: a pii response never reaches a plain key.
    customer_id = query(built, "select min(customer_id) from marts.customer_summary")[0][0]
    assert client.get(f"/v1/customers/{customer_id}", headers=PII).json()["contact"]
    assert client.get(f"/v1/customers/{customer_id}", headers=PLAIN).json()["contact"] is None
    # A committed write gives a new version: the next response shows it, and so does the
    # next one after the write is undone.
    month = first.json()["rows"][0]
    change = "update marts.sales_summary set orders = orders + %s where period_grain = 'month' "
    change += "and period_start = %s"
    _execute(built, change, [1000, month["period_start"]])
    try:
        changed = client.get("/v1/sales", params={"grain": "month"}, headers=PLAIN).json()
        assert changed["rows"][0]["orders"] == month["orders"] + 1000
    finally:
        _execute(built, change, [-1000, month["period_start"]])
    restored = client.get("/v1/sales", params={"grain": "month"}, headers=PLAIN)
    assert restored.json()["rows"][0]["orders"] == month["orders"]
    # Errors are answered by the application every time, never from the cache.
    for _ in range(2):
        assert client.get("/v1/sales?grain=week", headers=PLAIN).status_code == 422


# --- auth and validation ----------------------------------------------------------------------


def test_every_data_endpoint_needs_a_known_key(client: TestClient) -> None:
    paths = [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if getattr(route, "path", "").startswith("/v1/")
    ]
    assert len(paths) >= 12
    for path in paths:
        concrete = path.replace("{customer_id}", "C1").replace("{product_id}", "P1")
        assert client.get(concrete).status_code == 401, path
        assert client.get(concrete, headers={"X-API-Key": "wrong-key-123"}).status_code == 401
    assert client.get("/health").status_code == 200


def test_invalid_parameters_get_a_422_naming_them(client: TestClient) -> None:
    cases = {
        "/v1/sales?grain=week": "grain",
        "/v1/kpis?start=2024-02-30": "start",
        "/v1/kpis?start=2024-03-01&end=2024-01-01": "start",
        "/v1/kpis?channel=fax": "channel",
        "/v1/customers?limit=0": "limit",
        "/v1/customers?cursor=not-a-cursor": "cursor",
        "/v1/customers?min_churn_probability=2": "min_churn_probability",
        "/v1/products/ranking?metric=price": "metric",
        "/v1/geography?country=usa": "country",
        "/v1/products/ranking?category=%00": "category",  # found by schemathesis (PostgreSQL)
    }
    for url, name in cases.items():
        response = client.get(url, headers=PLAIN)
        assert response.status_code == 422, url
        body = response.json()
        assert name in body["message"], (url, body)
        assert any(error["loc"][-1] == name for error in body["detail"]), (url, body)


@pytest.mark.postgres
def test_both_warehouses_answer_the_same(warehouses: Warehouses) -> None:
    answers = []
    for target in (Target.DUCKDB, Target.POSTGRES):
        with TestClient(create_app(warehouses.get(target))) as test_client:
            answers.append(
                [
                    test_client.get(url, headers=PII).json()
                    for url in (
                        "/v1/kpis",
                        "/v1/sales?grain=month",
                        "/v1/customers?limit=20",
                        "/v1/segments",
                        "/v1/products/ranking?metric=gross_profit",
                        "/v1/payment-methods",
                    )
                ]
            )
    assert answers[0] == answers[1]


# --- schemathesis -----------------------------------------------------------------------------


def _enum_values(parameter: dict[str, Any]) -> list[Any]:
    schema = parameter.get("schema", {})
    options = schema.get("anyOf", [schema])
    return [value for option in options for value in option.get("enum", [])]


def test_every_enum_value_of_every_parameter_is_served(client: TestClient) -> None:
    """A deterministic sweep beside the random one: each enum value of each query parameter."""
    schema = client.get("/openapi.json").json()
    requests = 0
    for path, item in schema["paths"].items():
        if "{" in path:
            continue
        for parameter in item["get"].get("parameters", []):
            for value in _enum_values(parameter):
                response = client.get(path, params={parameter["name"]: value}, headers=PII)
                assert response.status_code == 200, (path, parameter["name"], value)
                requests += 1
    assert requests >= 30


def test_schemathesis_finds_no_server_error(client: TestClient) -> None:
    """Generated requests for every operation (a few each): no 5xx, responses match the schema."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    for operation, mode in itertools.product(operations, modes):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES[mode.value],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def generated(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"X-API-Key": PII_KEY},
                checks=[
                    schemathesis.checks.not_a_server_error,
                    schemathesis.checks.response_schema_conformance,
                ],
            )

        try:
            generated()
        except Unsatisfiable:
            # No invalid request exists for an operation without parameters (e.g. /health).
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label


# --- business report (same marts, same warehouses) --------------------------------------------


def test_business_report_is_self_contained_and_equals_the_marts(
    built: Settings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ecommerce_pipeline.cli import app

    month, net, orders, new_customers = query(
        built,
        "select period_start, net_revenue, orders, new_customers from marts.sales_summary "
        "where period_grain = 'month' order by period_start desc limit 1 offset 1",
    )[0]
    flags = (
        ["--duckdb-path", str(built.duckdb_path)]
        if built.target is Target.DUCKDB
        else ["--postgres-dsn", built.postgres_dsn]
    )
    result = CliRunner().invoke(
        app,
        ["report", "business", "--month", f"{month:%Y-%m}", "--out", str(tmp_path),
         "--target", built.target.value, *flags],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = (tmp_path / f"business-{month:%Y-%m}.html").read_text(encoding="utf-8")
    assert f"${Decimal(net):,.2f}" in html
    assert f">{orders:,}<" in html
    assert f">{new_customers:,}<" in html
    top = query(
        built,
        "select products.product_name from warehouse.agg_product_months as months "
        "join marts.product_performance as products using (product_id) "
        "where months.order_month = %s order by months.net_revenue desc, product_id limit 1",
        [month],
    )[0][0]
    assert escape(top) in html
    assert html.count("<svg") >= 3
    for external in ("<script", "src=", "href=", "@import"):
        assert external not in html
