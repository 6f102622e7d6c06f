"""The VS Code extension: strict build, lint, unit tests, and the protocol test against the real
server (the extension's spawn code and settings object over vscode-languageserver-protocol).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .editor_tools import VSCODE_DIR, repofill_command, require, run

# The checks below read node:test's TAP lines (`# fail 0`, `ok 3 - name`). Node 20 writes TAP when
# its output is not a terminal; Node 23 and later write the `spec` format everywhere unless told.
TAP = {"NODE_OPTIONS": "--test-reporter=tap"}


@pytest.fixture(scope="module")
def built() -> Path:
    """editors/vscode with its dependencies installed (npm ci) and compiled (npm run build)."""
    npm = shutil.which("npm")
    require(shutil.which("node") and npm, "no node/npm on PATH (Node 20 or newer)")
    assert npm is not None
    if not (VSCODE_DIR / "node_modules" / "vscode-languageclient").is_dir():
        install = run([npm, "ci", "--no-audit", "--no-fund"], cwd=VSCODE_DIR, timeout=600)
        require(install.returncode == 0, "npm ci failed in editors/vscode (offline?)")
    build = run([npm, "run", "build"], cwd=VSCODE_DIR, timeout=300)
    assert build.returncode == 0, build.stdout
    return VSCODE_DIR


@pytest.mark.timeout(300)
def test_lint(built: Path) -> None:
    result = run(["npm", "run", "lint"], cwd=built, timeout=280)
    assert result.returncode == 0, result.stdout


@pytest.mark.timeout(300)
def test_unit_tests(built: Path) -> None:
    result = run(["npm", "test"], cwd=built, timeout=280, env=TAP)
    assert result.returncode == 0, result.stdout
    assert "# fail 0" in result.stdout, result.stdout


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_protocol_against_real_server(built: Path, embedded_model: Path) -> None:
    """Inline completion items and the fill-hole edit from `repofill serve`, as the extension
    sees them."""
    server = repofill_command()
    require(server, "no `repofill` command: pip install -e . in this environment")
    assert server is not None
    result = run(
        ["npm", "run", "test:protocol"], cwd=built, timeout=580, env={**TAP, "REPOFILL_CMD": server}
    )
    assert result.returncode == 0, result.stdout
    assert "# fail 0" in result.stdout, result.stdout
    for name in (
        "answers an inline completion request with a non-empty item at the cursor",
        "repofill.fillHole replaces the <FILL> marker through workspace/applyEdit",
        "the fill result puts the cursor after the inserted text and offers the other candidates",
        "applies setting changes without a restart",
    ):
        assert re.search(rf"^\s*ok \d+ - {re.escape(name)}\s*$", result.stdout, re.M), (
            f"not run or skipped: {name}\n{result.stdout}"
        )
