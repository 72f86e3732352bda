"""Health: proves the marts are readable (no API key needed, for liveness probes)."""

from __future__ import annotations

from fastapi import APIRouter

from ecommerce_pipeline.api.deps import MartsDep
from ecommerce_pipeline.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Warehouse reachable, marts readable")
def health(marts: MartsDep) -> dict[str, object]:
    """`ok` with the order-date bounds; 503 when the warehouse cannot be read."""
    return {"status": "ok", "target": marts.settings.target.value, **marts.ping()}
