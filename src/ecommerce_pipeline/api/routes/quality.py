"""Data quality: the latest run's checks from marts.data_quality_results (empty state without)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ecommerce_pipeline.api.deps import KeyDep, MartsDep
from ecommerce_pipeline.api.schemas import DataQuality

router = APIRouter(prefix="/v1", tags=["data quality"])

FAILED = frozenset({"fail", "error"})


@router.get("/data-quality", response_model=DataQuality, summary="Latest data-quality status")
def data_quality(marts: MartsDep, _key: KeyDep) -> dict[str, Any]:
    """Every check of the latest run; `available` is false until the table exists."""
    available = marts.dq_available()
    results = marts.dq_latest() if available else []
    for row in results:
        row["run_id"] = str(row["run_id"])
    return {
        "available": available,
        "run_id": results[0]["run_id"] if results else None,
        "run_at": results[0]["run_at"] if results else None,
        "checks": len(results),
        "failed_checks": sum(1 for row in results if str(row["status"]).lower() in FAILED),
        "results": results,
        "quarantine_by_reason": marts.dq_quarantine_reasons() if available else [],
    }
