"""Streamlit entry script of the dashboard (run by ``ecom serve dashboard``).

Draws the sidebar filters, then the page chosen in the navigation. Errors a user can act on
(no warehouse yet, warehouse being rebuilt) are shown as one message instead of a traceback.
"""

from __future__ import annotations

import streamlit as st

from ecommerce_pipeline.dashboard import data, filters
from ecommerce_pipeline.dashboard.views import customers, operations, overview, products, quality
from ecommerce_pipeline.warehouse import WarehouseError

PAGES = (
    (overview, "overview", ":material/monitoring:"),
    (customers, "customers", ":material/groups:"),
    (products, "products", ":material/inventory_2:"),
    (operations, "operations", ":material/local_shipping:"),
    (quality, "data-quality", ":material/fact_check:"),
)


def main() -> None:
    st.set_page_config(page_title="E-commerce analytics", page_icon="🛒", layout="wide")
    navigation = st.navigation(
        [
            st.Page(module.render, title=module.TITLE, url_path=path, icon=icon, default=index == 0)
            for index, (module, path, icon) in enumerate(PAGES)
        ]
    )
    try:
        bounds = data.bounds()
    except WarehouseError as exc:
        st.warning(f"The warehouse cannot be read right now: {exc}")
        return
    if bounds is None:
        st.info("The marts hold no orders yet: run `ecom run` first.")
        return
    filters.sidebar(*bounds)
    try:
        navigation.run()
    except WarehouseError as exc:
        st.warning(f"The warehouse cannot be read right now: {exc}")


main()
