"""A fresh code-server (VS Code in a browser) with the RepoFill extension, for the real-editor test.

`find_tools()` reads what `scripts/setup_vscode_e2e.sh` installed; `package_extension()` builds
the `.vsix` from editors/vscode; `CodeServer` owns one instance: its own user-data, extensions,
XDG and temp folders, a workspace copied from a fixture, and the process tree it starts.
Measured on code-server 4.139.1 (VS Code 1.139.1); docs/development.md's "RepoFill in a real VS
Code" section says how to run it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .editor_tools import VSCODE_DIR, require, run

SETUP_COMMAND = "bash scripts/setup_vscode_e2e.sh"
E2E_CACHE = Path(os.environ.get("REPOFILL_E2E_CACHE", str(Path.home() / ".cache" / "repofill-e2e")))

# User settings for a quiet workbench: no chat side bar, start page,
# tips, telemetry, updates or git. None of them changes how the editor behaves.
QUIET_WORKBENCH: dict[str, Any] = {
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "git.enabled": False,
    "workbench.tips.enabled": False,
}

# Editor settings that keep the suggest list and auto-closing out of the way of the tests that
# check ghost text alone; the tests of VS Code's default editor behaviour leave them out.
QUIET_EDITOR: dict[str, Any] = {
    "editor.inlineSuggest.enabled": True,
    "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
    "editor.suggestOnTriggerCharacters": False,
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
}

BASE_SETTINGS: dict[str, Any] = {**QUIET_WORKBENCH, **QUIET_EDITOR}


def saved_json(path: Path) -> Any:
    """The JSON in `path`, or None while VS Code is between truncating and writing it (a read
    then sees an empty or half-written file)."""
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, FileNotFoundError):
        return None


@dataclass(frozen=True)
class Tools:
    chromium: Path
    node_bin: Path
    code_server: Path
    vsce: Path


def find_tools() -> Tools:
    """The installed tools; skips (fails under CI=true) with the setup command when missing."""
    env_file = E2E_CACHE / "paths.env"
    hint = f"run `{SETUP_COMMAND}` (installs Chromium, Node 24, code-server, vsce, playwright)"
    require(env_file.is_file(), f"no {env_file}: {hint}")
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    tools = Tools(
        chromium=Path(values.get("CHROMIUM", "")),
        node_bin=Path(values.get("NODE_BIN", "")),
        code_server=Path(values.get("CODE_SERVER", "")),
        vsce=Path(values.get("VSCE", "")),
    )
    for name, path in vars(tools).items():
        require(path.exists(), f"{name} missing at {path}: {hint}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, f"Python playwright is not installed: {hint}")
    return tools


def _newest_mtime(folder: Path, pattern: str) -> float:
    return max((p.stat().st_mtime for p in folder.rglob(pattern)), default=0.0)


def package_extension(tools: Tools, out_dir: Path) -> Path:
    """Builds editors/vscode when its output is older than its sources, then packages a .vsix."""
    require(
        (VSCODE_DIR / "node_modules" / "vscode-languageclient").is_dir(),
        "the extension's dependencies are missing: cd editors/vscode && npm ci",
    )
    env = {"PATH": f"{tools.node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    built = VSCODE_DIR / "out" / "src" / "extension.js"
    if not built.is_file() or _newest_mtime(VSCODE_DIR / "src", "*.ts") > built.stat().st_mtime:
        result = run(["npm", "run", "build"], cwd=VSCODE_DIR, timeout=300, env=env)
        assert result.returncode == 0, f"npm run build failed:\n{result.stdout}"
    vsix = out_dir / "repofill.vsix"
    argv = [str(tools.vsce), "package", "--allow-missing-repository", "--skip-license"]
    result = run([*argv, "-o", str(vsix)], cwd=VSCODE_DIR, timeout=300, env=env)
    assert result.returncode == 0 and vsix.is_file(), f"vsce package failed:\n{result.stdout}"
    return vsix


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Every descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found.extend(kids)
        frontier.extend(kids)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class CodeServer:
    """One code-server instance in its own folders under `root`."""

    def __init__(
        self,
        tools: Tools,
        root: Path,
        fixture: Path,
        settings: dict[str, Any],
        *,
        editor_defaults: bool = False,
    ) -> None:
        """`editor_defaults`: VS Code's default editor settings (suggest list on while typing)."""
        self.tools = tools
        self.root = root
        self.user_data = root / "user-data"
        self.extensions = root / "extensions"
        self.workspace = root / "workspace"
        self.log_file = root / "code-server.log"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        shutil.copytree(fixture, self.workspace)
        for sub in ("xdg-config", "xdg-data", "xdg-cache", "npm-cache", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        base = QUIET_WORKBENCH if editor_defaults else BASE_SETTINGS
        self.write_settings({**base, **settings})

    @property
    def settings_file(self) -> Path:
        return self.user_data / "User" / "settings.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def env(self) -> dict[str, str]:
        path = os.environ.get("PATH", "")
        return {
            **os.environ,
            "PATH": f"{self.tools.node_bin}{os.pathsep}{path}",
            "EXTENSIONS_GALLERY": "{}",  # no requests to open-vsx.org
            "XDG_CONFIG_HOME": str(self.root / "xdg-config"),
            "XDG_DATA_HOME": str(self.root / "xdg-data"),
            "XDG_CACHE_HOME": str(self.root / "xdg-cache"),
            "npm_config_cache": str(self.root / "npm-cache"),
            "TMPDIR": str(self.root / "tmp"),
        }

    def read_settings(self, timeout_s: float = 5) -> dict[str, Any]:
        """The user settings; retried while VS Code is rewriting the file (a read between its
        truncate and its write sees an empty file)."""
        deadline = time.monotonic() + timeout_s
        while (loaded := saved_json(self.settings_file)) is None:
            if time.monotonic() > deadline:
                return dict(json.loads(self.settings_file.read_text()))  # raises the parse error
            time.sleep(0.1)
        return dict(loaded)

    def write_settings(self, settings: dict[str, Any]) -> None:
        """Writes the user settings file; a running VS Code picks the change up (file watcher)."""
        self.settings_file.parent.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps(settings, indent=4) + "\n")

    def _dirs(self) -> list[str]:
        return ["--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions)]

    def install(self, vsix: Path) -> None:
        argv = [str(self.tools.code_server), *self._dirs(), "--install-extension", str(vsix)]
        result = subprocess.run(
            argv,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"installing {vsix} failed:\n{result.stdout}{result.stderr}"

    def start(self, timeout: float = 60.0) -> None:
        argv = [
            str(self.tools.code_server),
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{self.port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            *self._dirs(),
            str(self.workspace),
        ]
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workspace,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"code-server exited:\n{self.log_file.read_text()}"
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"code-server did not answer /healthz in {timeout} s")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM code-server, then wait for its extension host and the LSP server to exit."""
        if self.process is None:
            return
        descendants = _children(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in descendants) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in descendants:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process = None

    def logs(self) -> list[Path]:
        """code-server's output and every VS Code log (extension host, RepoFill's channel)."""
        found = [self.log_file] if self.log_file.is_file() else []
        logs_dir = self.user_data / "logs"
        if logs_dir.is_dir():
            found.extend(sorted(p for p in logs_dir.rglob("*.log") if p.is_file()))
        return found

    def extension_log(self) -> str:
        """The RepoFill output channel (client trace, server stderr), as written so far."""
        logs_dir = self.user_data / "logs"
        parts = [p.read_text(errors="replace") for p in logs_dir.rglob("*RepoFill*.log")]
        return "\n".join(parts)

    def keep_artifacts(self, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for log in self.logs():
            rel = log.relative_to(self.root)
            target = dest / str(rel).replace(os.sep, "__")
            shutil.copyfile(log, target)
        shutil.copytree(self.workspace, dest / "workspace", dirs_exist_ok=True)
        if self.settings_file.is_file():
            shutil.copyfile(self.settings_file, dest / "settings.json")
