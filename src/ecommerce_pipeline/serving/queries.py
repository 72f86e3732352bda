"""The one shared, read-only query layer over the marts (used by the API, dashboard and reports).

Every statement is parameterised SQL (psycopg ``%s`` placeholders, rewritten to ``?`` for DuckDB)
that runs unchanged on DuckDB and PostgreSQL. It reads the ``marts`` schema, plus the warehouse
facts and dimensions where a mart has no such grain: the country / sales-channel filters of the
sales KPIs (``warehouse.fact_orders``), a customer's PII for keys with the ``pii`` scope and their
recent orders (``warehouse.dim_customers``, ``warehouse.fact_orders``) and a month's top products
(``warehouse.agg_product_months``). It never reads ``raw`` or ``staging``.

Connections: DuckDB opens a new read-only connection per call and never holds one open, so the
pipeline can take the file's write lock between requests; PostgreSQL uses a small pool of
autocommit, read-only sessions (:class:`PostgresPool`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import duckdb
import psycopg

from ecommerce_pipeline.config import Settings, Target
from ecommerce_pipeline.warehouse import WarehouseError, connect_duckdb, redact_dsn

logger = logging.getLogger(__name__)

Row = dict[str, Any]
#: Column names and rows of one statement.
Fetched = tuple[list[str], list[tuple[Any, ...]]]

GRAINS = ("day", "month", "quarter")
SALES_CHANNELS = ("web", "mobile_app", "marketplace")
#: Columns of marts.product_performance a ranking may order by (a whitelist: never user SQL).
PRODUCT_METRICS = (
    "net_revenue",
    "gross_revenue",
    "gross_profit",
    "units_sold",
    "revenue_orders",
    "margin_pct",
    "return_rate",
    "inventory_turnover",
    "product_health_score",
)
PII_COLUMNS = ("email", "first_name", "last_name", "phone")
DQ_TABLE = "data_quality_results"
DQ_COLUMNS = (
    "run_id",
    "check_name",
    "model",
    "status",
    "failures",
    "run_at",
    "severity",
    "check_type",
)
CENT = Decimal("0.01")
RATE = Decimal("0.000001")
POOL_WAIT_SECONDS = 30.0

_SUMMED_KPIS = (
    "orders",
    "revenue_orders",
    "cancelled_orders",
    "gross_revenue",
    "net_revenue",
    "gross_profit",
    "units_sold",
    "returned_units",
    "shipping_revenue",
    "tax_collected",
)
_MONEY_KPIS = frozenset(
    {"gross_revenue", "net_revenue", "gross_profit", "shipping_revenue", "tax_collected"}
)
_SALES_COLUMNS = (
    "period_start, orders, revenue_orders, cancelled_orders, customers, new_customers, "
    "gross_revenue, net_revenue, gross_profit, avg_order_value, cancel_rate, units_sold, "
    "returned_units, return_rate, shipping_revenue, tax_collected"
)
_PRODUCT_COLUMNS = (
    "product_id, product_name, category, subcategory, brand, is_active, revenue_orders, "
    "units_sold, returned_units, gross_revenue, net_revenue, gross_profit, margin_pct, "
    "return_rate, cost_of_goods_sold, avg_inventory_value, inventory_turnover, "
    "days_of_inventory, product_health_score, top_cross_sell_product_id"
)
_CUSTOMER_COLUMNS = (
    "customer_id, first_order_date, last_order_date, order_count, net_revenue, "
    "avg_order_value, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_score, "
    "rfm_segment, historical_clv, predicted_clv, customer_health_score, is_churned, "
    "churn_probability, cohort_month, country_code, acquisition_channel, loyalty_tier, as_of_date"
)


@dataclass(frozen=True)
class SalesFilter:
    """Order-date range (inclusive) and optional ship country / sales channel of sales queries."""

    start: date
    end: date
    country: str | None = None
    channel: str | None = None

    @property
    def filtered(self) -> bool:
        """Whether a country or channel filter applies (the marts have neither grain)."""
        return self.country is not None or self.channel is not None

    def previous(self) -> SalesFilter:
        """The window of the same length just before this one (same country / channel)."""
        days = (self.end - self.start).days + 1
        return replace(
            self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1)
        )


def period_start(day: date, grain: str) -> date:
    """First day of the ``grain`` period (day / month / quarter) that contains ``day``."""
    if grain == "day":
        return day
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"unknown grain {grain!r}: use one of {', '.join(GRAINS)}")


def ratio(numerator: Any, denominator: Any, quantum: Decimal = RATE) -> Decimal | None:
    """numerator / denominator rounded half up to ``quantum``; None when the denominator is 0."""
    if not denominator:
        return None
    value = Decimal(numerator or 0) / Decimal(denominator)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def relative_change(current: Any, previous: Any) -> float | None:
    """(current - previous) / previous, or None when there is no previous value."""
    if current is None or previous is None or Decimal(previous) == 0:
        return None
    return float((Decimal(current) - Decimal(previous)) / Decimal(previous))


#: The MVCC snapshot of the current transaction (PostgreSQL 13+): equal snapshots see equal data.
SNAPSHOT_SQL = "select cast(pg_current_snapshot() as text)"
_T = TypeVar("_T")
_V = TypeVar("_V")


def _fetch_postgres(
    conn: psycopg.Connection[Any], statement: str, params: Sequence[Any]
) -> Fetched:
    cursor = conn.execute(statement, list(params))
    return [column.name for column in cursor.description or []], cursor.fetchall()


def _duckdb_statement(statement: str) -> str:
    return statement.replace("%s", "?")


class SessionDuckDB:
    """One read-only connection for a session's statements, opened at the first statement (so
    a request rejected before any query never touches the file) and closed by :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con: duckdb.DuckDBPyConnection | None = None

    def fetch(self, statement: str, params: Sequence[Any]) -> Fetched:
        if self._con is None:
            self._con = connect_duckdb(self.path, read_only=True)
        cursor = self._con.execute(_duckdb_statement(statement), list(params))
        columns = [column[0] for column in cursor.description or []]
        return columns, cursor.fetchall()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


