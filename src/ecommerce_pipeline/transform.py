"""Runs the dbt project (``transform/``) in-process with dbtRunner, on the target of the settings.

The profile (``transform/profiles.yml``) reads its connection from environment variables that
:func:`dbt_env` derives from :class:`~ecommerce_pipeline.config.Settings`; every invocation sets
them (and turns telemetry off) for its duration only. Each target writes to its own target path
(``transform/target/<target>``) so DuckDB and PostgreSQL builds never share artifacts.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ecommerce_pipeline.config import Settings, Target

logger = logging.getLogger(__name__)

#: The dbt project folder (``<repo>/transform``).
PROJECT_DIR = Path(__file__).resolve().parents[2] / "transform"
#: dbt threads per target: DuckDB is one embedded connection, PostgreSQL builds in parallel.
THREADS: Mapping[Target, int] = {Target.DUCKDB: 1, Target.POSTGRES: 4}
#: Node statuses that fail a run (``warn`` does not).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
#: PostgreSQL session settings of dbt's connections (libpq PGOPTIONS): room for the builds'
#: hash aggregates and sorts; no JIT compilation (it costs more than it saves on these queries);
#: no nested loops unless unavoidable (the planner cannot estimate the groups of DISTINCT ON over
#: cleaned keys, guesses 200 rows and would nest-loop millions of rows: hash joins are always
#: right for these batch queries).
POSTGRES_SESSION_OPTIONS = "-c work_mem=256MB -c jit=off -c enable_nestloop=off"
TELEMETRY_OFF: Mapping[str, str] = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
}


class TransformError(RuntimeError):
    """dbt could not run at all (bad project, unreachable warehouse, crashed invocation)."""


@dataclass(frozen=True)
class NodeOutcome:
    """The result of one dbt node (model, test, seed, snapshot, unit test) in a run."""

    node_id: str
    resource_type: str
    status: str
    execution_time: float


@dataclass
class TransformResult:
    """The outcome of one dbt invocation."""

    success: bool
    command: str
    elapsed: float
    failures: list[str] = field(default_factory=list)
    run_results: Path | None = None
    results: list[NodeOutcome] = field(default_factory=list)

    def timing(self, name: str) -> float:
        """Execution time of the node whose unique id ends with ``.<name>`` (0.0 if absent)."""
        return sum(
            outcome.execution_time
            for outcome in self.results
            if outcome.node_id.rsplit(".", 1)[-1] == name
        )


def target_path(settings: Settings) -> Path:
    """Where dbt writes the artifacts of the settings' target (manifest, run results, logs)."""
    return PROJECT_DIR / "target" / settings.target.value


