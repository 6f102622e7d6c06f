"""Helpers for end-to-end tests that drive `repofill serve` over stdio."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "repofill.lsp.cli", "serve"]

SPECIAL_TOKEN_MARKERS = (
    "<bos>",
    "<eos>",
    "<pad>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<|",
    "<fim",
    "<unk>",
)

SAMPLE_FILES = {
    "shapes/geometry.py": (
        "import math\n\n\n"
        "def circle_area(radius: float) -> float:\n"
        '    """Area of a circle."""\n'
        "    return math.pi * radius ** 2\n"
    ),
    "shapes/report.py": (
        "from shapes.geometry import circle_area\n\n\n"
        "def describe(radius: float) -> str:\n"
        "    area = circle_area(radius)\n"
        '    return f"a circle of radius {radius} has area {area:.2f}"\n'
    ),
    "fib.py": (
        "def fibonacci(n):\n"
        '    """Return the n-th Fibonacci number."""\n'
        "    if n < 2:\n"
        "        return n\n"
        "    return fib"
    ),
}


def write_project(root: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or SAMPLE_FILES).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


async def start(
    client: LanguageClient, root: Path, options: dict[str, Any] | None = None
) -> types.InitializeResult:
    # Correctness tests: no generation deadline, so a busy shared CI machine cannot empty a result.
    options = {"deadlineMs": 0, **(options or {})}
    accept_registrations(client)
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options,
    )
    return await client.initialize_session(params)


def accept_registrations(client: LanguageClient) -> list[types.RegistrationParams]:
    """Answer `client/registerCapability` as VS Code does (the server registers file watchers,
    docs/protocol.md) and keep what was registered, once per client."""
    seen: list[types.RegistrationParams] | None = getattr(client, "registrations", None)
    if seen is not None:
        return seen
    registrations: list[types.RegistrationParams] = []
    client.registrations = registrations  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.append(params)

    return registrations


def open_file(
    client: LanguageClient, path: Path, text: str | None = None, language: str = "python"
) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id=language,
                version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


def end_position(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1]))


def inline_params(
    uri: str, position: types.Position, invoked: bool = False
) -> types.InlineCompletionParams:
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


def field(obj: Any, name: str) -> Any:
    """A field of a JSON object as pygls delivers it (a dict, or a namedtuple for custom ones)."""
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def track_status(client: LanguageClient) -> list[Any]:
    """Record every `repofill/status` notification; call before `start`."""
    seen: list[Any] = []

    @client.feature("repofill/status")
    def on_status(params: Any) -> None:
        seen.append(params)

    return seen


async def wait_for_state(seen: list[Any], state: str, timeout: float = 60.0) -> Any:
    """The first recorded status with this state; fails after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for status in seen:
            if field(status, "state") == state:
                return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {state!r} status within {timeout} s; saw {seen}")


def record_applied_edits(client: LanguageClient) -> None:
    """Answer `workspace/applyEdit` with applied=true and keep each edit in
    `client.applied_edits` (the test sends the resulting text itself when it needs to)."""
    client.applied_edits = []  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params.edit)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)


def position_at(text: str, offset: int) -> types.Position:
    """The LSP position of a character offset (text without characters outside the BMP)."""
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


def apply_text_edit(text: str, edit: types.TextEdit) -> str:
    lines = text.split("\n")

    def offset(p: types.Position) -> int:
        return sum(len(ln) + 1 for ln in lines[: p.line]) + p.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
