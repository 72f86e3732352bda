"""The dbt warehouse layer on real generated data, on DuckDB and PostgreSQL.

Generated landing files are loaded with the real loader and built with the real dbt project
(through ecommerce_pipeline.transform). Covered: a full build passes every dbt test (unit tests,
reconciliations); SCD2 invariants; an incremental run equals a full rebuild; re-running changes
nothing; a backfill re-processes just its date range; a day-by-day build equals one full build
and a --full-refresh, down to the bytes of every marts table exported as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

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
#: Warehouse tables compared between builds (lineage column _loaded_at left out).
WAREHOUSE_TABLES = (
    "warehouse.dim_customers",
    "warehouse.dim_products",
    "warehouse.dim_date",
    "warehouse.fact_orders",
    "warehouse.fact_order_items",
    "warehouse.fact_inventory_snapshots",
    "warehouse.orphan_records",
    "snapshots.snap_customer_versions",
    "snapshots.snap_product_versions",
)
LINEAGE_COLUMNS = frozenset({"_loaded_at"})
#: dbt build without the tests: the day-by-day loops only need the data.
BUILD_WITHOUT_TESTS = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 days of a small synthetic shop."""
    out = tmp_path_factory.mktemp("landing")
    generate(GeneratorConfig(out=out, scale=0.005, days=60, seed=11, start=START))
    return out


@pytest.fixture
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, landing: Path) -> Settings:
    """Settings of a fresh, empty warehouse of the parametrized target."""
    return _fresh_settings(request, request.param, tmp_path, landing, "wh")


def _fresh_settings(
    request: pytest.FixtureRequest, target: Target, tmp_path: Path, landing: Path, label: str
) -> Settings:
    if target is Target.POSTGRES:
        databases = request.getfixturevalue("pg_databases")
        return Settings(target=target, postgres_dsn=databases.create(label), landing_dir=landing)
    return Settings(
        target=target, duckdb_path=tmp_path / label / "ecommerce.duckdb", landing_dir=landing
    )


def _target_dir(settings: Settings, tmp_path: Path) -> Path:
    return tmp_path / f"dbt-target-{settings.target.value}"


def _build(settings: Settings, tmp_path: Path, **options: Any) -> transform.TransformResult:
    result = transform.build(settings, target_dir=_target_dir(settings, tmp_path), **options)
    assert result.success, "dbt build failed:\n" + "\n".join(result.failures)
    return result


def _build_without_tests(settings: Settings, tmp_path: Path, *extra: str) -> None:
    result = transform.run_dbt(
        settings, [*BUILD_WITHOUT_TESTS, *extra], target_dir=_target_dir(settings, tmp_path)
    )
    assert result.success, "dbt build failed:\n" + "\n".join(result.failures)


def _load(settings: Settings, since: date | None = None, until: date | None = None) -> None:
    report = load_landing(settings, since=since, until=until)
    assert report.reconciles


