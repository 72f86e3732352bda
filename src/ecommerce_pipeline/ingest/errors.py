"""Errors of the landing -> raw load a user can act on (bad records are quarantined, not raised)."""

from __future__ import annotations


class LoadError(Exception):
    """Base class of the loader's errors."""


class LandingNotFoundError(LoadError):
    """The landing folder does not exist or is not a folder."""


class UnknownTableError(LoadError):
    """A table asked for is not a table of the contract."""


class LoadInProgressError(LoadError):
    """Another load holds the warehouse."""


class FileRejectedError(LoadError):
    """A landing file cannot be loaded at all (its records stay out of raw); caught per file."""
