"""The API application without a warehouse: key rules, 401/422/503, OpenAPI (no services)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecommerce_pipeline.api.deps import ApiConfigError
from ecommerce_pipeline.api.main import create_app
from ecommerce_pipeline.config import Settings

pytestmark = pytest.mark.unit

KEY = "unit-test-key-1"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    missing = tmp_path / "nothing-here.duckdb"
    return TestClient(create_app(Settings(duckdb_path=missing, api_keys=f"{KEY}:")))


def test_the_app_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ApiConfigError, match="ECOM_API_KEYS"):
        create_app(Settings(duckdb_path=tmp_path / "x.duckdb", api_keys=""))


def test_missing_and_unknown_keys_get_401(client: TestClient) -> None:
    missing = client.get("/v1/kpis")
    assert missing.status_code == 401
    assert "X-API-Key" in missing.json()["detail"]
    assert client.get("/v1/kpis", headers={"X-API-Key": "other-key-123"}).status_code == 401


def test_invalid_parameters_are_422_before_the_warehouse_is_read(client: TestClient) -> None:
    response = client.get("/v1/sales", params={"grain": "week"}, headers={"X-API-Key": KEY})
    assert response.status_code == 422
    assert response.json()["message"] == "invalid parameter: grain"
    bad_id = client.get("/v1/customers/bad%20id", headers={"X-API-Key": KEY})
    assert bad_id.status_code == 422
    assert "customer_id" in bad_id.json()["message"]


def test_a_missing_warehouse_is_a_503_naming_the_fix(client: TestClient) -> None:
    for path in ("/health", "/v1/kpis"):
        response = client.get(path, headers={"X-API-Key": KEY})
        assert response.status_code == 503
        assert "ecom load" in response.json()["detail"]
        assert response.headers["Retry-After"] == "5"


def test_openapi_documents_every_endpoint_and_the_key_header(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/health",
        "/v1/kpis",
        "/v1/sales",
        "/v1/customers",
        "/v1/customers/{customer_id}",
        "/v1/segments",
        "/v1/cohorts",
        "/v1/products/ranking",
        "/v1/products/{product_id}",
        "/v1/products/{product_id}/cross-sell",
        "/v1/geography",
        "/v1/payment-methods",
        "/v1/fulfillment",
        "/v1/data-quality",
    }
    scheme = schema["components"]["securitySchemes"]["APIKeyHeader"]
    assert (scheme["in"], scheme["name"]) == ("header", "X-API-Key")
    assert client.get("/docs").status_code == 200