class DuckDBReader:
    """Runs each statement on a fresh read-only connection to the DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fetch(
        self, statement: str, params: Sequence[Any]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        with connect_duckdb(self.path, read_only=True) as con:
            cursor = con.execute(_duckdb_statement(statement), list(params))
            columns = [column[0] for column in cursor.description or []]
            return columns, cursor.fetchall()

    def close(self) -> None:
        """Nothing is held open."""


class PostgresPool:
    """A small thread-safe pool of autocommit, read-only PostgreSQL sessions (time zone UTC)."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=10,
                options="-c TimeZone=UTC -c default_transaction_read_only=on",
            )
            # Explicit transactions (fetch_cached) read one snapshot throughout.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            return conn
        except psycopg.OperationalError as exc:
            raise WarehouseError(
                f"cannot connect to PostgreSQL {redact_dsn(self.dsn)}: {exc}. Check that the "
                "server runs and the warehouse is built (`ecom run`)."
            ) from exc

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Borrow a connection; broken ones are discarded instead of returned."""
        if not self._slots.acquire(timeout=POOL_WAIT_SECONDS):
            raise WarehouseError(
                f"no free PostgreSQL connection after {POOL_WAIT_SECONDS:.0f} s: raise "
                "ECOM_SERVING_POOL_SIZE"
            )
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                yield conn
            finally:
                if conn.closed or conn.broken:
                    conn.close()
                else:
                    self._idle.put(conn)
        finally:
            self._slots.release()

    def _retrying(self, work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        for attempt in (1, 2):
            try:
                with self.connection() as conn:
                    return work(conn)
            except psycopg.OperationalError as exc:
                # A pooled session may have died (server restart): retry once on a fresh one.
                if attempt == 2:
                    raise WarehouseError(
                        f"PostgreSQL {redact_dsn(self.dsn)} failed: {exc}"
                    ) from exc
                logger.info("retrying on a fresh PostgreSQL connection after: %s", exc)
        raise AssertionError("unreachable")

    def fetch(self, statement: str, params: Sequence[Any]) -> Fetched:
        return self._retrying(lambda conn: _fetch_postgres(conn, statement, params))

    def snapshot(self) -> str:
        """The MVCC snapshot a new transaction would read now (changes with every write)."""
        return str(self._retrying(lambda conn: conn.execute(SNAPSHOT_SQL).fetchall()[0][0]))

    def fetch_cached(self, statement: str, params: Sequence[Any], cache: ResultCache) -> list[Row]:
        """The statement's rows from ``cache`` when they were read in the same MVCC snapshot;
        otherwise run in that snapshot (a repeatable-read transaction) and cached."""

        def work(conn: psycopg.Connection[Any]) -> list[Row]:
            with conn.transaction():
                snapshot = conn.execute(SNAPSHOT_SQL).fetchall()[0][0]
                key = (snapshot, statement, tuple(params))
                cached = cache.get(key)
                if cached is not None:
                    return cached
                found = _as_rows(_fetch_postgres(conn, statement, params))
            cache.put(key, found)
            return found

        return self._retrying(work)

    def close(self) -> None:
        """Close every idle connection."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class LruCache(Generic[_V]):
    """A thread-safe LRU map of at most ``entries`` values, counting hits and misses."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._values: OrderedDict[tuple[Any, ...], _V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> _V | None:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                self.misses += 1
                return None
            self._values.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[Any, ...], value: _V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.entries:
                self._values.popitem(last=False)


class ResultCache(LruCache[list[Row]]):
    """Results of read statements keyed by the warehouse's version, small results only (callers
    get their own copy of the rows).

    The key of a result holds a version of the warehouse that changes with every committed
    write, so a cached result is never stale:

    - DuckDB: the (mtime, size, inode) of ``<file>`` and ``<file>.wal`` (:func:`duckdb_version`);
      a hit also saves opening the file (~10 ms).
    - PostgreSQL: the statement's own MVCC snapshot (``pg_current_snapshot()``, taken in the
      repeatable-read transaction that runs the statement on a miss, see
      :meth:`PostgresPool.fetch_cached`). Two transactions with the same snapshot see exactly
      the same committed data; any transaction that writes anywhere in the cluster gets a new
      transaction id and so changes the snapshot of later readers.
    """

    def __init__(self, entries: int, max_rows: int = 5000) -> None:
        super().__init__(entries)
        self.max_rows = max_rows

    def get(self, key: tuple[Any, ...]) -> list[Row] | None:
        found = super().get(key)
        return None if found is None else [dict(row) for row in found]

    def put(self, key: tuple[Any, ...], value: list[Row]) -> None:
        if len(value) <= self.max_rows:
            super().put(key, [dict(row) for row in value])


def duckdb_version(path: Path) -> tuple[Any, ...]:
    """The DuckDB warehouse's current version: changes with every write to the file or its WAL."""
    marks: list[Any] = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            info = file.stat()
        except FileNotFoundError:
            marks.append(None)
        else:
            marks.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(marks)


