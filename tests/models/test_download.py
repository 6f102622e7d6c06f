"""`repofill models pull | rm` against a loopback hub (tests/models/hub_server.py); no network."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from repofill.models import download
from repofill.models.registry import cached_registry_path, registry_entry
from repofill.models.types import ModelError

from .hub_server import COMMIT, HubFile, fake_hub

NAME = "qwen2.5-coder-0.5b"
ENTRY = registry_entry(NAME)
KEY = f"/{ENTRY.repo_id}/resolve/main/{ENTRY.filename}"
CONTENT = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    hub_cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return hub_cache


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_hub_fails_fast_with_instructions_and_leaves_no_file(cache: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        download.pull(NAME, endpoint=f"http://127.0.0.1:{_closed_port()}", progress=False)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "cannot reach the Hugging Face hub" in message
    assert "--model-path" in message and ENTRY.filename in message
    assert _files(cache) == []


def test_a_hub_that_never_answers_times_out_within_the_connect_timeout(cache: Path) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ModelError, match="--model-path"):
            download.pull(
                NAME, endpoint=f"http://127.0.0.1:{port}", connect_timeout=1.0, progress=False
            )
        assert time.monotonic() - started < 4
    assert _files(cache) == []


def test_offline_mode_fails_at_once(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match=r"HF_HUB_OFFLINE.*--model-path"):
        download.pull(NAME, endpoint="http://127.0.0.1:9", progress=False)
    assert _files(cache) == []


def test_unknown_name_says_how_to_use_a_path() -> None:
    with pytest.raises(ModelError, match="--model-path"):
        download.pull("no-such-model", progress=False)


def test_missing_file_on_the_hub_is_a_clear_error(cache: Path) -> None:
    with fake_hub({}) as endpoint, pytest.raises(ModelError, match="has no file"):
        download.pull(NAME, endpoint=endpoint, progress=False)
    assert not download.partial_files(ENTRY)


def test_pull_downloads_verifies_and_resolves_offline(
    monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    hub = HubFile(CONTENT)
    with fake_hub({KEY: hub}) as endpoint:
        result = download.pull(NAME, endpoint=endpoint, progress=False)
    assert result.downloaded and result.size == len(CONTENT)
    assert result.path.read_bytes() == CONTENT
    # Laid out like huggingface_hub's cache: blob named by sha256, snapshot link, refs/main.
    folder = download.repo_folder(ENTRY)
    assert (folder / "blobs" / hub.sha256).is_file()
    assert (folder / "refs" / "main").read_text() == COMMIT
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert cached_registry_path(NAME).read_bytes() == CONTENT
    again = download.pull(NAME, progress=False)  # already there: no hub needed
    assert not again.downloaded and again.path == cached_registry_path(NAME)


def test_an_interrupted_pull_resumes_with_a_range_request(cache: Path) -> None:
    hub = HubFile(CONTENT)
    folder = download.repo_folder(ENTRY)
    (folder / "blobs").mkdir(parents=True)
    partial = folder / "blobs" / f"{hub.sha256}.incomplete"
    partial.write_bytes(CONTENT[:300_000])  # what an earlier, interrupted pull left
    with fake_hub({KEY: hub}) as endpoint:
        result = download.pull(NAME, endpoint=endpoint, progress=False, log=lambda _: None)
    assert hub.ranges == ["bytes=300000-"]
    assert result.path.read_bytes() == CONTENT
    assert not partial.exists()


def test_a_dropped_connection_is_retried_in_the_same_pull(cache: Path) -> None:
    # huggingface_hub retries (with a Range request from the bytes it wrote, if any).
    hub = HubFile(CONTENT, drop_after=200_000)
    with fake_hub({KEY: hub}) as endpoint:
        result = download.pull(NAME, endpoint=endpoint, progress=False)
    assert hub.gets == 2
    assert result.path.read_bytes() == CONTENT
    assert not download.partial_files(ENTRY)


def test_a_corrupt_download_is_deleted(cache: Path) -> None:
    bad = bytearray(CONTENT)
    bad[1000] ^= 0xFF
    hub = HubFile(CONTENT, served=bytes(bad))
    with fake_hub({KEY: hub}) as endpoint, pytest.raises(ModelError, match=r"corrupt.*sha256"):
        download.pull(NAME, endpoint=endpoint, progress=False)
    assert not download.partial_files(ENTRY)
    assert not (download.repo_folder(ENTRY) / "blobs" / hub.sha256).exists()
    with pytest.raises(ModelError, match="not downloaded"):
        cached_registry_path(NAME)


def test_rm_deletes_the_model_and_its_partials(cache: Path) -> None:
    with fake_hub({KEY: HubFile(CONTENT)}) as endpoint:
        download.pull(NAME, endpoint=endpoint, progress=False)
    stray = download.repo_folder(ENTRY) / "blobs" / ("0" * 64 + ".incomplete")
    stray.write_bytes(b"x")
    removed = download.remove(NAME)
    assert removed and not download.repo_folder(ENTRY).exists()
    assert _files(cache) == [] or all(".locks" in str(p) for p in _files(cache))
    assert download.remove(NAME) == []
    assert not os.path.exists(stray)
