"""The base of every error a user can act on.

The CLI prints these as one clear line (no traceback) and exits with code 2; messages name the
file, row, column or setting concerned and the fix.
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by input or configuration the user can fix."""