def _columns(settings: Settings, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = query(
        settings,
        "select column_name from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, name],
    )
    return [row[0] for row in rows]


def _dump(settings: Settings, tables: tuple[str, ...] = WAREHOUSE_TABLES) -> dict[str, list]:
    """Every row of the tables (lineage columns left out), fully ordered."""
    dumped = {}
    for table in tables:
        columns = [name for name in _columns(settings, table) if name not in LINEAGE_COLUMNS]
        assert columns, f"{table} is missing"
        listing = ", ".join(columns)
        dumped[table] = query(settings, f"select {listing} from {table} order by {listing}")
    return dumped


def _marts_tables(settings: Settings) -> list[str]:
    rows = query(
        settings,
        "select table_name from information_schema.tables where table_schema = 'marts'"
        " order by table_name",
    )
    return [f"marts.{row[0]}" for row in rows]


def _export_csv(settings: Settings, tables: list[str]) -> dict[str, bytes]:
    """Each table as CSV bytes, rows ordered by every column (a total order of its grain)."""
    exports = {}
    for table in tables:
        columns = _columns(settings, table)
        listing = ", ".join(columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(query(settings, f"select {listing} from {table} order by {listing}"))
        exports[table] = buffer.getvalue().encode()
    return exports


def _execute(settings: Settings, statement: str) -> None:
    """Run one writing statement on the warehouse (used to tamper with a fact)."""
    if settings.target is Target.DUCKDB:
        with connect_duckdb(settings.duckdb_path) as con:
            con.execute(statement)
    else:
        with connect_postgres(settings.postgres_dsn, autocommit=True) as conn:
            conn.execute(statement)


def _days(landing: Path) -> list[date]:
    """The business days that have order files."""
    return sorted(
        date.fromisoformat(path.name) for path in landing.glob("orders/*") if path.is_dir()
    )


def _scalar(settings: Settings, statement: str) -> Any:
    return query(settings, statement)[0][0]


def _scalar_params(settings: Settings, statement: str, params: list[Any]) -> Any:
    return query(settings, statement, params)[0][0]


@pytest.mark.parametrize("warehouse", WAREHOUSES, indirect=True)
def test_full_build_passes_every_test_and_keeps_scd2_invariants(
    warehouse: Settings, tmp_path: Path
) -> None:
    _load(warehouse)
    result = _build(warehouse, tmp_path)

    kinds = {outcome.resource_type for outcome in result.results}
    assert {"model", "test", "unit_test", "snapshot", "seed"} <= kinds
    assert sum(outcome.resource_type == "test" for outcome in result.results) >= 70
    assert _scalar(warehouse, "select count(*) from warehouse.fact_orders") > 100
    # Every order of the data is in the fact or listed as an orphan.
    assert _scalar(warehouse, "select count(distinct order_id) from staging.stg_orders") == (
        _scalar(warehouse, "select count(*) from warehouse.fact_orders")
        + _scalar(
            warehouse, "select count(*) from warehouse.orphan_records where table_name = 'orders'"
        )
    )
    # SCD2: one current version per customer and product, contiguous validity, and consecutive
    # versions always differ in a tracked attribute (unchanged versions are collapsed).
    for dim, key in (("dim_customers", "customer_id"), ("dim_products", "product_id")):
        assert (
            _scalar(
                warehouse,
                f"select count(*) from (select {key} from warehouse.{dim} group by {key}"
                " having sum(case when is_current then 1 else 0 end) <> 1) as bad",
            )
            == 0
        )
        assert (
            _scalar(
                warehouse,
                f"select count(*) from warehouse.{dim} as this_version"
                f" inner join warehouse.{dim} as next_version"
                f" on this_version.{key} = next_version.{key}"
                " and next_version.version_number = this_version.version_number + 1"
                " where next_version.valid_from <> this_version.valid_to",
            )
            == 0
        )
    assert (
        _scalar(
            warehouse,
            "select count(*) from warehouse.dim_customers as this_version"
            " inner join warehouse.dim_customers as next_version"
            " on this_version.customer_id = next_version.customer_id"
            " and next_version.version_number = this_version.version_number + 1"
            " where this_version.email is not distinct from next_version.email"
            " and this_version.city is not distinct from next_version.city"
            " and this_version.postal_code is not distinct from next_version.postal_code"
            " and this_version.region is not distinct from next_version.region"
            " and this_version.country_code is not distinct from next_version.country_code"
            " and this_version.loyalty_tier is not distinct from next_version.loyalty_tier"
            " and this_version.phone is not distinct from next_version.phone"
            " and this_version.first_name is not distinct from next_version.first_name"
            " and this_version.last_name is not distinct from next_version.last_name"
            " and this_version.acquisition_channel is not distinct from"
            " next_version.acquisition_channel",
        )
        == 0
    )
    # Some customers changed: the SCD2 has history to test.
    assert _scalar(warehouse, "select count(*) from warehouse.dim_customers where not is_current")
    # Point in time: each order carries the customer version valid at order_ts.
    assert (
        _scalar(
            warehouse,
            "select count(*) from warehouse.fact_orders as orders"
            " inner join warehouse.dim_customers as versions"
            " on orders.customer_sk = versions.customer_sk"
            " where orders.customer_id <> versions.customer_id"
            " or orders.order_ts >= versions.valid_to"
            " or (orders.order_ts < versions.valid_from and versions.version_number <> 1)",
        )
        == 0
    )


@pytest.mark.parametrize("warehouse", WAREHOUSES, indirect=True)
def test_reconciliation_tests_catch_a_broken_fact_and_docs_build(
    warehouse: Settings, tmp_path: Path
) -> None:
    _load(warehouse)
    _build_without_tests(warehouse, tmp_path)
    target_dir = _target_dir(warehouse, tmp_path)
    freshness = transform.run_dbt(warehouse, ["source", "freshness"], target_dir=target_dir)
    assert freshness.success, freshness.failures
    assert {outcome.status for outcome in freshness.results} == {"pass"}

    line = _scalar(warehouse, "select min(order_item_id) from warehouse.fact_order_items")
    _execute(warehouse, f"delete from warehouse.fact_order_items where order_item_id = '{line}'")
    checks = transform.run_dbt(
        warehouse,
        [
            "test",
            "--select",
            "assert_orphans_reconcile_with_facts assert_fact_orders_match_lines",
        ],
        target_dir=target_dir,
    )
    assert not checks.success
    assert {outcome.node_id.rsplit(".", 1)[-1]: outcome.status for outcome in checks.results} == {
        "assert_orphans_reconcile_with_facts": "fail",
        "assert_fact_orders_match_lines": "fail",
    }

    # A staging view that loses one version: the raw rows no longer reconcile with staging.
    order = _scalar(warehouse, "select min(order_id) from staging.stg_orders")
    if warehouse.target is Target.POSTGRES:
        # PostgreSQL views bind to objects, not names: redefine the view in place.
        definition = _scalar(warehouse, "select pg_get_viewdef('staging.stg_orders')")
        _execute(
            warehouse,
            "create or replace view staging.stg_orders as select * from ("
            f"{definition.rstrip().rstrip(';')}) as complete where order_id <> '{order}'",
        )
    else:
        _execute(warehouse, "alter view staging.stg_orders rename to stg_orders_complete")
        _execute(
            warehouse,
            "create view staging.stg_orders as select * from staging.stg_orders_complete"
            f" where order_id <> '{order}'",
        )
    staging_check = transform.run_dbt(
        warehouse,
        ["test", "--select", "assert_raw_rows_reconcile_with_staging"],
        target_dir=target_dir,
    )
    assert [outcome.status for outcome in staging_check.results] == ["fail"]
    assert (
        _scalar(
            warehouse,
            "select raw_rows - staging_rows - exact_duplicate_rows - conflicting_version_rows"
            " from staging.staging_duplicate_counts where table_name = 'orders'",
        )
        > 0
    )

    manifest = transform.parse(warehouse, target_dir=target_dir)
    assert "model.ecommerce.fact_orders" in manifest.read_text(encoding="utf-8")
    docs = transform.docs_generate(warehouse, target_dir=target_dir)
    catalog = (docs / "catalog.json").read_text(encoding="utf-8")
    assert "model.ecommerce.dim_customers" in catalog
    assert (docs / "index.html").exists()


@pytest.mark.parametrize("warehouse", WAREHOUSES, indirect=True)
def test_incremental_run_equals_a_full_rebuild_and_reruns_change_nothing(
    warehouse: Settings, tmp_path: Path, landing: Path
) -> None:
    days = _days(landing)
    last_day = days[-1]
    _load(warehouse, until=last_day - timedelta(days=1))
    _build_without_tests(warehouse, tmp_path)
    # An order last changed long before the new day, tampered with: an incremental run must not
    # rebuild it (proof that the run is incremental), a full refresh must.
    old_order = _scalar(
        warehouse,
        "select min(order_id) from warehouse.fact_orders"
        f" where updated_at < cast('{last_day - timedelta(days=15)}' as timestamp)",
    )
    assert old_order is not None
    _execute(
        warehouse,
        f"update warehouse.fact_orders set ship_city = 'tampered' where order_id = '{old_order}'",
    )

    _load(warehouse, since=last_day, until=last_day)
    _build(warehouse, tmp_path)
    incremental = _dump(warehouse)
    assert (
        _scalar(
            warehouse, f"select ship_city from warehouse.fact_orders where order_id = '{old_order}'"
        )
        == "tampered"
    )
    assert (
        _scalar(
            warehouse,
            "select count(*) from warehouse.fact_orders"
            f" where order_date = cast('{last_day.isoformat()}' as date)",
        )
        > 0
    )

    _build_without_tests(warehouse, tmp_path)
    assert _dump(warehouse) == incremental, "re-running the same day changed the warehouse"

    _build_without_tests(warehouse, tmp_path, "--full-refresh")
    rebuilt = _dump(warehouse)
    assert rebuilt["warehouse.fact_orders"] != incremental["warehouse.fact_orders"]
    _execute(
        warehouse,
        f"update warehouse.fact_orders set ship_city = 'tampered' where order_id = '{old_order}'",
    )
    assert _dump(warehouse) == incremental, "the incremental facts differ from a full rebuild"


@pytest.mark.parametrize("warehouse", WAREHOUSES, indirect=True)
def test_backfill_reprocesses_just_its_order_date_range(
    warehouse: Settings, tmp_path: Path, landing: Path
) -> None:
    _load(warehouse)
    _build_without_tests(warehouse, tmp_path)
    days = _days(landing)
    start, end = days[10], days[20]
    _execute(warehouse, "update warehouse.fact_orders set ship_city = 'tampered'")
    _execute(warehouse, "update warehouse.fact_order_items set brand = 'tampered'")

    _build(warehouse, tmp_path, start=start, end=end)

    in_range = f"order_date between cast('{start}' as date) and cast('{end}' as date)"
    assert _scalar(warehouse, f"select count(*) from warehouse.fact_orders where {in_range}") > 0
    for table, column in (("fact_orders", "ship_city"), ("fact_order_items", "brand")):
        rebuilt_inside = _scalar(
            warehouse,
            f"select count(*) from warehouse.{table} where {in_range}"
            f" and {column} is distinct from 'tampered'",
        )
        tampered_inside = _scalar(
            warehouse,
            f"select count(*) from warehouse.{table} where {in_range} and {column} = 'tampered'",
        )
        rebuilt_outside = _scalar(
            warehouse,
            f"select count(*) from warehouse.{table} where not ({in_range})"
            f" and {column} is distinct from 'tampered'",
        )
        assert rebuilt_inside > 0 and tampered_inside == 0, table
        assert rebuilt_outside == 0, f"{table}: the backfill touched rows outside its range"


@pytest.fixture(scope="module")
def ten_day_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten days of a busier shop: enough orders, status changes and returns per day."""
    out = tmp_path_factory.mktemp("ten_days")
    generate(GeneratorConfig(out=out, scale=0.05, days=10, seed=5, start=START))
    return out


@pytest.fixture
def warehouse_pair(
    request: pytest.FixtureRequest, tmp_path: Path, ten_day_landing: Path
) -> tuple[Settings, Settings]:
    """Two fresh, empty warehouses of the parametrized target."""
    return (
        _fresh_settings(request, request.param, tmp_path, ten_day_landing, "daily"),
        _fresh_settings(request, request.param, tmp_path, ten_day_landing, "full"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("warehouse_pair", WAREHOUSES, indirect=True)
def test_day_by_day_builds_equal_one_full_build_to_the_byte(
    warehouse_pair: tuple[Settings, Settings],
    tmp_path: Path,
    ten_day_landing: Path,
) -> None:
    daily, full = warehouse_pair
    for day in _days(ten_day_landing):
        _load(daily, since=day, until=day)
        _build_without_tests(daily, tmp_path / "daily")
    _build(daily, tmp_path / "daily")
    _load(full)
    _build(full, tmp_path / "full")

    marts = _marts_tables(full)
    assert marts, "no marts were built"
    assert _dump(daily) == _dump(full)
    full_exports = _export_csv(full, marts)
    assert _export_csv(daily, marts) == full_exports

    _build_without_tests(daily, tmp_path / "daily", "--full-refresh")
    assert _export_csv(daily, marts) == full_exports
    assert _dump(daily) == _dump(full)


@pytest.fixture(scope="module")
def dirty_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small shop with 2% injected bad rows and files, and their manifest."""
    out = tmp_path_factory.mktemp("dirty")
    generate(GeneratorConfig(out=out, scale=0.01, days=60, seed=3, start=START, dirty_rate=0.02))
    return out


def _manifest_counts(landing: Path) -> dict[tuple[str, str], int]:
    """(table, kind) -> injected rows of the dirty manifest."""
    counts: dict[tuple[str, str], int] = {}
    with (landing / "_manifest" / "dirty_manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["table"], row["kind"])
            counts[key] = counts.get(key, 0) + 1
    return counts


def _manifest_files(landing: Path, kind: str) -> list[str]:
    with (landing / "_manifest" / "dirty_manifest.csv").open(encoding="utf-8") as handle:
        return sorted({row["file"] for row in csv.DictReader(handle) if row["kind"] == kind})


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_dirty_data_builds_with_orphans_visible_and_every_row_reconciled(
    warehouse: Target, request: pytest.FixtureRequest, tmp_path: Path, dirty_landing: Path
) -> None:
    settings = _fresh_settings(request, warehouse, tmp_path, dirty_landing, "dirty")
    _load(settings)
    result = _build(settings, tmp_path)
    reconciliations = {
        outcome.node_id.rsplit(".", 1)[-1]: outcome.status
        for outcome in result.results
        if outcome.node_id.rsplit(".", 1)[-1].startswith("assert_")
    }
    assert reconciliations["assert_raw_rows_reconcile_with_staging"] == "pass"
    assert reconciliations["assert_orphans_reconcile_with_facts"] == "pass"

    injected = _manifest_counts(dirty_landing)
    orphans = dict(
        query(
            settings,
            "select reason, count(*) from warehouse.orphan_records group by reason",
        )
    )
    assert orphans.get("unknown_customer", 0) == injected[("orders", "orphan_reference")]
    assert (
        orphans.get("unknown_order", 0) + orphans.get("unknown_product", 0)
        == injected[("order_items", "orphan_reference")]
    )
    # Exact duplicates = the injected duplicate lines + the rows of the extra-column files
    # (copies of rows that also sit in the day's normal file).
    extra_files = _manifest_files(dirty_landing, "extra_column")
    for table, raw_rows, staging_rows, exact, conflicting in query(
        settings,
        "select table_name, raw_rows, staging_rows, exact_duplicate_rows,"
        " conflicting_version_rows from staging.staging_duplicate_counts",
    ):
        placeholders = ", ".join(["%s"] * len(extra_files))
        extra_rows = _scalar_params(
            settings,
            f"select count(*) from raw.{table} where _source_file in ({placeholders})",
            extra_files,
        )
        assert exact == injected.get((table, "duplicate_row"), 0) + extra_rows, table
        assert conflicting == 0, table
        assert raw_rows == staging_rows + exact, table


@pytest.mark.parametrize("warehouse", WAREHOUSES, indirect=True)
def test_a_conflicting_copy_loses_to_the_first_file_and_revenue_still_reconciles(
    warehouse: Settings, tmp_path: Path, landing: Path
) -> None:
    """A later file repeats the latest version of a sold line (same key and updated_at) with
    another quantity: staging keeps the copy of the first file and line, and so must the
    reconciliation tests' independent recomputation from the raw layer."""
    _load(warehouse)
    _build_without_tests(warehouse, tmp_path)
    item_id, quantity = query(
        warehouse,
        "select min(order_item_id), min(quantity) from warehouse.fact_order_items"
        " where is_revenue_order and not is_returned and quantity = ("
        "select min(quantity) from warehouse.fact_order_items"
        " where is_revenue_order and not is_returned)",
    )[0]
    source_file, source_line = query(
        warehouse,
        "select _source_file, _source_line from raw.order_items"
        " where trim(order_item_id) = %s order by updated_at desc, _source_file, _source_line",
        [item_id],
    )[0]
    with (landing / source_file).open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header, record = records[0], list(records[source_line - 1])
    record[header.index("quantity")] = str(quantity + 7)
    # Same day folder, a name that sorts after the original's: its copy is the later one.
    later = tmp_path / "later" / Path(source_file).parent / (Path(source_file).stem + "_resent.csv")
    later.parent.mkdir(parents=True)
    with later.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, record])
    report = load_landing(warehouse.model_copy(update={"landing_dir": tmp_path / "later"}))
    assert report.reconciles and report.totals.rows_loaded == 1

    result = _build(warehouse, tmp_path)
    statuses = {outcome.node_id.rsplit(".", 1)[-1]: outcome.status for outcome in result.results}
    assert statuses["assert_sales_summary_reconciles_with_facts_and_raw"] == "pass"
    assert statuses["assert_raw_rows_reconcile_with_staging"] == "pass"
    assert (
        _scalar_params(
            warehouse,
            "select quantity from warehouse.fact_order_items where order_item_id = %s",
            [item_id],
        )
        == quantity
    )
    assert (
        _scalar(
            warehouse,
            "select conflicting_version_rows from staging.staging_duplicate_counts"
            " where table_name = 'order_items'",
        )
        == 1
    )
