"""A local Airflow for the project: ``make airflow`` / ``make airflow-stop``.

``start`` parses the dbt manifest, prepares ``AIRFLOW_HOME`` (default ``<repo>/.airflow``: metadata
DB, login admin/admin through the simple auth manager, the DuckDB writers' pool, variables and the
warehouse connection from the ``ECOM_`` settings), starts ``airflow standalone`` in its own session
(``setsid``) with the venv's bin on PATH, waits until the API answers and the DAG is registered and
unpaused, then prints the URL. ``stop`` ends the whole process group and checks nothing is left.

Usage: ``python -m ecommerce_pipeline.airflow_standalone start|stop|status [--home DIR] [--port N]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecommerce_pipeline.config import Settings, Target, get_settings
from ecommerce_pipeline.orchestration import DAG_ID, TELEMETRY_OFF, AirflowSettings

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOME = REPO_ROOT / ".airflow"
DEFAULT_PORT = 8080
USER = "admin"
PASSWORD = "admin"
#: Set in the environment of every process of one standalone; ``stop`` finds stragglers by it.
MARKER = "ECOM_AIRFLOW_STANDALONE_ID"
#: Imported once by the LocalExecutor's fork server, so every task process (forked from it)
#: starts with Airflow, Cosmos and dbt already imported instead of importing them again.
WORKER_PRELOAD = (
    "airflow",
    "airflow.executors.local_executor",
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "cosmos.operators.local",
    "dbt.cli.main",
    "dbt.task.build",
    "dbt.parser.manifest",
    "dbt.context.providers",
    "dbt.artifacts.schemas.run",
    "dbt.adapters.duckdb.impl",
    "dbt.adapters.duckdb.connections",
    "dbt.adapters.postgres.impl",
    "networkx",
    "agate",
    "ecommerce_pipeline.orchestration",
    "ecommerce_pipeline.ingest",
)


class StandaloneError(RuntimeError):
    """Airflow could not be started or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class Standalone:
    """One local Airflow: its home folder, API port and the pipeline settings it runs with."""

    home: Path
    port: int
    settings: Settings
    dag_settings: AirflowSettings

    @property
    def pid_file(self) -> Path:
        return self.home / "standalone.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "standalone.log"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manifest_path(self) -> Path:
        return self.dag_settings.manifest_path(self.settings)


def _absolute(path: Path) -> str:
    return str(Path(path).expanduser().resolve())


def ecom_environment(settings: Settings, dag_settings: AirflowSettings) -> dict[str, str]:
    """The ``ECOM_`` variables of the processes of Airflow, with absolute paths.

    Task processes need not run in the repository: relative paths would move with them.
    """
    env = {key: value for key, value in os.environ.items() if key.startswith("ECOM_")}
    env.update(
        {
            "ECOM_TARGET": settings.target.value,
            "ECOM_DUCKDB_PATH": _absolute(settings.duckdb_path),
            "ECOM_POSTGRES_DSN": settings.postgres_dsn,
            "ECOM_LANDING_DIR": _absolute(settings.landing_dir),
            "ECOM_START_DATE": settings.start_date,
            "ECOM_DAYS": str(settings.days),
        }
    )
    if dag_settings.dbt_manifest_path is not None:
        env["ECOM_DBT_MANIFEST_PATH"] = _absolute(dag_settings.dbt_manifest_path)
    if dag_settings.dbt_docs_dir is not None:
        env["ECOM_DBT_DOCS_DIR"] = _absolute(dag_settings.dbt_docs_dir)
    return env


def lineage_file(home: Path) -> Path:
    """The OpenLineage events file of an Airflow home (created with its folder)."""
    path = home / "openlineage" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def airflow_environment(standalone: Standalone, run_id: str) -> dict[str, str]:
    """The environment of ``airflow standalone`` and every process it starts."""
    home = standalone.home
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env.update(TELEMETRY_OFF)
    env.update(ecom_environment(standalone.settings, standalone.dag_settings))
    env.update(
        {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(standalone.port),
            "AIRFLOW__API__BASE_URL": standalone.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{standalone.api}/execution/",
            "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            # OpenLineage (provider in the locked env): every task's START/COMPLETE/FAIL events,
            # one JSON object per line, in <home>/openlineage/events.jsonl.
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "ecommerce",
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                {"type": "file", "log_file_path": str(lineage_file(home)), "append": True}
            ),
            "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
            "AIRFLOW__CORE__MP_FORKSERVER_PRELOAD": ",".join(WORKER_PRELOAD),
            MARKER: run_id,
        }
    )
    # Four task slots on a laptop-sized machine (Airflow's default, 32, starts 32 workers).
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    env.pop("AIRFLOW__CORE__SQL_ALCHEMY_CONN", None)
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    return env


