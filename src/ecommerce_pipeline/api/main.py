"""The data API application: ``create_app(settings)`` (served by ``ecom serve api``).

Read-only endpoints over the marts through the shared query layer
(:class:`ecommerce_pipeline.serving.Marts`); OpenAPI docs at ``/docs``. Errors: 401 without a
known key, 404 for an unknown customer/product, 422 naming the invalid parameter, 503 while the
warehouse cannot be read (missing, being rebuilt, unreachable). Repeated reads are answered
from a whole-response cache while the warehouse is unchanged (:mod:`.response_cache`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ecommerce_pipeline.api.deps import ApiConfigError, InvalidParameterError, parse_api_keys
from ecommerce_pipeline.api.response_cache import Cached, ResponseCacheMiddleware
from ecommerce_pipeline.api.routes import customers, health, products, quality, sales
from ecommerce_pipeline.config import Settings, get_settings
from ecommerce_pipeline.serving import Marts
from ecommerce_pipeline.serving.queries import LruCache
from ecommerce_pipeline.warehouse import WarehouseError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"


def _parameter_names(errors: list[dict[str, object]]) -> list[str]:
    names = []
    for error in errors:
        location = error.get("loc")
        if isinstance(location, list | tuple) and location:
            names.append(str(location[-1]) if len(location) > 1 else str(location[0]))
    return names


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with FastAPI's error list plus a one-line message naming the parameters."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    names = ", ".join(dict.fromkeys(_parameter_names(errors)))
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder({"message": f"invalid parameter: {names}", "detail": errors}),
    )


async def _invalid_parameter(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidParameterError)
    detail = [{"type": "value_error", "loc": [exc.location, exc.name], "msg": exc.message}]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"message": f"invalid parameter: {exc.name}: {exc.message}", "detail": detail},
    )


async def _warehouse_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("warehouse unavailable: %s", exc)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": str(exc)},
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: the environment). Raises ApiConfigError without keys."""
    settings = settings or get_settings()
    api_keys = parse_api_keys(settings.api_keys)
    if not api_keys:
        raise ApiConfigError(
            "the data API needs at least one key: set ECOM_API_KEYS, e.g. "
            "ECOM_API_KEYS='<long-random-key>:pii,<another-key>:' (see README)"
        )
    marts = Marts(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        marts.close()

    app = FastAPI(
        title="E-commerce analytics data API",
        version="1.0.0",
        description=(
            "Read-only access to the marts: KPIs, sales, customers (RFM, CLV, churn), products, "
            "cohorts, geography, payment methods, fulfillment and data quality. Send an API key "
            "in the `X-API-Key` header; only keys with the `pii` scope see personal data."
        ),
        lifespan=lifespan,
    )
    app.state.marts = marts
    app.state.api_keys = api_keys
    if settings.serving_cache_entries > 0:
        app.state.response_cache = LruCache[Cached](settings.serving_cache_entries)
        app.add_middleware(
            ResponseCacheMiddleware,
            marts=marts,
            api_keys=api_keys,
            cache=app.state.response_cache,
        )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidParameterError, _invalid_parameter)
    app.add_exception_handler(WarehouseError, _warehouse_unavailable)
    for module in (health, sales, customers, products, quality):
        app.include_router(module.router)
    return app
