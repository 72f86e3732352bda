"""E-commerce analytics pipeline."""

__version__ = "0.1.0"