def _airflow(env: dict[str, str], *args: str) -> None:
    """Run one ``airflow`` CLI command; raise with its output when it fails."""
    command = [str(Path(sys.executable).parent / "airflow"), *args]
    done = subprocess.run(
        command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StandaloneError(
            f"`airflow {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def _write_json(path: Path, content: Any) -> Path:
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def _connection(settings: Settings) -> dict[str, Any]:
    """The ``ecom_warehouse`` connection of the settings' warehouse."""
    if settings.target is Target.DUCKDB:
        return {"conn_type": "duckdb", "host": _absolute(settings.duckdb_path)}
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(settings.postgres_dsn)
    return {
        "conn_type": "postgres",
        "host": str(params.get("host") or "127.0.0.1"),
        "port": int(params.get("port") or 5432),
        "login": str(params.get("user") or "postgres"),
        "password": str(params.get("password") or ""),
        "schema": str(params.get("dbname") or "ecommerce_dw"),
    }


def _variables(settings: Settings) -> dict[str, str]:
    """Informational variables (the DAG reads the ``ECOM_`` environment, not these)."""
    from ecommerce_pipeline.pipeline import results_location

    return {
        "ecom_target": settings.target.value,
        "ecom_landing_dir": _absolute(settings.landing_dir),
        "ecom_warehouse": results_location(settings),
    }


def prepare(standalone: Standalone, env: dict[str, str]) -> None:
    """Manifest, metadata DB, login, pool, variables and connection of the standalone."""
    from ecommerce_pipeline import transform

    home = standalone.home
    home.mkdir(parents=True, exist_ok=True)
    manifest = standalone.manifest_path()
    print(f"parsing the dbt project -> {manifest}", flush=True)
    transform.parse(standalone.settings, target_dir=manifest.parent)
    _write_json(home / "passwords.json", {USER: PASSWORD})
    print(f"migrating the metadata DB in {home}", flush=True)
    _airflow(env, "db", "migrate")
    pool = standalone.dag_settings.duckdb_pool
    pools = {pool: {"slots": 1, "description": "DuckDB allows one writer", "include_deferred": 0}}
    _airflow(env, "pools", "import", str(_write_json(home / "pools.json", pools)))
    variables = _write_json(home / "variables.json", _variables(standalone.settings))
    _airflow(env, "variables", "import", "--action-on-existing-key", "overwrite", str(variables))
    connections = {"ecom_warehouse": _connection(standalone.settings)}
    connections_file = _write_json(home / "connections.json", connections)
    connections_file.chmod(0o600)
    _airflow(env, "connections", "import", "--overwrite", str(connections_file))


def _request(
    url: str, *, method: str = "GET", body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def api_token(api: str, user: str = USER, password: str = PASSWORD) -> str:
    """A JWT of the API for ``user`` (``POST /auth/token``)."""
    status, body = _request(
        f"{api}/auth/token", method="POST", body={"username": user, "password": password}
    )
    if status not in (200, 201) or not body:
        raise StandaloneError(f"login as {user} refused by {api}/auth/token (HTTP {status})")
    return str(body["access_token"])


def _read_pid(standalone: Standalone) -> tuple[int, str] | None:
    if not standalone.pid_file.is_file():
        return None
    pid, _, run_id = standalone.pid_file.read_text(encoding="utf-8").strip().partition(" ")
    return int(pid), run_id


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def _log_tail(standalone: Standalone, lines: int = 40) -> str:
    if not standalone.log_file.is_file():
        return ""
    return "\n".join(standalone.log_file.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_ready(standalone: Standalone, pid: int, timeout: float) -> None:
    """Wait for the API, a login, the DAG registered without import error, and unpause it."""
    deadline = time.monotonic() + timeout
    token: str | None = None
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise StandaloneError(
                f"airflow standalone exited during start-up; last lines of "
                f"{standalone.log_file}:\n{_log_tail(standalone)}"
            )
        try:
            token = token or api_token(standalone.api)
            status, dag = _request(f"{standalone.api}/api/v2/dags/{DAG_ID}", token=token)
            if status == 200 and dag is not None:
                if dag.get("is_paused"):
                    _request(
                        f"{standalone.api}/api/v2/dags/{DAG_ID}",
                        method="PATCH",
                        body={"is_paused": False},
                        token=token,
                    )
                    continue
                return
            _raise_import_errors(standalone, token)
        except (urllib.error.URLError, ConnectionError, TimeoutError, StandaloneError):
            token = None
        time.sleep(2)
    raise StandaloneError(
        f"Airflow did not come up within {timeout:.0f}s; see {standalone.log_file}:\n"
        f"{_log_tail(standalone)}"
    )


class DagImportError(StandaloneError):
    """The DAG file does not import in the DAG processor."""


def _raise_import_errors(standalone: Standalone, token: str) -> None:
    status, body = _request(f"{standalone.api}/api/v2/importErrors", token=token)
    if status != 200 or not body:
        return
    for error in body.get("import_errors", []):
        if DAG_ID in str(error.get("filename", "")):
            raise DagImportError(f"the DAG does not import:\n{error.get('stack_trace')}")


def start(standalone: Standalone, *, timeout: float = 300.0) -> int:
    """Start Airflow (or report the running one) and wait until it is usable."""
    running = _read_pid(standalone)
    if running is not None and _alive(running[0]):
        print(f"Airflow already runs (pid {running[0]}): {standalone.url} ({USER}/{PASSWORD})")
        return 0
    run_id = uuid.uuid4().hex
    env = airflow_environment(standalone, run_id)
    prepare(standalone, env)
    print(f"starting airflow standalone (log: {standalone.log_file})", flush=True)
    with standalone.log_file.open("ab") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), "standalone"],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid: its own process group, stopped as a whole
        )
    standalone.pid_file.write_text(f"{process.pid} {run_id}\n", encoding="utf-8")
    try:
        _wait_until_ready(standalone, process.pid, timeout)
    except DagImportError as exc:
        print(f"Airflow runs at {standalone.url}, but {exc}", file=sys.stderr)
        return 1
    except StandaloneError:
        stop(standalone, quiet=True)
        raise
    print(f"Airflow is up: {standalone.url}  (login {USER}/{PASSWORD}; DAG {DAG_ID} unpaused)")
    print("Stop it with `make airflow-stop`.")
    return 0


def _processes() -> Iterator[tuple[int, int]]:
    """(pid, process group) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            yield int(entry.name), int(fields[2])


def _has_marker(pid: int, run_id: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER}={run_id}".encode() in environ.split(b"\0")


def leftover_processes(pgid: int, run_id: str) -> list[int]:
    """Processes of the standalone still alive: in its group, or started with its marker."""
    me = os.getpid()
    return sorted(
        pid
        for pid, group in _processes()
        if pid != me and (group == pgid or (run_id and _has_marker(pid, run_id)))
    )


def _signal_all(pgid: int, pids: list[int], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pgid: int, run_id: str, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    left = leftover_processes(pgid, run_id)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = leftover_processes(pgid, run_id)
    return left


def stop(standalone: Standalone, *, quiet: bool = False, timeout: float = 30.0) -> int:
    """Stop every process of the standalone (SIGTERM, then SIGKILL) and verify none is left."""
    running = _read_pid(standalone)
    if running is None:
        if not quiet:
            print(f"no Airflow started from {standalone.home} (no {standalone.pid_file.name})")
        return 0
    pgid, run_id = running
    left = leftover_processes(pgid, run_id)
    if left:
        _signal_all(pgid, left, signal.SIGTERM)
        left = _wait_gone(pgid, run_id, timeout)
    if left:
        _signal_all(pgid, left, signal.SIGKILL)
        left = _wait_gone(pgid, run_id, 10.0)
    if left:
        raise StandaloneError(f"processes of Airflow still alive after SIGKILL: {left}")
    standalone.pid_file.unlink(missing_ok=True)
    if not quiet:
        print(f"Airflow stopped; no process of it is left (process group {pgid}).")
    return 0


def status(standalone: Standalone) -> int:
    """Print whether the standalone runs; exit status 0 when it does."""
    running = _read_pid(standalone)
    if running is not None and _alive(running[0]):
        print(f"Airflow runs (pid {running[0]}): {standalone.url}")
        return 0
    print("Airflow is not running")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecommerce_pipeline.airflow_standalone")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="AIRFLOW_HOME")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="API server / UI port")
    parser.add_argument("--timeout", type=float, default=300.0, help="Start-up timeout (s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    standalone = Standalone(
        home=args.home.expanduser().resolve(),
        port=args.port,
        settings=get_settings(),
        dag_settings=AirflowSettings(),
    )
    try:
        if args.command == "start":
            return start(standalone, timeout=args.timeout)
        if args.command == "stop":
            return stop(standalone)
        return status(standalone)
    except StandaloneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
