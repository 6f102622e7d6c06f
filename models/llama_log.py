"""llama.cpp's own log, routed into Python logging (logger `repofill.llama_cpp`).

llama-cpp-python prints llama.cpp's log to stderr itself, and with `verbose=False` it still
prints every warning, labelled by a level table that no longer matches ggml's: ggml numbers its
levels NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (a continuation of the previous line),
and llama-cpp-python 0.3.x reads 3 as ERROR and 4 as DEBUG. So every load of the embedded model
printed `llama_kv_cache_iswa: using full-size SWA cache` into the editor's output panel, while
the reason a corrupt model failed to load was dropped.

Here: DEBUG and INFO become DEBUG records, warnings INFO (those seen, the SWA cache and a model's
token types, ask nothing of the user), errors ERROR. While `capture_errors()` is active (a model
load), errors are kept for the exception that follows instead of being logged.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("repofill.llama_cpp")

# ggml.h, enum ggml_log_level
GGML_DEBUG, GGML_INFO, GGML_WARN, GGML_ERROR, GGML_CONT = 1, 2, 3, 4, 5
LEVELS = {GGML_DEBUG: logging.DEBUG, GGML_INFO: logging.DEBUG, GGML_WARN: logging.INFO}
"""Python logging level of each ggml level; ERROR and anything unknown are ERROR."""


class _Route:
    """What the callback needs between calls, guarded by `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callback: Any = None  # the ctypes callback, kept alive while llama.cpp holds it
        self.last = logging.DEBUG  # the level a GGML_CONT line continues
        self.captured: list[str] | None = None  # errors kept by `capture_errors`


_route = _Route()


def _handle(level: int, text: bytes) -> None:
    with _route.lock:
        py_level = _route.last if level == GGML_CONT else LEVELS.get(level, logging.ERROR)
        _route.last = py_level
        captured = _route.captured
    line = text.decode("utf-8", "replace").rstrip("\n")
    if not line.strip():
        return
    if py_level >= logging.ERROR and captured is not None:
        captured.append(line.strip())
        log.debug("%s", line)
    elif log.isEnabledFor(py_level):
        log.log(py_level, "%s", line)


def route_llama_log() -> None:
    """Send llama.cpp's log to `repofill.llama_cpp` from now on (idempotent; call it after
    importing `llama_cpp`, whose import installs its own printer)."""
    import llama_cpp

    with _route.lock:
        if _route.callback is not None:
            return

        def on_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
            with contextlib.suppress(Exception):  # an exception must not cross into C
                _handle(level, text)

        # Kept in _route: ctypes calls into a freed callback otherwise.
        _route.callback = llama_cpp.llama_log_callback(on_log)
    llama_cpp.llama_log_set(_route.callback, ctypes.c_void_p(0))


@contextmanager
def capture_errors() -> Iterator[list[str]]:
    """The llama.cpp error lines logged inside the block, in order (they are logged at DEBUG,
    not ERROR: the caller raises an error that quotes them). Not re-entrant."""
    errors: list[str] = []
    with _route.lock:
        _route.captured = errors
    try:
        yield errors
    finally:
        with _route.lock:
            _route.captured = None
