"""Synthetic e-commerce landing data: seeded, vectorised, realistic enough for every metric.

``generate(GeneratorConfig(out=...))`` writes the four core tables (customers, products,
orders, order_items) in the landing layout of ``data-contract.md`` / ``LANDING.md``:
``<out>/<table>/<YYYY-MM-DD>/<table>_<YYYY-MM-DD>.csv|.parquet``, each day folder holding the
rows created or changed that day (``updated_at`` on that day), plus
``<out>/_manifest/generation.json`` (flags, rows per table) and, in dirty mode,
``<out>/_manifest/dirty_manifest.csv``. The same config always gives byte-identical files.

Modules, one concern each: :mod:`.seasonality` (calendar, weekly/yearly/hourly demand),
:mod:`.geography` and :mod:`.people` (countries, cities, postal codes, tax, shipping, names),
:mod:`.catalog` (products, prices, complements), :mod:`.customers` (segments and change
history), :mod:`.arrivals` (when each customer orders), :mod:`.orders` (lines and amounts),
:mod:`.lifecycle` (shipping, delivery, cancellations, returns -> order and item rows),
:mod:`.inventory` (stock and product rows), :mod:`.columns` / :mod:`.versions` /
:mod:`.writer` (Arrow columns, row buffers, files), :mod:`.dirt` (dirty mode), :mod:`.runner`.
The documented distribution bounds are checked in ``tests/unit/test_generate_distributions.py``.
"""

from ecommerce_pipeline.generate.config import GenerateResult, GeneratorConfig, GeneratorConfigError
from ecommerce_pipeline.generate.runner import generate

__all__ = ["GenerateResult", "GeneratorConfig", "GeneratorConfigError", "generate"]
