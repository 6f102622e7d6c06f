"""What the model should see: a repository index and RLPG-style prompt proposals.

The engine uses `Retriever` (build, update, select) and `format_context`; `is_excluded` is the
one rule for files that must never be read (secrets, keys, binaries).
"""

from __future__ import annotations

from .exclusion import is_excluded
from .format import format_context
from .retriever import Retriever

__all__ = ["Retriever", "format_context", "is_excluded"]
