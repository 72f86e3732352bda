"""The read-only data API (FastAPI) over the marts: ``ecom serve api``."""
