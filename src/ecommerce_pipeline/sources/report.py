"""The import report: rows read, rows per handling rule, rows written, values that did not map.

Every adapter accounts for every source row: each row gets exactly one rule (e.g. ``sale``,
``cancellation``, ``duplicate_row``), so ``sum(rules) == rows read`` of the file the rules are
about, and nothing leaves without a count. The report is saved as
``<landing>/_reports/import_<source>.json`` (ignored by the loader) and printed by the CLI.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecommerce_pipeline.sources.landing_writer import WriteResult, write_text_atomic

REPORTS_DIR = "_reports"


@dataclass
class ImportReport:
    """What one import read, decided and wrote."""

    source: str
    rows_in: dict[str, int] = field(default_factory=dict)  # per source file
    rules: Counter[str] = field(default_factory=Counter)  # rows per handling rule
    facts: dict[str, Any] = field(default_factory=dict)  # figures (totals, distinct counts)
    rows_out: Counter[str] = field(default_factory=Counter)  # landing rows per table
    files_out: int = 0
    undated_rows: int = 0
    column_issues: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record_write(self, written: WriteResult) -> None:
        self.rows_out[written.table] += written.rows
        self.files_out += len(written.files)
        self.undated_rows += written.undated_rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_in": self.rows_in,
            "rules": dict(sorted(self.rules.items())),
            "facts": self.facts,
            "rows_out": dict(self.rows_out),
            "files_out": self.files_out,
            "undated_rows": self.undated_rows,
            "column_issues": self.column_issues,
        }

    def save(self, landing_dir: Path) -> Path:
        path = landing_dir / REPORTS_DIR / f"import_{self.source}.json"
        write_text_atomic(path, json.dumps(self.as_dict(), indent=2, default=str))
        return path
