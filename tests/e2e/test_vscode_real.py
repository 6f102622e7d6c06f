"""RepoFill in a real VS Code: code-server 4.139.1 (VS Code 1.139.1) in headless Chromium.

The extension is packaged from editors/vscode as a .vsix and installed into a fresh
code-server; the workspace is a copy of fixtures/vscode_project; the extension starts the real
`repofill serve`, which runs the embedded model. Playwright types, presses Tab, runs commands
and reads what is on screen. Install the tools once with `bash scripts/setup_vscode_e2e.sh`;
outside CI a missing tool skips with that command, under CI=true it fails.

On failure the screenshot, code-server's output, the VS Code logs (remote extension host,
RepoFill's output channel with the server's stderr) and the workspace are kept in the folder the
failure message names. The ghost-text and fill-hole screenshots are always written there, and
also into $REPOFILL_SCREENSHOTS (e.g. `docs`) when it is set.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .editor_tools import ROOT, repofill_command, require
from .vscode_page import Workbench
from .vscode_server import CodeServer, Tools, find_tools, package_extension

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FIXTURE = Path(__file__).parent / "fixtures" / "vscode_project"
SCREENSHOTS_ENV = "REPOFILL_SCREENSHOTS"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MISSING_SERVER = "/nonexistent/bin/repofill-missing"
# On 2 cores shared with other jobs a prompt alone can take longer than the 2 s default
# deadline; the test waits for complete suggestions instead.
DEADLINE_MS = 60_000
# Fill this hole generates several candidates of up to 4 x maxTokens tokens each.
MAX_TOKENS = 24
GHOST_TIMEOUT_S = 180
FILL_TIMEOUT_S = 300

pytestmark = [pytest.mark.model, pytest.mark.slow]


@dataclass
class Session:
    server: CodeServer
    bench: Workbench
    artifacts: Path


@pytest.fixture(scope="module")
def tools() -> Tools:
    return find_tools()


@pytest.fixture(scope="module")
def server_command() -> str:
    command = repofill_command()
    require(command, "no `repofill` command: pip install -e . in this environment")
    assert command is not None
    return command


@pytest.fixture(scope="module")
def vsix(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package_extension(tools, tmp_path_factory.mktemp("vsix"))


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("REPOFILL_E2E_ARTIFACTS")
    if configured:
        path = Path(configured).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("vscode-artifacts")


@pytest.fixture(scope="module")
def browser(tools: Tools) -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(tools.chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def code_server(
    tools: Tools,
    browser: Browser,
    vsix: Path,
    root: Path,
    settings: dict[str, Any],
    artifacts: Path,
) -> Iterator[Session]:
    """A fresh code-server with the extension, and a new Chromium page on its workbench."""
    server = CodeServer(tools, root, FIXTURE, settings)
    server.install(vsix)
    server.start()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.set_default_timeout(30_000)
            page.goto(server.url)
            bench = Workbench(page)
            bench.wait_loaded()
            yield Session(server, bench, artifacts)
        finally:
            page.close()
    finally:
        server.stop()


@contextmanager
def evidence(session: Session, name: str) -> Iterator[None]:
    """On failure keeps a screenshot, the editor's DOM, the logs and the workspace, and names
    the folder."""
    try:
        yield
    except Exception as exc:
        dest = session.artifacts / name
        dest.mkdir(parents=True, exist_ok=True)
        try:
            session.bench.page.screenshot(path=str(dest / "screen.png"))
            # the editor's DOM, for selectors that stopped matching what is on screen
            (dest / "editor.html").write_text(session.bench.editor_html())
        except Exception as shot_error:  # the page may be gone; the logs still matter
            (dest / "screenshot-error.txt").write_text(repr(shot_error))
        session.server.keep_artifacts(dest)
        raise AssertionError(f"{exc}\n(screenshot and VS Code/server logs in {dest})") from exc


def save_screenshot(session: Session, name: str) -> Path:
    """Writes `name` into the artifacts, and into $REPOFILL_SCREENSHOTS when set."""
    shot = session.artifacts / name
    session.bench.screenshot_editor(shot)
    target_dir = os.environ.get(SCREENSHOTS_ENV)
    if target_dir:
        folder = Path(target_dir)
        folder = folder if folder.is_absolute() else ROOT / folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(shot.read_bytes())
    return shot


@pytest.fixture(scope="module")
def vscode(
    tools: Tools,
    browser: Browser,
    vsix: Path,
    server_command: str,
    embedded_model: Path,
    artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    settings = {
        "repofill.server.command": server_command,
        "repofill.deadlineMs": DEADLINE_MS,
        "repofill.maxTokens": MAX_TOKENS,
        "repofill.trace.server": "messages",
    }
    root = tmp_path_factory.mktemp("code-server")
    with code_server(tools, browser, vsix, root, settings, artifacts) as session:
        yield session


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line equal to `text`."""
    return path.read_text().splitlines().index(text) + 1


