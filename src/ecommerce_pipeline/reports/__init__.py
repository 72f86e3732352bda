"""Self-contained HTML reports over the marts (``ecom report business``)."""
