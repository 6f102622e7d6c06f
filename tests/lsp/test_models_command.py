"""`repofill models …` end to end against a loopback hub (tests/models/hub_server.py)."""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path

import pytest
from repofill.lsp import models_command
from repofill.models.registry import registry_entries, registry_entry
from repofill.models.types import ModelError

from tests.models.hub_server import HubFile, fake_hub

NAME = "deepseek-coder-1.3b"
ENTRY = registry_entry(NAME)


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    models_command.add_arguments(parser)
    return models_command.run(parser.parse_args(list(argv)))


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return tmp_path / "hub"


def test_list_shows_every_model_and_a_recommendation(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("list") == 0
    out = capsys.readouterr().out
    for entry in registry_entries():
        assert entry.name in out and entry.repo_id in out
    assert "recommended for this machine" in out


def test_pull_without_the_hub_fails_within_seconds(
    monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(ModelError, match="--model-path"):
        _run("pull", NAME, "--no-progress")
    assert time.monotonic() - started < 5
    assert not cache.exists() or not [p for p in cache.rglob("*") if p.is_file()]


def test_pull_path_rm(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    content = b"GGUF" + bytes(4096)
    key = f"/{ENTRY.repo_id}/resolve/main/{ENTRY.filename}"
    with fake_hub({key: HubFile(content)}) as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        assert _run("pull", NAME, "--no-progress") == 0
    pulled = Path(capsys.readouterr().out.strip())
    assert pulled.read_bytes() == content
    assert _run("path", NAME) == 0
    assert Path(capsys.readouterr().out.strip()) == pulled
    assert _run("list") == 0
    assert "downloaded" in capsys.readouterr().out
    assert _run("rm", NAME) == 0
    with pytest.raises(ModelError, match="not downloaded"):
        _run("path", NAME)