def _as_rows(fetched: Fetched) -> list[Row]:
    columns, rows = fetched
    return [dict(zip(columns, row, strict=True)) for row in rows]


class Marts:
    """Read-only queries over the marts of the settings' warehouse (thread-safe).

    Each statement runs on its own DuckDB connection (or a pooled PostgreSQL one); use
    :meth:`session` to run several statements, e.g. one API request's, on one connection.
    """

    def __init__(
        self,
        settings: Settings,
        reader: DuckDBReader | SessionDuckDB | PostgresPool | None = None,
        cache: ResultCache | None = None,
    ) -> None:
        self.settings = settings
        self._reader: DuckDBReader | SessionDuckDB | PostgresPool
        self.cache = cache
        if reader is not None:
            self._reader = reader
            return
        if settings.target == Target.DUCKDB:
            self._reader = DuckDBReader(settings.duckdb_path)
        else:
            self._reader = PostgresPool(settings.postgres_dsn, settings.serving_pool_size)
        if settings.serving_cache_entries > 0:
            self.cache = ResultCache(settings.serving_cache_entries)

    def close(self) -> None:
        """Release pooled connections."""
        self._reader.close()

    @contextmanager
    def session(self) -> Iterator[Marts]:
        """A query layer whose statements share one read-only DuckDB connection, opened at the
        first statement and closed when the block ends (PostgreSQL: this pooled layer itself).
        Not for concurrent use by several threads."""
        if not isinstance(self._reader, DuckDBReader):
            yield self
            return
        reader = SessionDuckDB(self._reader.path)
        try:
            yield Marts(self.settings, reader, self.cache)
        finally:
            reader.close()

    def version(self) -> tuple[Any, ...]:
        """The warehouse's current version: it changes with every committed write (DuckDB: the
        file's, see :func:`duckdb_version`; PostgreSQL: the snapshot a new reader gets). Data
        read after this call is at least as new as the version."""
        if isinstance(self._reader, PostgresPool):
            return (self._reader.snapshot(),)
        return duckdb_version(self._reader.path)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement and return its rows as dicts keyed by column name (from the
        result cache while the warehouse is unchanged, see :class:`ResultCache`)."""
        try:
            if self.cache is None:
                return _as_rows(self._reader.fetch(statement, params))
            if isinstance(self._reader, PostgresPool):
                return self._reader.fetch_cached(statement, params, self.cache)
            key = (duckdb_version(self._reader.path), statement, tuple(params))
            cached = self.cache.get(key)
            if cached is not None:
                return cached
            found = _as_rows(self._reader.fetch(statement, params))
            self.cache.put(key, found)
            return found
        except (duckdb.CatalogException, psycopg.errors.UndefinedTable) as exc:
            raise WarehouseError(
                f"the {self.settings.target.value} warehouse has no marts yet ({exc}): run "
                "`ecom run` (or `ecom transform`) first"
            ) from exc

    def one(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a statement, or None."""
        found = self.rows(statement, params)
        return found[0] if found else None

    # --- metadata -----------------------------------------------------------------------------

    def ping(self) -> Row:
        """Order-date bounds and as-of date: proves the marts are readable."""
        bounds = self.one(
            "select min(period_start) as first_order_date, max(period_start) as last_order_date "
            "from marts.sales_summary where period_grain = 'day'"
        )
        # One as-of date per build: any row has it (max() would scan the whole mart).
        as_of = self.one("select as_of_date from marts.customer_summary limit 1")
        return {**(bounds or {}), **(as_of or {})}

    def date_bounds(self) -> tuple[date, date] | None:
        """First and last order date in the marts, or None when there is no order."""
        info = self.ping()
        if info.get("first_order_date") is None:
            return None
        return info["first_order_date"], info["last_order_date"]

    def countries(self) -> list[str]:
        """Ship countries with orders (for filters)."""
        found = self.rows(
            "select distinct country_code from marts.geographic_performance order by country_code"
        )
        return [row["country_code"] for row in found]

    def categories(self) -> list[str]:
        """Product categories (for filters)."""
        found = self.rows(
            "select distinct category from marts.product_performance "
            "where category is not null order by category"
        )
        return [row["category"] for row in found]

    # --- sales --------------------------------------------------------------------------------

    def _order_filter(self, sales: SalesFilter) -> tuple[str, list[Any]]:
        clauses = ["order_date between %s and %s"]
        params: list[Any] = [sales.start, sales.end]
        if sales.country is not None:
            clauses.append("coalesce(ship_country_code, 'unknown') = %s")
            params.append(sales.country)
        if sales.channel is not None:
            clauses.append("sales_channel = %s")
            params.append(sales.channel)
        return " and ".join(clauses), params

    def kpi_totals(self, sales: SalesFilter, customers: int | None = None) -> Row:
        """Sales KPIs summed over the date range, with AOV, cancel and return rates.

        Without a country / channel filter the sums come from marts.sales_summary (day grain);
        with one, from warehouse.fact_orders with the same definitions. ``customers`` is the
        distinct customers with a revenue order in the range (fact_orders); ``new_customers``
        is None when filtered.
        """
        where, params = self._order_filter(sales)
        if sales.filtered:
            totals = self.one(
                "select cast(count(*) as bigint) as orders, "
                "cast(sum(case when is_revenue_order then 1 else 0 end) as bigint) "
                "as revenue_orders, "
                "cast(sum(case when is_cancelled then 1 else 0 end) as bigint) "
                "as cancelled_orders, "
                "sum(case when is_revenue_order then gross_revenue else 0 end) as gross_revenue, "
                "sum(case when is_revenue_order then net_revenue else 0 end) as net_revenue, "
                "sum(case when is_revenue_order then gross_profit else 0 end) as gross_profit, "
                "cast(sum(case when is_revenue_order then units else 0 end) as bigint) "
                "as units_sold, "
                "cast(sum(case when is_revenue_order then returned_units else 0 end) as bigint) "
                "as returned_units, "
                "sum(case when is_revenue_order then coalesce(shipping_cost, 0) else 0 end) "
                "as shipping_revenue, "
                "sum(case when is_revenue_order then coalesce(tax_amount, 0) else 0 end) "
                "as tax_collected, "
                "cast(null as bigint) as new_customers "
                f"from warehouse.fact_orders where {where}",
                params,
            )
        else:
            sums = ", ".join(f"sum({name}) as {name}" for name in _SUMMED_KPIS)
            totals = self.one(
                f"select {sums}, sum(new_customers) as new_customers from marts.sales_summary "
                "where period_grain = 'day' and period_start between %s and %s",
                [sales.start, sales.end],
            )
        if customers is None:
            counted = self.one(
                "select cast(count(distinct customer_id) as bigint) as customers "
                f"from warehouse.fact_orders where is_revenue_order and {where}",
                params,
            )
            customers = int((counted or {}).get("customers") or 0)
        return _finish_totals(totals or {}, customers, filtered=sales.filtered)

    def _customers_of_two_windows(self, current: SalesFilter, previous: SalesFilter) -> Row:
        """Distinct customers with a revenue order in each window, in one scan."""
        where, params = self._order_filter(replace(current, start=previous.start))
        row = self.one(
            "select cast(sum(case when in_current then 1 else 0 end) as bigint) "
            "as current_customers, "
            "cast(sum(case when in_previous then 1 else 0 end) as bigint) as previous_customers "
            "from (select customer_id, bool_or(order_date >= %s) as in_current, "
            "bool_or(order_date <= %s) as in_previous from warehouse.fact_orders "
            f"where is_revenue_order and {where} group by customer_id) as buyers",
            [current.start, previous.end, *params],
        )
        return row or {}

    def kpis(self, sales: SalesFilter) -> Row:
        """KPI totals of the range, of the previous window of the same length, and the change."""
        previous_filter = sales.previous()
        customers = self._customers_of_two_windows(sales, previous_filter)
        current = self.kpi_totals(sales, int(customers.get("current_customers") or 0))
        previous = self.kpi_totals(previous_filter, int(customers.get("previous_customers") or 0))
        change = {name: relative_change(current[name], previous[name]) for name in current}
        return {
            "start": sales.start,
            "end": sales.end,
            "previous_start": previous_filter.start,
            "previous_end": previous_filter.end,
            "country": sales.country,
            "channel": sales.channel,
            "current": current,
            "previous": previous,
            "change": change,
        }

    def sales(self, grain: str, sales: SalesFilter) -> list[Row]:
        """Sales KPIs per period of ``grain`` whose period overlaps the date range.

        Unfiltered rows are marts.sales_summary's own rows; filtered rows are recomputed from
        warehouse.fact_orders (customers = distinct customers of the period, no new_customers).
        """
        first = period_start(sales.start, grain)
        if not sales.filtered:
            return self.rows(
                f"select {_SALES_COLUMNS} from marts.sales_summary "
                "where period_grain = %s and period_start between %s and %s "
                "order by period_start",
                [grain, first, sales.end],
            )
        period_column = {"day": "order_date", "month": "order_month", "quarter": "order_quarter"}
        column = period_column[grain]
        widened = replace(sales, start=first)
        where, params = self._order_filter(widened)
        found = self.rows(
            f"select {column} as period_start, cast(count(*) as bigint) as orders, "
            "cast(sum(case when is_revenue_order then 1 else 0 end) as bigint) as revenue_orders, "
            "cast(sum(case when is_cancelled then 1 else 0 end) as bigint) as cancelled_orders, "
            "cast(count(distinct case when is_revenue_order then customer_id end) as bigint) "
            "as customers, "
            "sum(case when is_revenue_order then gross_revenue else 0 end) as gross_revenue, "
            "sum(case when is_revenue_order then net_revenue else 0 end) as net_revenue, "
            "sum(case when is_revenue_order then gross_profit else 0 end) as gross_profit, "
            "cast(sum(case when is_revenue_order then units else 0 end) as bigint) as units_sold, "
            "cast(sum(case when is_revenue_order then returned_units else 0 end) as bigint) "
            "as returned_units, "
            "sum(case when is_revenue_order then coalesce(shipping_cost, 0) else 0 end) "
            "as shipping_revenue, "
            "sum(case when is_revenue_order then coalesce(tax_amount, 0) else 0 end) "
            "as tax_collected "
            f"from warehouse.fact_orders where {where} group by {column} order by {column}",
            params,
        )
        return [_sales_rates(row) for row in found]

    # --- customers ----------------------------------------------------------------------------

    def customer(self, customer_id: str, *, include_pii: bool) -> Row | None:
        """A customer's 360 view: the customer_summary row, PII (only if asked), recent orders."""
        summary = self.one(
            f"select {_CUSTOMER_COLUMNS} from marts.customer_summary where customer_id = %s",
            [customer_id],
        )
        if summary is None:
            return None
        if include_pii:
            pii = self.one(
                f"select {', '.join(PII_COLUMNS)}, region, city from warehouse.dim_customers "
                "where customer_id = %s and is_current",
                [customer_id],
            )
            summary.update(pii or dict.fromkeys((*PII_COLUMNS, "region", "city")))
        summary["recent_orders"] = self.rows(
            "select order_id, order_date, order_status, sales_channel, payment_method, "
            "net_revenue from warehouse.fact_orders where customer_id = %s "
            "order by order_ts desc, order_id desc limit 10",
            [customer_id],
        )
        return summary

    def customers(
        self,
        *,
        limit: int,
        after: str | None = None,
        segment: str | None = None,
        min_churn_probability: float | None = None,
        churned: bool | None = None,
        country: str | None = None,
        include_pii: bool = False,
    ) -> tuple[list[Row], str | None]:
        """One page of customers ordered by customer_id (keyset pagination).

        Returns the page and the customer_id to continue after (None on the last page).
        """
        clauses: list[str] = []
        params: list[Any] = []
        for condition, value in (
            ("summary.customer_id > %s", after),
            ("summary.rfm_segment = %s", segment),
            ("summary.churn_probability >= %s", min_churn_probability),
            ("summary.is_churned = %s", churned),
            ("summary.country_code = %s", country),
        ):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        where = f"where {' and '.join(clauses)}" if clauses else ""
        columns = (
            "customer_id, rfm_segment, rfm_score, recency_days, frequency, monetary, "
            "net_revenue, predicted_clv, customer_health_score, churn_probability, is_churned, "
            "country_code, loyalty_tier, last_order_date"
        )
        page_sql = (
            f"select {columns} from marts.customer_summary as summary {where} "
            "order by customer_id limit %s"
        )
        if include_pii:
            # The page first, then the PII of just its customers.
            pii = ", ".join(f"profile.{name}" for name in PII_COLUMNS)
            page_sql = (
                f"select page.*, {pii} from ({page_sql}) as page "
                "left join warehouse.dim_customers as profile "
                "on profile.customer_id = page.customer_id and profile.is_current "
                "order by page.customer_id"
            )
        found = self.rows(page_sql, [*params, limit + 1])
        page = found[:limit]
        next_after = page[-1]["customer_id"] if len(found) > limit else None
        return page, next_after

    def segments(self, country: str | None = None) -> list[Row]:
        """RFM segments: customers, revenue and mean recency / frequency / monetary."""
        where, params = ("where country_code = %s", [country]) if country else ("", [])
        found = self.rows(
            "select rfm_segment, cast(count(*) as bigint) as customers, "
            "sum(net_revenue) as net_revenue, cast(sum(recency_days) as bigint) as recency_sum, "
            "cast(sum(frequency) as bigint) as frequency_sum, "
            "sum(predicted_clv) as predicted_clv, "
            "cast(sum(case when is_churned then 1 else 0 end) as bigint) as churned_customers "
            f"from marts.customer_summary {where} group by rfm_segment order by rfm_segment",
            params,
        )
        total = sum(row["customers"] for row in found)
        for row in found:
            count = row["customers"]
            row["share_of_customers"] = ratio(count, total)
            row["avg_recency_days"] = ratio(row.pop("recency_sum"), count, CENT)
            row["avg_frequency"] = ratio(row.pop("frequency_sum"), count, CENT)
            row["avg_monetary"] = ratio(row["net_revenue"], count, CENT)
        return found

    def rfm_grid(self, country: str | None = None) -> list[Row]:
        """Customers per (r_score, f_score) cell of the RFM grid."""
        where, params = ("where country_code = %s", [country]) if country else ("", [])
        return self.rows(
            "select r_score, f_score, cast(count(*) as bigint) as customers, "
            f"sum(net_revenue) as net_revenue from marts.customer_summary {where} "
            "group by r_score, f_score order by r_score, f_score",
            params,
        )

    def churn_risk(self, limit: int = 20, country: str | None = None) -> list[Row]:
        """Not-yet-churned customers with the highest churn probability (value breaks ties)."""
        clauses = ["not is_churned"]
        params: list[Any] = []
        if country:
            clauses.append("country_code = %s")
            params.append(country)
        return self.rows(
            "select customer_id, rfm_segment, churn_probability, predicted_clv, net_revenue, "
            "recency_days, last_order_date, country_code from marts.customer_summary "
            f"where {' and '.join(clauses)} "
            "order by churn_probability desc, predicted_clv desc, customer_id limit %s",
            [*params, limit],
        )

    def clv_values(self, country: str | None = None) -> list[Row]:
        """historical and predicted CLV per customer (the CLV distribution)."""
        where, params = ("where country_code = %s", [country]) if country else ("", [])
        return self.rows(
            "select customer_id, cast(historical_clv as double precision) as historical_clv, "
            "cast(predicted_clv as double precision) as predicted_clv, rfm_segment "
            f"from marts.customer_summary {where} order by customer_id",
            params,
        )

    def cohorts(self, start_month: date | None = None, end_month: date | None = None) -> list[Row]:
        """marts.cohort_retention rows of the cohorts from start_month to end_month."""
        clauses, params = _between("cohort_month", start_month, end_month)
        return self.rows(
            "select cohort_month, months_since_first_order, activity_month, cohort_size, "
            f"active_customers, retention_rate, net_revenue from marts.cohort_retention {clauses} "
            "order by cohort_month, months_since_first_order",
            params,
        )

    # --- products -----------------------------------------------------------------------------

    def product(self, product_id: str) -> Row | None:
        """A product's marts.product_performance row."""
        return self.one(
            f"select {_PRODUCT_COLUMNS} from marts.product_performance where product_id = %s",
            [product_id],
        )

    def ranked_products(
        self,
        metric: str,
        *,
        bottom: bool = False,
        limit: int = 10,
        category: str | None = None,
        sold_only: bool = False,
    ) -> list[Row]:
        """Products ordered by ``metric`` (highest first, or lowest with ``bottom``), nulls last;
        ``sold_only`` leaves out products without units sold."""
        if metric not in PRODUCT_METRICS:
            raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(PRODUCT_METRICS)}")
        direction = "asc" if bottom else "desc"
        clauses: list[str] = ["units_sold > 0"] if sold_only else []
        params: list[Any] = []
        if category:
            clauses.append("category = %s")
            params.append(category)
        where = f"where {' and '.join(clauses)}" if clauses else ""
        return self.rows(
            f"select {_PRODUCT_COLUMNS} from marts.product_performance {where} "
            f"order by {metric} {direction} nulls last, product_id limit %s",
            [*params, limit],
        )

    def product_scatter(self, limit: int = 500) -> list[Row]:
        """Margin, return rate, turnover and revenue of the ``limit`` products with the most
        net revenue (a scatter of every product would not be readable at scale)."""
        return self.rows(
            "select product_id, product_name, category, net_revenue, margin_pct, return_rate, "
            "inventory_turnover, days_of_inventory from marts.product_performance "
            "where units_sold > 0 order by net_revenue desc, product_id limit %s",
            [limit],
        )

    def turnover_by_category(self) -> list[Row]:
        """Median inventory turnover and days of inventory per category."""
        found = self.rows(
            "select category, inventory_turnover from marts.product_performance "
            "where inventory_turnover is not null and category is not null "
            "order by category, inventory_turnover"
        )
        by_category: dict[str, list[Decimal]] = {}
        for row in found:
            by_category.setdefault(row["category"], []).append(Decimal(row["inventory_turnover"]))
        return [
            {"category": category, "products": len(values), "median_turnover": _median(values)}
            for category, values in by_category.items()
        ]

    def cross_sell(self, product_id: str, limit: int = 10) -> list[Row]:
        """A product's partners in marts.product_affinity, highest lift first."""
        return self.rows(
            "select affinity.related_product_id, related.product_name as related_product_name, "
            "affinity.orders_together, affinity.support, affinity.confidence, affinity.lift "
            "from marts.product_affinity as affinity "
            "left join marts.product_performance as related "
            "on related.product_id = affinity.related_product_id "
            "where affinity.product_id = %s "
            "order by affinity.lift desc, affinity.orders_together desc, "
            "affinity.related_product_id limit %s",
            [product_id, limit],
        )

    def top_pairs(self, limit: int = 10) -> list[Row]:
        """The strongest cross-sell pairs (each unordered pair once)."""
        return self.rows(
            "select product_id, related_product_id, orders_together, support, confidence, lift "
            "from marts.product_affinity where product_id < related_product_id "
            "order by lift desc, orders_together desc, product_id, related_product_id limit %s",
            [limit],
        )

    def month_top_products(self, month: date, limit: int = 10) -> list[Row]:
        """Products with the most net revenue in one month (warehouse.agg_product_months)."""
        return self.rows(
            "select months.product_id, products.product_name, products.category, "
            "cast(months.units_sold as bigint) as units_sold, months.net_revenue, "
            "months.gross_profit from warehouse.agg_product_months as months "
            "left join marts.product_performance as products "
            "on products.product_id = months.product_id "
            "where months.order_month = %s "
            "order by months.net_revenue desc, months.product_id limit %s",
            [month, limit],
        )

    # --- operations ---------------------------------------------------------------------------

    def geography(self, start: date, end: date, country: str | None = None) -> list[Row]:
        """marts.geographic_performance rows of the months overlapping the range."""
        clauses = ["month between %s and %s"]
        params: list[Any] = [period_start(start, "month"), end]
        if country is not None:
            clauses.append("country_code = %s")
            params.append(country)
        return self.rows(
            "select country_code, region, month, customers, orders, revenue_orders, net_revenue, "
            f"avg_order_value from marts.geographic_performance where {' and '.join(clauses)} "
            "order by month, country_code, region",
            params,
        )

    def payment_methods(self, start: date, end: date) -> list[Row]:
        """Payment methods summed over the months overlapping the range, with shares and rates."""
        found = self.rows(
            "select payment_method, cast(sum(orders) as bigint) as orders, "
            "cast(sum(revenue_orders) as bigint) as revenue_orders, "
            "cast(sum(cancelled_orders) as bigint) as cancelled_orders, "
            "sum(net_revenue) as net_revenue from marts.payment_method_performance "
            "where period_start between %s and %s group by payment_method "
            "order by net_revenue desc, payment_method",
            [period_start(start, "month"), end],
        )
        total = sum(Decimal(row["net_revenue"]) for row in found)
        for row in found:
            row["share_of_revenue"] = ratio(row["net_revenue"], total)
            row["cancel_rate"] = ratio(row["cancelled_orders"], row["orders"])
        return found

    def fulfillment(self, start: date, end: date, country: str | None = None) -> list[Row]:
        """marts.fulfillment_performance rows of the months overlapping the range."""
        clauses = ["month between %s and %s"]
        params: list[Any] = [period_start(start, "month"), end]
        if country is not None:
            clauses.append("ship_country_code = %s")
            params.append(country)
        return self.rows(
            "select month, ship_country_code, shipped_orders, delivered_orders, "
            "avg_hours_to_ship, avg_hours_to_deliver, on_time_rate "
            f"from marts.fulfillment_performance where {' and '.join(clauses)} "
            "order by month, ship_country_code",
            params,
        )

    # --- data quality -------------------------------------------------------------------------

    def _dq_columns(self) -> list[str]:
        found = self.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = %s",
            [DQ_TABLE],
        )
        present = {row["column_name"] for row in found}
        return [name for name in DQ_COLUMNS if name in present]

    def dq_available(self) -> bool:
        """Whether marts.data_quality_results exists (built by the data-quality runs)."""
        return bool(self._dq_columns())

    def dq_latest(self) -> list[Row]:
        """Every check of the latest data-quality run ([] when there is no table or run)."""
        columns = self._dq_columns()
        if "run_id" not in columns or "run_at" not in columns:
            return []
        return self.rows(
            f"select {', '.join(columns)} from marts.{DQ_TABLE} where run_id = ("
            f"select run_id from marts.{DQ_TABLE} order by run_at desc, run_id desc limit 1) "
            "order by check_name, model",
        )

    def dq_quarantine_reasons(self) -> list[Row]:
        """Rows quarantined per raw table and reason in the latest run's ``quarantine`` checks
        (their ``details`` JSON holds ``{"reasons": {reason: rows}}``); [] without them."""
        columns = set(self._dq_columns()) | set(self._dq_extra_columns())
        if not {"run_id", "run_at", "check_type", "details"} <= columns:
            return []
        found = self.rows(
            f"select model, details from marts.{DQ_TABLE} where check_type = 'quarantine' "
            f"and run_id = (select run_id from marts.{DQ_TABLE} "
            "order by run_at desc, run_id desc limit 1) order by model",
        )
        totals: dict[tuple[str, str], int] = {}
        for row in found:
            try:
                reasons = json.loads(row["details"] or "{}").get("reasons") or {}
            except (ValueError, AttributeError):
                logger.warning("unreadable quarantine details of %s", row["model"])
                continue
            for reason, rows in reasons.items():
                key = (str(row["model"]), str(reason))
                totals[key] = totals.get(key, 0) + int(rows)
        return [
            {"model": model, "reason": reason, "rows": rows}
            for (model, reason), rows in sorted(totals.items())
        ]

    def _dq_extra_columns(self) -> list[str]:
        found = self.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = %s and column_name = 'details'",
            [DQ_TABLE],
        )
        return [row["column_name"] for row in found]

    def dq_history(self, limit: int = 60) -> list[Row]:
        """Checks and failing checks per run, latest ``limit`` runs ([] without the table)."""
        columns = self._dq_columns()
        if not {"run_id", "run_at", "status"} <= set(columns):
            return []
        found = self.rows(
            "select run_id, max(run_at) as run_at, cast(count(*) as bigint) as checks, "
            "cast(sum(case when lower(status) in ('fail', 'error') then 1 else 0 end) as bigint) "
            "as failed_checks, "
            "cast(sum(case when lower(status) = 'warn' then 1 else 0 end) as bigint) "
            f"as warned_checks from marts.{DQ_TABLE} group by run_id "
            "order by max(run_at) desc, run_id desc limit %s",
            [limit],
        )
        return list(reversed(found))


