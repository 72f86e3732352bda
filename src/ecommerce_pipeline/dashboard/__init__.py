"""The Streamlit dashboard over the marts (``ecom serve dashboard``).

Pages: Overview, Customers, Products, Operations, Data quality; sidebar filters date range,
country and sales channel. Every query goes through the shared query layer
(:class:`ecommerce_pipeline.serving.Marts`) and is cached with a TTL. The dashboard shows no
personal data (it has no login): customers appear by customer_id only.
"""

from pathlib import Path

#: The Streamlit entry script.
APP_PATH = Path(__file__).with_name("app.py")
