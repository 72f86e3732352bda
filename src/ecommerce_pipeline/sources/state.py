"""Persisted extraction state: one high-water mark (a keyset cursor) per source and table.

The mark is the ``(changed_at, key)`` of the last row whose landing file is durable, encoded as
an opaque text cursor (the same encoding the source API uses for its pages). It lives in
``<landing>/_state/<source>.json`` (ignored by the loader: ``_`` prefix) and is rewritten
atomically after each page's files are on disk, never before.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ecommerce_pipeline.errors import UserError
from ecommerce_pipeline.sources.landing_writer import write_text_atomic

logger = logging.getLogger(__name__)

STATE_DIR = "_state"


class CursorError(UserError):
    """A cursor that is not one this project wrote."""


@dataclass(frozen=True)
class Cursor:
    """Position after a row: its change time (UTC) and its key."""

    changed_at: datetime
    key: str

    def encode(self) -> str:
        payload = json.dumps({"changed_at": self.changed_at.isoformat(), "key": self.key})
        return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            return cls(datetime.fromisoformat(payload["changed_at"]), str(payload["key"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CursorError(
                f"invalid cursor {token!r}: pass a cursor returned by the source API, or none"
            ) from exc


def state_path(landing_dir: Path, source: str) -> Path:
    return landing_dir / STATE_DIR / f"{source}.json"


def load_marks(landing_dir: Path, source: str) -> dict[str, str]:
    """The persisted cursor of every table of ``source`` (empty when nothing was extracted)."""
    path = state_path(landing_dir, source)
    if not path.exists():
        return {}
    try:
        marks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CursorError(
            f"{path} is not valid JSON ({exc}); delete it to extract everything again"
        ) from exc
    return {str(table): str(cursor) for table, cursor in marks.items()}


def save_mark(landing_dir: Path, source: str, table: str, cursor: str) -> None:
    """Persist ``cursor`` as the high-water mark of ``table`` (atomic rewrite of the file)."""
    marks = load_marks(landing_dir, source)
    marks[table] = cursor
    write_text_atomic(state_path(landing_dir, source), json.dumps(marks, indent=2, sort_keys=True))
    logger.debug("%s.%s: mark advanced to %s", source, table, cursor)
