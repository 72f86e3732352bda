"""Routers of the data API, one module per area."""
