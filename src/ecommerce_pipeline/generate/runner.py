"""``generate``: the whole run, chunk of days by chunk of days, with bounded memory.

Up front (small): the catalog, the customers and their history, and the time and customer of
every order. Then per chunk of :data:`CHUNK_DAYS` days: the chunk's orders with their lines,
their fulfilment, the stock, and the rows of every table for those days. Order and item rows
that fall on later days (shipping, delivery, returns) wait in a buffer until their day.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ecommerce_pipeline.contract import CORE_TABLES
from ecommerce_pipeline.generate.arrivals import OrderPlan, plan_orders
from ecommerce_pipeline.generate.catalog import Catalog
from ecommerce_pipeline.generate.config import GenerateResult, GeneratorConfig, Sizes
from ecommerce_pipeline.generate.customers import CustomerHistory, draw_customers
from ecommerce_pipeline.generate.faults import FaultPlan, drop_orders
from ecommerce_pipeline.generate.geography import Geography
from ecommerce_pipeline.generate.inventory import Inventory
from ecommerce_pipeline.generate.lifecycle import (
    OrderBook,
    fulfil,
    item_table,
    item_versions,
    order_table,
    order_versions,
)
from ecommerce_pipeline.generate.orders import EXTRA_LINES_MEAN, PlacedOrders, place_orders
from ecommerce_pipeline.generate.people import NameBook
from ecommerce_pipeline.generate.seasonality import SECONDS_PER_DAY, DemandClock, Horizon
from ecommerce_pipeline.generate.versions import PendingVersions
from ecommerce_pipeline.generate.writer import MANIFEST_DIR, LandingWriter, clear_landing

logger = logging.getLogger(__name__)

CHUNK_DAYS = 14
GENERATOR_VERSION = 1


class RandomStreams:
    """Independent, named random streams derived from the seed (stable across runs)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, name: str, *index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(name.encode()), *index])


def generate(config: GeneratorConfig) -> GenerateResult:
    """Write the synthetic landing folder of ``config`` (see the package docstring)."""
    config.validate()
    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    remover = clear_landing(out)
    world = World.build(config)
    dirt = None
    if config.dirty_rate > 0 or world.faults.bad_rows_day is not None:
        from ecommerce_pipeline.generate.dirt import DirtInjector

        dirt = DirtInjector(
            config.dirty_rate, config.file_format, world.horizon, world.streams, world.faults
        )
    writer = LandingWriter(out, config.file_format, world.horizon, dirt)
    days = ChunkWriter(world, writer)
    with _progress(config.progress, config.days) as advance:
        try:
            for index, (first_day, stop_day) in enumerate(world.horizon.chunks(CHUNK_DAYS)):
                days.write_chunk(index, first_day, stop_day)
                advance(stop_day - first_day)
        finally:
            writer.close()
            if remover is not None:
                remover.join()
    manifest = None
    if dirt is not None:
        if dirt.leftover_files():
            logger.warning("%d planned dirty files found no day to go to", dirt.leftover_files())
        manifest = dirt.write_manifest(out)
    _write_generation_json(out, config, writer, world)
    seconds = time.perf_counter() - started
    logger.info("wrote %d files, %s rows in %.1f s", writer.files, dict(writer.rows), seconds)
    return GenerateResult(
        out=out,
        rows={table: int(writer.rows[table]) for table in CORE_TABLES},
        files=writer.files,
        seconds=seconds,
        manifest=manifest,
    )


@dataclass(frozen=True)
class World:
    """Everything decided up front: catalog, customers and their history, every order's time."""

    horizon: Horizon
    streams: RandomStreams
    geography: Geography
    names: NameBook
    catalog: Catalog
    history: CustomerHistory
    plan: OrderPlan
    faults: FaultPlan

    @classmethod
    def build(cls, config: GeneratorConfig) -> World:
        sizes = Sizes.of(config)
        logger.info("generating %s into %s", sizes, config.out)
        horizon = Horizon(config.start, config.days)
        streams = RandomStreams(config.seed)
        geography = Geography()
        names = NameBook(tuple(sorted({country.language for country in geography.countries})))
        catalog = Catalog(sizes.products, horizon, streams("catalog"))
        base = draw_customers(sizes.customers, horizon, geography, names, streams("customers"))
        clock = DemandClock(horizon)
        plan = plan_orders(base, clock, horizon, sizes.orders, streams("arrivals"))
        history = CustomerHistory(
            base, plan.customer, plan.secs, horizon, geography, streams("history")
        )
        faults = _fault_plan(config, horizon)
        if faults.volume_drop_day is not None:
            keep = drop_orders(plan.secs, horizon, faults, streams("fault-volume-drop"))
            plan = OrderPlan(secs=plan.secs[keep], customer=plan.customer[keep])
        return cls(horizon, streams, geography, names, catalog, history, plan, faults)