def _between(column: str, low: date | None, high: date | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if low is not None:
        clauses.append(f"{column} >= %s")
        params.append(low)
    if high is not None:
        clauses.append(f"{column} <= %s")
        params.append(high)
    return (f"where {' and '.join(clauses)}" if clauses else ""), params


def _median(values: list[Decimal]) -> Decimal:
    """Median of sorted values."""
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _sales_rates(row: Row) -> Row:
    """AOV, cancel and return rate of a row of sums, as the marts define them."""
    for name in _MONEY_KPIS:
        row[name] = _money(row.get(name))
    row["avg_order_value"] = ratio(row["net_revenue"], row["revenue_orders"], CENT)
    row["cancel_rate"] = ratio(row["cancelled_orders"], row["orders"])
    row["return_rate"] = ratio(row["returned_units"], row["units_sold"])
    row.setdefault("new_customers", None)
    return row


def _finish_totals(totals: Row, customers: int, *, filtered: bool) -> Row:
    """Totals with zeros for an empty range, the distinct customers and the derived rates."""
    finished: Row = {name: totals.get(name) or 0 for name in _SUMMED_KPIS}
    for name in _SUMMED_KPIS:
        finished[name] = _money(finished[name]) if name in _MONEY_KPIS else int(finished[name])
    finished["customers"] = customers
    new_customers = totals.get("new_customers")
    finished["new_customers"] = None if filtered else int(new_customers or 0)
    return _sales_rates(finished)
