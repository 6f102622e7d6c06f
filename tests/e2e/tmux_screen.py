"""A terminal program in tmux, driven like a person: keys at typing pace, the screen read back.

`Tmux` starts one program in a detached tmux session of a given size, sends keys with
`send-keys` and reads the screen with `capture-pane -e -p`; `parse_screen` turns that output
(text with SGR escape codes) into rows of cells, each with the style it is drawn in, so a test
can tell text drawn in one highlight from text drawn in another.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TYPING_CPS = 7.0
"""A person's typing pace: characters per second."""

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][0-9A-Za-z])")


@dataclass(frozen=True)
class Style:
    """How a cell is drawn. Colours: None (the terminal default), "n" for palette colour n
    (0-255; 90-97 map to 8-15), or "#rrggbb"."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False


@dataclass(frozen=True)
class Cell:
    char: str
    style: Style


def _colour(params: list[int], i: int) -> tuple[str | None, int]:
    """Parses `38;5;n` / `38;2;r;g;b` from params[i] (the 5 or 2): (colour, the next i)."""
    if i < len(params) and params[i] == 5 and i + 1 < len(params):
        return str(params[i + 1]), i + 2
    if i < len(params) and params[i] == 2 and i + 3 < len(params):
        r, g, b = params[i + 1 : i + 4]
        return f"#{r:02x}{g:02x}{b:02x}", i + 4
    return None, len(params)


def _apply(style: Style, codes: str) -> Style:
    params = [int(p) if p else 0 for p in codes.replace(":", ";").split(";")] if codes else [0]
    i = 0
    while i < len(params):
        p = params[i]
        i += 1
        if p == 0:
            style = Style()
        elif p == 1:
            style = replace(style, bold=True)
        elif p == 3:
            style = replace(style, italic=True)
        elif p == 4:
            style = replace(style, underline=True)
        elif p == 7:
            style = replace(style, reverse=True)
        elif p == 22:
            style = replace(style, bold=False)
        elif p == 23:
            style = replace(style, italic=False)
        elif p == 24:
            style = replace(style, underline=False)
        elif p == 27:
            style = replace(style, reverse=False)
        elif 30 <= p <= 37:
            style = replace(style, fg=str(p - 30))
        elif 90 <= p <= 97:
            style = replace(style, fg=str(p - 90 + 8))
        elif p == 39:
            style = replace(style, fg=None)
        elif 40 <= p <= 47:
            style = replace(style, bg=str(p - 40))
        elif 100 <= p <= 107:
            style = replace(style, bg=str(p - 100 + 8))
        elif p == 49:
            style = replace(style, bg=None)
        elif p in (38, 48):
            colour, i = _colour(params, i)
            style = replace(style, fg=colour) if p == 38 else replace(style, bg=colour)
    return style


def parse_screen(ansi: str) -> list[list[Cell]]:
    """`capture-pane -e -p` output -> rows of cells (styles carry across line ends, as tmux
    writes them)."""
    rows: list[list[Cell]] = []
    style = Style()
    for line in ansi.split("\n"):
        row: list[Cell] = []
        pos = 0
        for match in _SGR.finditer(line):
            for ch in _OTHER_ESCAPE.sub("", line[pos : match.start()]):
                row.append(Cell(ch, style))
            style = _apply(style, match.group(1))
            pos = match.end()
        for ch in _OTHER_ESCAPE.sub("", line[pos:]):
            row.append(Cell(ch, style))
        rows.append(row)
    return rows


def row_text(row: list[Cell]) -> str:
    return "".join(c.char for c in row)


class Screen:
    """One capture: rows of cells, the cursor (column, row; 0-based)."""

    def __init__(self, ansi: str, cursor: tuple[int, int]) -> None:
        self.ansi = ansi
        self.rows = parse_screen(ansi)
        self.cursor = cursor

    def text(self) -> str:
        return "\n".join(row_text(r).rstrip() for r in self.rows)

    def row(self, y: int) -> list[Cell]:
        return self.rows[y] if 0 <= y < len(self.rows) else []

    def styles_of(self, needle: str) -> set[Style]:
        """Styles of the non-blank cells of every row that starts with `needle` (stripped)."""
        found: set[Style] = set()
        for row in self.rows:
            if row_text(row).strip().startswith(needle):
                found |= {c.style for c in row if c.char.strip()}
        return found


class Tmux:
    """One program in a detached tmux session (private server socket, no tmux config)."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.width, self.height = width, height
        self.socket = f"repofill-{uuid.uuid4().hex[:8]}"
        self.session = "editor"
        self.tmux = shutil.which("tmux") or "tmux"

    def _tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [self.tmux, "-L", self.socket, "-f", os.devnull, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Starts `argv` in a new session; `env` is the program's whole environment."""
        # through env(1): tmux puts its own client's PATH over a `-e PATH=...`
        env_argv = ["env", *(f"{key}={value}" for key, value in env.items())]
        self._tmux(
            "new-session", "-d", "-s", self.session, "-x", str(self.width), "-y", str(self.height),
            "-c", str(cwd), "--", *env_argv, *argv,
        )  # fmt: skip
        # keep the pane after the program exits, so a crash stays on screen
        self._tmux("set-option", "-t", self.session, "remain-on-exit", "on", check=False)

    def stop(self) -> None:
        self._tmux("kill-server", check=False)

    def keys(self, *names: str) -> None:
        """Named keys (tmux names: Enter, Escape, Tab, M-], C-c), one after another, 0.2 s apart."""
        for name in names:
            self._tmux("send-keys", "-t", self.session, name)
            time.sleep(0.2)

    def type(self, text: str, cps: float = TYPING_CPS) -> None:
        """Types `text` one character at a time at `cps` characters per second."""
        for ch in text:
            self._tmux("send-keys", "-t", self.session, "-l", ch)
            time.sleep(1.0 / cps)

    def screen(self) -> Screen:
        ansi = self._tmux("capture-pane", "-t", self.session, "-e", "-p")
        x, y = self._tmux(
            "display-message", "-t", self.session, "-p", "#{cursor_x} #{cursor_y}"
        ).split()
        return Screen(ansi.rstrip("\n"), (int(x), int(y)))

    def wait(
        self, what: str, check: Callable[[Screen], T | None], timeout: float, every: float = 0.25
    ) -> T:
        """Captures the screen until `check` returns a value (not None / False); raises with the
        last screen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            value = check(screen)
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what}; "
                    f"the screen:\n{screen.text()}"
                )
            time.sleep(every)
