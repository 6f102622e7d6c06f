"""On-disk cache of parsed files, keyed by content hash, so a restart does not re-parse.

One pickle per repository under the cache folder. Anything wrong with it (missing, corrupt,
unwritable, from another version) is logged and ignored: the index then works from memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from .index_entries import Parsed

log = logging.getLogger(__name__)

FORMAT = 3
"""Bump when `Parsed` or extraction changes: older caches are then ignored."""


def default_cache_dir(root: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "repofill" / "index" / key


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=16).hexdigest()


class ParseCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.file = folder / f"parsed-v{FORMAT}.pickle" if folder is not None else None

    def load(self) -> dict[str, Parsed]:
        if self.file is None or not self.file.exists():
            return {}
        try:
            with self.file.open("rb") as fh:
                data = pickle.load(fh)
            if not isinstance(data, dict):
                raise ValueError("not a dict")
            return data
        except Exception as exc:  # corrupt, truncated, from another version
            log.warning("ignoring the index cache %s: %s", self.file, exc)
            return {}

    def save(self, parsed: dict[str, Parsed]) -> bool:
        if self.file is None or self.folder is None:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".parsed-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(parsed, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.file)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except Exception as exc:
            log.warning("cannot write the index cache %s: %s", self.folder, exc)
            return False
        return True