def function_body(source: str, name: str) -> list[ast.stmt]:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node.body
    raise AssertionError(f"no function {name} in:\n{source}")


def is_hole(body: list[ast.stmt]) -> bool:
    """A body that is only a docstring and `pass` or `...`."""
    statements = body[1:] if body and isinstance(body[0], ast.Expr) else body
    statements = [
        s
        for s in statements
        if not (
            isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is ...
        )
    ]
    return all(isinstance(s, ast.Pass) for s in statements)


def wait_filled(session: Session, path: Path, before: str) -> str:
    """Waits for the fill's edit and returns the saved file.

    VS Code saves files changed by a refactoring edit itself (`files.refactoring.autoSave`,
    on by default); when it does not, the tab turns dirty and the test saves with Ctrl+S.
    """
    dirty = session.bench.page.locator(".tab.active.dirty")
    deadline = time.monotonic() + FILL_TIMEOUT_S
    while time.monotonic() < deadline:
        if path.read_text() != before:
            time.sleep(0.3)  # let the write finish
            return path.read_text()
        if dirty.count() > 0:
            return session.bench.save(path)
        time.sleep(0.2)
    raise AssertionError(f"{path.name} was not filled in {FILL_TIMEOUT_S} s")


@pytest.mark.timeout(600)
def test_ghost_text_appears_and_tab_inserts_exactly_it(vscode: Session) -> None:
    """The next line calls a name from geometry.py: ghost text, Tab, save, the file has it."""
    bench = vscode.bench
    path = vscode.server.workspace / "shapes" / "report.py"
    with evidence(vscode, "ghost-text"):
        original = path.read_text()
        bench.open_file("shapes/report.py")
        bench.wait_status("ready")
        bench.go_to_end()
        typed = "    area = geometry.circle_"
        bench.type(typed)
        shown = bench.wait_ghost(GHOST_TIMEOUT_S)
        assert shown.strip(), "ghost text rendered empty"
        save_screenshot(vscode, "vscode-ghost-text.png")
        bench.page.keyboard.press("Tab")
        bench.ghost().first.wait_for(state="detached")
        saved = bench.save(path)
        assert saved == original + typed + shown, (
            f"the saved file differs from what was shown\nshown: {shown!r}\nsaved tail: "
            f"{saved[len(original) :]!r}"
        )


@pytest.mark.timeout(900)
def test_fill_hole_by_code_action_and_by_command(vscode: Session) -> None:
    """Ctrl+. "Fill this hole" on a `pass` body; the palette command on a `...` body."""
    bench = vscode.bench
    stats = vscode.server.workspace / "shapes" / "stats.py"
    names = vscode.server.workspace / "shapes" / "names.py"
    with evidence(vscode, "fill-hole"):
        before = stats.read_text()
        assert is_hole(function_body(before, "largest"))
        bench.open_file("shapes/stats.py")
        bench.wait_status("ready")
        bench.go_to_line(line_of(stats, "    pass"), 5)
        bench.code_action("Fill this hole")
        filled = wait_filled(vscode, stats, before)
        assert not is_hole(function_body(filled, "largest")), filled

        before = names.read_text()
        assert is_hole(function_body(before, "shout"))
        bench.open_file("shapes/names.py")
        bench.go_to_line(line_of(names, "    ..."), 5)
        bench.run_command("RepoFill: Fill Hole")
        filled = wait_filled(vscode, names, before)
        assert not is_hole(function_body(filled, "shout")), filled
        save_screenshot(vscode, "vscode-fill-hole.png")