class ChunkWriter:
    """Generates and writes the rows of each chunk of days, in order."""

    def __init__(self, world: World, writer: LandingWriter) -> None:
        self.world = world
        self.writer = writer
        units_per_day = len(world.plan.secs) * (1 + EXTRA_LINES_MEAN) * 1.3 / world.horizon.days
        inventory_rng = world.streams("inventory")
        self.inventory = Inventory(world.catalog, world.horizon, units_per_day, inventory_rng)
        self.pending_orders = PendingVersions()
        self.pending_items = PendingVersions()
        self.book = OrderBook()

    def write_chunk(self, index: int, first_day: int, stop_day: int) -> None:
        placed = self._place_orders(index, first_day, stop_day)
        self._write_customers(first_day, stop_day)
        self._write_products(placed, first_day, stop_day)
        self._write_orders_and_items(stop_day)

    def _place_orders(self, index: int, first_day: int, stop_day: int) -> PlacedOrders:
        world = self.world
        start = world.horizon.start_secs
        low, high = np.searchsorted(
            world.plan.secs,
            [start + first_day * SECONDS_PER_DAY, start + stop_day * SECONDS_PER_DAY],
        )
        placed = place_orders(
            int(low) + 1,
            world.plan.secs[low:high],
            world.plan.customer[low:high],
            world.history,
            world.catalog,
            world.geography,
            world.horizon,
            world.streams("orders", index),
            world.faults,
        )
        life = fulfil(placed, world.catalog, world.geography, world.streams("fulfilment", index))
        self.book.add(placed, life)
        self.pending_orders.add(order_versions(placed, life, world.horizon))
        self.pending_items.add(item_versions(placed, life, world.horizon))
        return placed

    def _write_customers(self, first_day: int, stop_day: int) -> None:
        history = self.world.history
        low, high = np.searchsorted(history.version_day, [first_day, stop_day])
        rows = np.arange(low, high)
        names = self.world.names
        self.writer.write(
            "customers", lambda: history.table(rows, names), history.versions["secs"][rows]
        )

    def _write_products(self, placed: PlacedOrders, first_day: int, stop_day: int) -> None:
        sold = ~placed.cancelled[placed.line_order]  # cancelled orders never take stock
        versions = self.inventory.advance(
            first_day,
            stop_day,
            placed.product[sold],
            placed.secs[placed.line_order][sold],
            placed.quantity[sold],
        )
        inventory = self.inventory
        self.writer.write("products", lambda: inventory.table(versions.values), versions.secs)

    def _write_orders_and_items(self, stop_day: int) -> None:
        world = self.world
        stop_secs = world.horizon.start_secs + stop_day * SECONDS_PER_DAY
        orders = self.pending_orders.due_before(stop_secs)
        values = {**orders.values, **self.book.gather(orders.values["number"])}
        geography = world.geography
        self.writer.write("orders", lambda: order_table(values, geography), orders.secs)
        self.book.forget_before(self.pending_orders.lowest("number"))
        items = self.pending_items.due_before(stop_secs)
        self.writer.write("order_items", lambda: item_table(items.values), items.secs)


def _fault_plan(config: GeneratorConfig, horizon: Horizon) -> FaultPlan:
    return FaultPlan.of(
        horizon,
        volume_drop_day=config.volume_drop_day,
        volume_drop_keep=config.volume_drop_keep,
        revenue_spike_day=config.revenue_spike_day,
        revenue_spike_factor=config.revenue_spike_factor,
        bad_rows_day=config.bad_rows_day,
        bad_rows_rate=config.bad_rows_rate,
    )


def _write_generation_json(
    out: Path, config: GeneratorConfig, writer: LandingWriter, world: World
) -> None:
    folder = out / MANIFEST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    skipped = ("out", "progress", *GeneratorConfig.FAULT_FIELDS)
    flags = {key: value for key, value in asdict(config).items() if key not in skipped}
    flags["start"] = config.start.isoformat()
    document = {
        "generator": "ecommerce_pipeline.generate",
        "generator_version": GENERATOR_VERSION,
        "flags": flags,
        "rows": {table: int(writer.rows[table]) for table in CORE_TABLES},
        "files": writer.files,
    }
    if world.faults.active:  # absent without faults: a clean run's manifest is unchanged
        document["faults"] = world.faults.describe(world.horizon)
    (folder / "generation.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A callable advancing a rich progress bar over the days (or doing nothing)."""
    if not enabled:
        yield lambda _days: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("generating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("days", total=total)
        yield lambda days: progress.advance(task, days)
