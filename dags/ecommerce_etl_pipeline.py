"""Daily e-commerce ETL: wait for a day's landing files -> load -> dbt (Cosmos) -> checks -> docs.

One run per business day D (logical date D 02:00 UTC, run at D+1 02:00 UTC): it loads the landing
folders ``<table>/D`` and builds every dbt node as its own task with ``as_of_date`` = D + 1 (see
:mod:`ecommerce_pipeline.orchestration`). Settings come from the ``ECOM_`` environment. Importing
this file reads the dbt manifest written by ``ecom transform --parse``; it runs no dbt and opens
no database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, BaseSensorOperator, CronDataIntervalTimetable, task
from airflow.sdk.exceptions import AirflowSensorTimeout
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from ecommerce_pipeline import alerting, orchestration
from ecommerce_pipeline.config import Settings
from ecommerce_pipeline.transform import PROJECT_DIR, RUN_DATE_ENV, build_dates_env, dbt_env

settings = Settings()
dag_settings = orchestration.AirflowSettings()
POOL = dag_settings.pool(settings)
WRITER_ARGS: dict[str, Any] = {"pool": POOL} if POOL else {}


class LandingDaySensor(BaseSensorOperator):
    """Waits until the run's business day is delivered (a core table's day folder holds a file)."""

    def poke(self, context: Any) -> bool:
        day = orchestration.business_day(context.get("logical_date"))
        if orchestration.day_delivered(settings.landing_dir, day):
            return True
        missing = orchestration.missing_day_folders(settings.landing_dir, day)
        self.log.info("waiting for any of %s", ", ".join(str(folder) for folder in missing))
        return False

    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except AirflowSensorTimeout as exc:
            day = orchestration.business_day(context.get("logical_date"))
            missing = orchestration.missing_day_folders(settings.landing_dir, day)
            message = orchestration.missing_files_message(settings.landing_dir, day, missing)
            raise AirflowSensorTimeout(f"{message} ({exc})") from exc


@task(task_id="extract_day")
def extract_day(**context: Any) -> dict[str, Any]:
    """Bring the business day from the configured source (files: nothing to do)."""
    day = orchestration.business_day(context.get("logical_date"))
    return orchestration.extract_day(settings, day)


@task(task_id="load_day", **WRITER_ARGS)
def load_day(**context: Any) -> dict[str, Any]:
    """Load the business day's landing files into raw (idempotent)."""
    day = orchestration.business_day(context.get("logical_date"))
    return orchestration.load_day(settings, day).as_dict()


@task(task_id="data_quality", **WRITER_ARGS)
def data_quality(**context: Any) -> dict[str, Any]:
    """Record and evaluate the day's checks, send alerts, write the report (after the marts)."""
    day = orchestration.business_day(context.get("logical_date"))
    return orchestration.quality_report(settings, day, run_id=str(context["run_id"]))


@task(task_id="dbt_docs", **WRITER_ARGS)
def dbt_docs() -> str:
    """Generate the dbt docs (``dbt docs generate``)."""
    return orchestration.generate_docs(settings, dag_settings.docs_dir(settings))


with DAG(
    dag_id=orchestration.DAG_ID,
    description="Landing files -> raw -> dbt star schema and marts, one business day per run",
    schedule=CronDataIntervalTimetable(orchestration.SCHEDULE, timezone="UTC"),
    start_date=datetime.combine(dag_settings.start_date(settings), datetime.min.time(), UTC),
    end_date=datetime.combine(dag_settings.end_date(settings), datetime.min.time(), UTC)
    + timedelta(hours=23, minutes=59),
    catchup=dag_settings.dag_catchup,
    max_active_runs=1,
    user_defined_macros={"ecom_as_of_date": orchestration.as_of_template_value},
    default_args={
        "owner": "data-platform",
        "retries": dag_settings.dag_retries,
        "retry_delay": timedelta(seconds=dag_settings.dag_retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=dag_settings.dag_max_retry_delay_seconds),
        "on_failure_callback": alerting.on_task_failure,
        "on_retry_callback": alerting.on_task_retry,
    },
    tags=["ecommerce", "dbt", settings.target.value],
    doc_md=__doc__,
) as dag:
    landing_ready = LandingDaySensor(
        task_id="wait_for_landing_files",
        mode="reschedule",
        poke_interval=dag_settings.sensor_poke_seconds,
        timeout=dag_settings.sensor_timeout_seconds,
        retries=0,
    )
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=PROJECT_DIR,
            manifest_path=orchestration.require_manifest(dag_settings.manifest_path(settings)),
            project_name="ecommerce",
            install_dbt_deps=False,
            # The dates travel in the environment as `ecom transform` passes them (templated per
            # run), not as dbt vars: a var that changes every day makes dbt re-parse the whole
            # project in each task. No backfill range: set empty, so none leaks in from outside.
            env_vars={
                **dbt_env(settings),
                **build_dates_env(),
                RUN_DATE_ENV["as_of_date"]: "{{ ecom_as_of_date(logical_date) }}",
            },
        ),
        profile_config=ProfileConfig(
            profile_name="ecommerce",
            target_name=settings.target.value,
            profiles_yml_filepath=PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            emit_datasets=False,
        ),
        operator_args={
            # No manifest.json / run_results.json per node (the partial-parse cache is kept):
            # writing them costs more than building a small model.
            "dbt_cmd_flags": ["--no-write-json"],
            "callback": orchestration.release_dbt_warehouse,
            "dbt_runner_callbacks": [orchestration.collect_dbt_event],
            **WRITER_ARGS,
        },
    )
    extract_day() >> landing_ready >> load_day() >> dbt >> data_quality() >> dbt_docs()