@pytest.mark.timeout(600)
def test_status_reads_ready_and_toggle_turns_suggestions_off_and_on(vscode: Session) -> None:
    bench = vscode.bench
    with evidence(vscode, "status-toggle"):
        bench.open_file("shapes/totals.py")
        bench.wait_status("ready")
        assert "RepoFill: ready" in bench.hover_status()
        bench.run_command("RepoFill: Toggle Completions")
        bench.wait_status("disabled")
        assert vscode.server.read_settings().get("repofill.enabled") is False
        bench.go_to_end()
        bench.type("    return sum(geometry.rectangle_")
        assert bench.no_ghost_for(8), f"ghost text while disabled: {bench.ghost_text()!r}"

        bench.run_command("RepoFill: Toggle Completions")
        bench.wait_status("ready")
        bench.type("a")
        assert bench.wait_ghost(GHOST_TIMEOUT_S).strip()


def change_settings(session: Session, changes: dict[str, Any]) -> None:
    """Edits the user settings.json in the editor, like a person, and waits until it applies.

    The first save also turns completions off and a second one turns them on again: the
    status item reading "disabled" and then "ready" proves that the extension handled the
    change (and forwarded it to the server).
    """
    settings = {**session.server.read_settings(), **changes}
    path = session.server.settings_file
    session.bench.edit_user_settings({**settings, "repofill.enabled": False}, path)
    session.bench.wait_status("disabled")
    session.bench.edit_user_settings({**settings, "repofill.enabled": True}, path)
    session.bench.wait_status("ready")


@pytest.mark.timeout(600)
def test_max_lines_setting_applies_to_the_next_suggestion(vscode: Session) -> None:
    """With multi-line suggestions on, maxLines 8 shows several lines, then maxLines 1 one line."""
    bench = vscode.bench
    with evidence(vscode, "max-lines"):
        multi = {"repofill.multiline": "always", "repofill.maxLines": 8, "repofill.maxTokens": 64}
        change_settings(vscode, multi)
        bench.open_file("shapes/tables.py")
        bench.go_to_end()
        bench.type("    ")
        several = bench.wait_ghost(GHOST_TIMEOUT_S)
        assert "\n" in several.strip(), f"maxLines=8 showed one line: {several!r}"
        bench.page.keyboard.press("Escape")
        bench.ghost().first.wait_for(state="detached")

        change_settings(vscode, {"repofill.maxLines": 1})
        # The same place again, without a restart: Backspace and the same space ask anew.
        bench.open_file("shapes/tables.py")
        bench.go_to_end()
        bench.page.keyboard.press("Backspace")
        bench.type(" ")
        one = bench.wait_ghost(GHOST_TIMEOUT_S)
        assert one.strip(), "maxLines=1 showed no suggestion"
        assert "\n" not in one.strip(), f"maxLines=1 showed several lines: {one!r}"


@pytest.mark.timeout(300)
def test_missing_server_command_shows_an_error_with_the_log(
    tools: Tools, browser: Browser, vsix: Path, artifacts: Path, tmp_path: Path
) -> None:
    settings = {"repofill.server.command": MISSING_SERVER}
    with code_server(tools, browser, vsix, tmp_path, settings, artifacts) as session:
        bench = session.bench
        with evidence(session, "missing-server"):
            toast = bench.page.locator(".notifications-toasts .notification-toast").filter(
                has_text="repofill-missing"
            )
            toast.first.wait_for(timeout=90_000)
            message = toast.first.inner_text()
            assert MISSING_SERVER in message and "not found" in message, message
            bench.page.screenshot(path=str(artifacts / "vscode-missing-server.png"))
            show_log = toast.first.locator(".monaco-button").filter(has_text="Show Log")
            show_log.click()
            output = bench.page.locator(".part.panel .monaco-editor .view-lines").filter(
                has_text="not found"
            )
            output.first.wait_for(timeout=30_000)
            bench.wait_status("error")
