"""Driving the VS Code workbench in Chromium like a person: keys, the palette, ghost text.

Selectors were measured on VS Code 1.139.1 (code-server 4.139.1).
Ghost text is read from the DOM before it is accepted: the rest of the cursor line is
`.ghost-text-decoration` (beside an open suggest list, the selected item's rest; what the inline
completion adds after it is `.ghost-text-decoration-preview`), further lines are the
`.view-line`s of `.suggest-preview-text` (their spans carry `.ghost-text`); the DOM uses U+00A0
for spaces.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .vscode_server import saved_json

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

EDITOR = ".editor-instance .monaco-editor"
QUICK_INPUT = ".quick-input-widget"
# The palette's "File: Save" row, not "Save All", "Save As..." or "Save without Formatting"
SAVE_ROW = re.compile(r"File: Save(?! All| As|\s*without)")
NBSP = "\u00a0"
# createStatusBarItem("repofill.status") in the extension "repofill.repofill".
STATUS_ITEM_ID = "repofill.repofill.repofill.status"


class Workbench:
    def __init__(self, page: Page) -> None:
        self.page = page

    def wait_loaded(self, timeout_s: float = 60) -> None:
        self.page.locator(".monaco-workbench .part.statusbar").wait_for(timeout=timeout_s * 1000)

    # --- status bar ---------------------------------------------------------------------

    def status_item(self) -> Locator:
        """RepoFill's status bar item (shown once the language client has started)."""
        return self.page.locator(f'[id="{STATUS_ITEM_ID}"]')

    def status_label(self) -> str:
        """The item's accessible label: its text, then its tooltip (what a screen reader says)."""
        return self.status_item().get_attribute("aria-label") or ""

    def hover_status(self) -> str:
        """Hovers the status item and returns the tooltip a person sees."""
        self.page.mouse.move(0, 0)
        self.status_item().hover()
        hover = self.page.locator(".workbench-hover, .monaco-hover").filter(has_text="RepoFill")
        hover.first.wait_for(timeout=10_000)
        text = hover.first.inner_text()
        self.page.mouse.move(0, 0)
        return text

    def wait_status(self, word: str, timeout_s: float = 120) -> str:
        """Waits until the status item says `RepoFill: <word>` (ready, disabled, error)."""
        self.status_item().wait_for(timeout=timeout_s * 1000)
        deadline = time.monotonic() + timeout_s
        label = ""
        while time.monotonic() < deadline:
            label = self.status_label()
            if f"RepoFill: {word}" in label:
                return label
            time.sleep(0.25)
        raise AssertionError(f"the status item never read {word!r}; it reads {label!r}")

    # --- files and keys -----------------------------------------------------------------

    def open_file(self, relative: str) -> None:
        self.page.keyboard.press("Control+P")
        box = self.page.locator(f"{QUICK_INPUT} input.input")
        box.wait_for()
        box.fill(relative)
        name = Path(relative).name
        self.page.locator(".quick-input-list .monaco-list-row").filter(
            has_text=name
        ).first.wait_for()
        self.page.keyboard.press("Enter")
        self.page.locator(".tab.active").filter(has_text=name).wait_for()
        self.page.locator(QUICK_INPUT).wait_for(state="hidden")

    def focus_editor(self) -> None:
        self.page.locator(f"{EDITOR} .view-lines").first.click()

    def go_to_line(self, line: int, column: int | None = None) -> None:
        """Ctrl+G with `line[:column]` (1-based)."""
        self.page.keyboard.press("Control+G")
        box = self.page.locator(f"{QUICK_INPUT} input.input")
        box.wait_for()
        box.fill(f":{line}" + (f":{column}" if column is not None else ""))
        self.page.keyboard.press("Enter")
        self.page.locator(QUICK_INPUT).wait_for(state="hidden")

    def go_to_end(self) -> None:
        self.focus_editor()
        self.page.keyboard.press("Control+End")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=30)

    def save(self, path: Path, timeout_s: float = 30) -> str:
        """Ctrl+S and waits until the file on disk changed (its time or its text); returns its
        text. The timeout allows for a machine busy with the rest of the suite.

        A person whose Ctrl+S did nothing saves again from the command palette: so does this,
        after a third of the timeout (a CI run once saw a Ctrl+S pressed right after Tab accepted
        a suggestion leave the file unsaved for 30 s). On failure the message says what had the
        keyboard focus and which dialogs and notifications were on screen."""
        before, before_text = path.stat().st_mtime_ns, path.read_text()

        def saved() -> bool:
            return path.stat().st_mtime_ns != before or path.read_text() != before_text

        self.page.keyboard.press("Control+S")
        start = time.monotonic()
        retried = False
        while not saved():
            waited = time.monotonic() - start
            if not retried and waited > timeout_s / 3 and self.modal_dialog().count() == 0:
                retried = True
                self.run_command("File: Save", SAVE_ROW)
            assert waited < timeout_s, f"{path.name} was not saved: {self._save_scene()}"
            time.sleep(0.1)
        time.sleep(0.2)  # let the write finish
        return path.read_text()

    def _save_scene(self) -> str:
        """What is on screen when a save did not happen: focus, dialogs, toasts, dirty tabs."""
        focus = self.page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? `${e.tagName}.${e.className}`.slice(0, 120) : 'none'; }"
        )
        dialogs = [
            self.modal_dialog().nth(i).inner_text() for i in range(self.modal_dialog().count())
        ]
        dirty = self.page.locator(".tabs-container .tab.dirty")
        return (
            f"focus={focus!r} dialogs={dialogs!r} toasts={self.toast_texts()!r}"
            f" dirty tabs={[dirty.nth(i).inner_text() for i in range(dirty.count())]!r}"
        )

    # --- commands -----------------------------------------------------------------------

    def run_command(self, title: str, row_text: str | re.Pattern[str] | None = None) -> None:
        """F1, the command's title, a click on its row: the command palette. `row_text` picks
        the row where the title also matches others (`File: Save` and `File: Save All`)."""
        self.page.keyboard.press("F1")
        box = self.page.locator(f"{QUICK_INPUT} input.input")
        box.wait_for()
        box.fill(f">{title}")
        rows = self.page.locator(".quick-input-list .monaco-list-row")
        row = rows.filter(has_text=title if row_text is None else row_text)
        row.first.click()
        self.page.locator(QUICK_INPUT).wait_for(state="hidden")

    def edit_user_settings(self, settings: dict[str, Any], settings_file: Path) -> None:
        """Opens the user settings.json (VS Code 1.139 shows it in a modal editor), replaces
        its text, saves it and closes it."""
        first_key = next(iter(settings))
        self.run_command("Preferences: Open User Settings (JSON)")
        view = self.page.locator(".monaco-editor .view-lines").filter(has_text=first_key)
        view.first.wait_for()
        # Keys pressed while the just-opened editor is still taking focus can be lost; a
        # person who sees nothing happen does it again, and so does this, up to three times.
        for _ in range(3):
            view.first.click()
            self.page.keyboard.press("Control+A")
            self.page.keyboard.press("Delete")  # typing "{" over a selection would surround it
            # One line: typed newlines would be auto-indented.
            self.page.keyboard.insert_text(json.dumps(settings))
            self.page.keyboard.press("Control+S")
            deadline = time.monotonic() + 5
            while saved_json(settings_file) != settings and time.monotonic() < deadline:
                time.sleep(0.1)
            if saved_json(settings_file) == settings:
                break
        assert saved_json(settings_file) == settings, "settings.json was not saved"
        self.page.keyboard.press("Control+W")
        view.first.wait_for(state="detached")

    def code_action(self, title: str, timeout_s: float = 30) -> None:
        """Ctrl+. and a click on the action called `title`.

        Ctrl+. pressed before the editor has asked the server for the cursor's code actions
        opens "No code actions available", as it would for a person; a person presses it again.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        row = self.page.locator(".action-widget .monaco-list-row").filter(has_text=title)
        deadline = time.monotonic() + timeout_s
        while True:
            self.page.keyboard.press("Control+.")
            try:
                row.first.wait_for(timeout=5000)
                break
            except PlaywrightTimeout:
                if time.monotonic() > deadline:
                    raise
                self.page.keyboard.press("Escape")
                time.sleep(1)
        row.first.click()

    # --- notifications, tabs, the suggest list ---------------------------------------------

    def toasts(self, text: str | None = None) -> Locator:
        """Notification popups on screen (toasts), optionally only those containing `text`."""
        toasts = self.page.locator(".notifications-toasts .notification-toast")
        return toasts.filter(has_text=text) if text is not None else toasts

    def toast_texts(self) -> list[str]:
        toasts = self.toasts()
        return [toasts.nth(i).inner_text() for i in range(toasts.count())]

    def tab(self, title: str) -> Locator:
        return self.page.locator(".tabs-container .tab").filter(has_text=title)

    def modal_dialog(self) -> Locator:
        """VS Code's modal dialogs (e.g. "Do you want to save the changes?")."""
        return self.page.locator(".monaco-dialog-box")

    def suggest_rows(self) -> Locator:
        """The rows of the open suggest list."""
        return self.page.locator(".editor-widget.suggest-widget.visible .monaco-list-row")

    def suggest_selected(self) -> str:
        """The label of the focused suggest-list item."""
        row = self.page.locator(
            ".editor-widget.suggest-widget.visible .monaco-list-row.focused .label-name"
        )
        return row.first.inner_text().strip()

    # --- ghost text ---------------------------------------------------------------------

    def ghost(self) -> Locator:
        return self.page.locator(f"{EDITOR} .ghost-text-decoration, {EDITOR} .ghost-text")

    def wait_ghost(self, timeout_s: float = 60) -> str:
        """Waits for ghost text and returns it as it would be inserted (lines joined by \\n)."""
        self.ghost().first.wait_for(timeout=timeout_s * 1000)
        time.sleep(0.3)  # a multi-line suggestion renders its lines in one frame; settle
        return self.ghost_text()

    def ghost_text(self) -> str:
        page = self.page
        # With the suggest list open, the rest of the selected item is `.ghost-text-decoration`
        # and what the inline completion adds after it `.ghost-text-decoration-preview`.
        first = page.locator(
            f"{EDITOR} .ghost-text-decoration, {EDITOR} .ghost-text-decoration-preview"
        )
        head = "".join(first.nth(i).inner_text() for i in range(first.count()))
        # Lines 2+ are a view zone: `.view-line`s whose spans carry `.ghost-text`.
        more = page.locator(f"{EDITOR} .suggest-preview-text .view-line")
        lines = [more.nth(i).inner_text() for i in range(more.count())]
        text = "\n".join([head, *lines]) if lines else head
        return text.replace(NBSP, " ")

    def editor_html(self) -> str:
        editor = self.page.locator(EDITOR)
        return "\n".join(editor.nth(i).evaluate("e => e.outerHTML") for i in range(editor.count()))

    def no_ghost_for(self, seconds: float) -> bool:
        """True when no ghost text shows at any point during `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.ghost().count() > 0:
                return False
            time.sleep(0.1)
        return True

    def screenshot_editor(self, path: Path, height: float = 330) -> None:
        """A PNG of the editor's tab and its first lines (the fixture files are short)."""
        tabs = self.page.locator(".tabs-container").first.bounding_box()
        box = self.page.locator(EDITOR).first.bounding_box()
        assert box is not None
        # Park the mouse on empty editor space, so no hover or tooltip covers the text.
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 40)
        time.sleep(1.0)
        top = tabs["y"] if tabs is not None else box["y"]
        bottom = min(box["y"] + box["height"], top + height)
        clip = {
            "x": box["x"],
            "y": top,
            "width": min(box["width"] - 120, 820),
            "height": bottom - top,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), clip=clip)  # type: ignore[arg-type]
