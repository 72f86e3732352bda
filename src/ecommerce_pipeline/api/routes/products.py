"""Products: detail, top / bottom by a metric, cross-sell partners."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status

from ecommerce_pipeline.api.deps import KeyDep, MartsDep
from ecommerce_pipeline.api.routes.params import TEXT_PATTERN, Metric, ProductId
from ecommerce_pipeline.api.schemas import CrossSell, Product, ProductRanking

router = APIRouter(prefix="/v1/products", tags=["products"])


@router.get("/ranking", response_model=ProductRanking, summary="Top or bottom products")
def ranking(
    marts: MartsDep,
    _key: KeyDep,
    metric: Annotated[Metric, Query(description="Column of product_performance")] = "net_revenue",
    direction: Annotated[Literal["top", "bottom"], Query(description="Highest or lowest")] = "top",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    category: Annotated[
        str | None, Query(max_length=100, pattern=TEXT_PATTERN, description="Product category")
    ] = None,
    sold_only: Annotated[bool, Query(description="Only products with units sold")] = False,
) -> dict[str, Any]:
    """marts.product_performance ordered by the metric (nulls last, ties by product_id)."""
    items = marts.ranked_products(
        metric, bottom=direction == "bottom", limit=limit, category=category, sold_only=sold_only
    )
    return {"metric": metric, "direction": direction, "category": category, "items": items}


@router.get(
    "/{product_id}",
    response_model=Product,
    summary="A product's performance",
    responses={404: {"description": "No such product"}},
)
def product(marts: MartsDep, _key: KeyDep, product_id: ProductId) -> dict[str, Any]:
    """The marts.product_performance row of the product."""
    found = marts.product(product_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product {product_id!r}")
    return found


@router.get(
    "/{product_id}/cross-sell",
    response_model=CrossSell,
    summary="A product's cross-sell partners",
    responses={404: {"description": "No such product"}},
)
def cross_sell(
    marts: MartsDep,
    _key: KeyDep,
    product_id: ProductId,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """marts.product_affinity partners of the product, highest lift first."""
    if marts.product(product_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product {product_id!r}")
    return {"product_id": product_id, "partners": marts.cross_sell(product_id, limit)}