def _postgres_env(dsn: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return {
        "ECOM_DBT_PG_HOST": str(params.get("host") or "127.0.0.1"),
        "ECOM_DBT_PG_PORT": str(params.get("port") or "5432"),
        "ECOM_DBT_PG_USER": str(params.get("user") or "postgres"),
        "ECOM_DBT_PG_PASSWORD": str(params.get("password") or ""),
        "ECOM_DBT_PG_DBNAME": str(params.get("dbname") or "ecommerce_dw"),
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the profile reads (connection, threads) plus telemetry off."""
    env = {
        **TELEMETRY_OFF,
        "ECOM_DBT_TARGET": settings.target.value,
        "ECOM_DBT_DUCKDB_PATH": str(Path(settings.duckdb_path).resolve()),
        "ECOM_DBT_DUCKDB_THREADS": str(THREADS[Target.DUCKDB]),
        "ECOM_DBT_PG_THREADS": str(THREADS[Target.POSTGRES]),
    }
    env.update(_postgres_env(settings.postgres_dsn))
    user_options = os.environ.get("PGOPTIONS", "").strip()
    env["PGOPTIONS"] = f"{user_options} {POSTGRES_SESSION_OPTIONS}".strip()
    return env


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore the previous ones."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _ensure_postgres_database(dsn: str) -> None:
    """Create the PostgreSQL database of the DSN when it does not exist."""
    try:
        from ecommerce_pipeline.warehouse import ensure_postgres_database
    except ImportError:
        _create_postgres_database(dsn)
    else:
        ensure_postgres_database(dsn)


def _create_postgres_database(dsn: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    database = str(params.get("dbname") or "ecommerce_dw")
    admin_dsn = make_conninfo(dsn, dbname="postgres")
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (database,)
            ).fetchone()
            if exists is None:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
                logger.info("created PostgreSQL database %s", database)
    except psycopg.Error as exc:
        raise TransformError(
            f"Cannot create the PostgreSQL database {database!r} through {admin_dsn!r}: {exc}. "
            "Check ECOM_POSTGRES_DSN and that the server is running."
        ) from exc


def _prepare_warehouse(settings: Settings) -> None:
    if settings.target is Target.POSTGRES:
        _ensure_postgres_database(settings.postgres_dsn)
    else:
        Path(settings.duckdb_path).resolve().parent.mkdir(parents=True, exist_ok=True)


def _outcomes(result: Any) -> tuple[list[NodeOutcome], list[str]]:
    """Node outcomes and failure messages of a dbt execution result (empty for other results)."""
    outcomes: list[NodeOutcome] = []
    failures: list[str] = []
    for node_result in getattr(result, "results", None) or []:
        node = node_result.node
        status = str(node_result.status)
        outcomes.append(
            NodeOutcome(
                node_id=node.unique_id,
                resource_type=str(node.resource_type),
                status=status,
                execution_time=float(node_result.execution_time or 0.0),
            )
        )
        if status in FAILED_STATUSES:
            failures.append(f"{node.unique_id}: {node_result.message or status}")
    return outcomes, failures


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in-process after an invocation.

    Otherwise the file stays locked (other processes cannot open it) and this process cannot
    reopen it with another configuration (e.g. read-only) until it exits.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing is held open
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def run_dbt(
    settings: Settings,
    args: list[str],
    *,
    target_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> TransformResult:
    """Run one dbt command (e.g. ``["build", "--select", "staging"]``) on the settings' target.

    ``target_dir`` overrides the artifacts folder (default :func:`target_path`): concurrent
    builds against different warehouses each need their own. ``env`` adds environment variables
    for this command only (the non-empty ones are shown in the result's command).
    """
    from dbt.cli.main import dbtRunner

    _prepare_warehouse(settings)
    artifacts = target_dir or target_path(settings)
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        settings.target.value,
        "--target-path",
        str(artifacts),
        "--log-path",
        str(artifacts / "logs"),
        # The console gets warnings and errors only; the full log is in <target>/logs/dbt.log.
        "--log-level",
        "warn",
        "--log-level-file",
        "debug",
        "--no-use-colors",
    ]
    logger.info("dbt %s (target %s)", " ".join(args), settings.target.value)
    started = time.perf_counter()
    with _environment({**dbt_env(settings), **(env or {})}):
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            release_duckdb()
    elapsed = time.perf_counter() - started
    results, failures = _outcomes(outcome.result)
    if outcome.exception is not None:
        failures.append(f"dbt {args[0] if args else ''}: {outcome.exception}")
    run_results = artifacts / "run_results.json"
    result = TransformResult(
        success=bool(outcome.success) and not failures,
        command=" ".join(
            ["dbt", *args, *(f"{key}={value}" for key, value in (env or {}).items() if value)]
        ),
        elapsed=elapsed,
        failures=failures,
        run_results=run_results if run_results.exists() else None,
        results=results,
    )
    logger.info(
        "dbt %s: %s in %.1fs (%d nodes, %d failures)",
        args[0] if args else "",
        "ok" if result.success else "FAILED",
        elapsed,
        len(results),
        len(failures),
    )
    return result


#: Environment variables carrying a build's dates to the dbt project (read by the macros
#: as_of_date() and backfill_range() when the vars of the same names are not given).
RUN_DATE_ENV = {
    "as_of_date": "ECOM_DBT_AS_OF_DATE",
    "start_date": "ECOM_DBT_START_DATE",
    "end_date": "ECOM_DBT_END_DATE",
}


def build_dates_env(
    *, as_of: date | None = None, start: date | None = None, end: date | None = None
) -> dict[str, str]:
    """The dates of a build as environment variables: every key of :data:`RUN_DATE_ENV` is set
    (an empty value when not given, so an outer environment cannot leak into the build).

    Dates travel in the environment rather than as ``--vars``: dbt re-parses the whole project
    when the vars differ from the previous run's (the as-of date changes every day), but only
    the files that read an environment variable when its value changes.
    """
    if (start is None) != (end is None):
        raise ValueError(
            f"A backfill needs both start and end (got start={start}, end={end}): pass both."
        )
    if start is not None and end is not None and start > end:
        raise ValueError(f"Backfill start {start} is after end {end}: swap them.")
    values = {"as_of_date": as_of, "start_date": start, "end_date": end}
    return {
        RUN_DATE_ENV[name]: "" if value is None else value.isoformat()
        for name, value in values.items()
    }


def build(
    settings: Settings,
    *,
    as_of: date | None = None,
    full_refresh: bool = False,
    start: date | None = None,
    end: date | None = None,
    select: str | None = None,
    target_dir: Path | None = None,
) -> TransformResult:
    """``dbt build``: seeds, snapshots, models and their tests, in dependency order.

    ``start``/``end`` re-process the orders of that order_date range (a backfill);
    ``full_refresh`` rebuilds the incremental models from scratch.
    """
    args = ["build"]
    dates = build_dates_env(as_of=as_of, start=start, end=end)
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    return run_dbt(settings, args, target_dir=target_dir, env=dates)


def parse(settings: Settings, *, target_dir: Path | None = None) -> Path:
    """``dbt parse``: writes and returns the manifest (``<target path>/manifest.json``)."""
    result = run_dbt(settings, ["parse"], target_dir=target_dir)
    manifest = (target_dir or target_path(settings)) / "manifest.json"
    if not result.success or not manifest.exists():
        raise TransformError(f"dbt parse failed: {'; '.join(result.failures) or 'no manifest'}")
    return manifest


def docs_generate(settings: Settings, *, target_dir: Path | None = None) -> Path:
    """``dbt docs generate``: returns the folder holding index.html, manifest and catalog."""
    artifacts = target_dir or target_path(settings)
    result = run_dbt(settings, ["docs", "generate"], target_dir=artifacts)
    if not result.success or not (artifacts / "catalog.json").exists():
        raise TransformError(
            f"dbt docs generate failed: {'; '.join(result.failures) or 'no catalog.json'}"
        )
    return artifacts


def docs_server(folder: Path, *, host: str = "127.0.0.1", port: int = 8081) -> ThreadingHTTPServer:
    """An HTTP server over a generated docs folder (``index.html``, manifest, catalog).

    dbt's own ``docs serve`` opens a browser and always serves the project's target folder; this
    serves exactly the folder :func:`docs_generate` wrote, without side effects.
    """
    if not (folder / "index.html").is_file():
        raise TransformError(f"no dbt docs in {folder}: run `ecom docs` first")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return ThreadingHTTPServer((host, port), handler)


def docs_serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve the generated dbt docs until interrupted (``ecom docs --serve``)."""
    server = docs_server(target_path(settings), host=host, port=port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files, with request logs sent to the module logger instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("docs server: " + format, *args)
