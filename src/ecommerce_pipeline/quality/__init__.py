"""Data quality: every check of every run recorded, anomalies and freshness judged, alerts, reports.

Entry points (the DAG, the CLI and tests call these):

* :func:`run_checks` - the data-quality step of a run: dbt results, the loader's quarantine and
  reconciliation figures, source freshness and anomaly checks -> ``marts.data_quality_results``
  (+ ``marts.model_run_history``), incidents and their alerts, ``reports/<D>/data_quality.html``;
* :func:`notify_task_failure` / :func:`notify_task_success` - task incidents from the DAG's
  callbacks (one alert per incident, a recovery message on the next success).

Modules: :mod:`.results` (history tables), :mod:`.collect` (dbt artifacts, loader figures),
:mod:`.anomalies`, :mod:`.freshness`, :mod:`.incidents`, :mod:`.channels` (apprise webhook and
e-mail), :mod:`.report` (+ :mod:`.charts`, ``templates/``), :mod:`.store` (warehouse session).
"""

from ecommerce_pipeline.quality.results import CheckResult, ModelRun
from ecommerce_pipeline.quality.runner import (
    QualityRunResult,
    notify_task_failure,
    notify_task_success,
    resolve_task_incidents,
    run_checks,
)

__all__ = [
    "CheckResult",
    "ModelRun",
    "QualityRunResult",
    "notify_task_failure",
    "notify_task_success",
    "resolve_task_incidents",
    "run_checks",
]
