"""`repofill models pull | rm`: registry models into the Hugging Face cache, resumable and verified.

How a pull works, and why:

1. One HEAD request for the file's metadata (size, sha256 etag, commit) with a short timeout and
   no retries, so an offline machine or an unreachable hub fails within seconds, before anything
   is written to disk. `HF_HUB_OFFLINE=1` fails at once.
2. The body goes to `blobs/<sha256>.incomplete` in the repository's HF cache folder through
   `huggingface_hub`'s `http_get` (its tqdm progress bar, its retries with HTTP Range requests).
   huggingface_hub ≥ 1.0 deletes its own partial files on failure, so a later run cannot resume
   them; we keep ours: an interrupted transfer that received bytes is resumed by the next pull
   (a Range request from where it stopped). A transfer that received nothing leaves no file.
3. The finished file is verified (size, and sha256 against the hub's LFS etag) before it is
   renamed to `blobs/<sha256>`; a mismatch deletes it. Then the snapshot link and `refs/main`
   are written in huggingface_hub's cache layout, so `try_to_load_from_cache` finds it offline.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .registry import RegistryEntry, cached_path, hub_cache_dir, registry_entry
from .types import ModelError

CONNECT_TIMEOUT_S = 5.0
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TRUE = {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class PullResult:
    path: Path
    downloaded: bool
    """False when the file was already in the cache."""
    size: int


def _offline() -> bool:
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _endpoint(endpoint: str | None) -> str:
    if endpoint:
        return endpoint.rstrip("/")
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _manual_hint(entry: RegistryEntry, endpoint: str) -> str:
    url = f"{endpoint}/{entry.repo_id}/resolve/main/{entry.filename}"
    return (
        f"Download {entry.filename} yourself (from {url}) and start RepoFill with "
        f"--model-path /path/to/{entry.filename} (or the modelPath setting)"
    )


def repo_folder(entry: RegistryEntry, cache_dir: Path | None = None) -> Path:
    """The repository's folder in the HF cache (`models--org--name`)."""
    return (cache_dir or hub_cache_dir()) / ("models--" + entry.repo_id.replace("/", "--"))


def partial_files(entry: RegistryEntry, cache_dir: Path | None = None) -> list[Path]:
    blobs = repo_folder(entry, cache_dir) / "blobs"
    return sorted(blobs.glob("*.incomplete")) if blobs.is_dir() else []


def _metadata(entry: RegistryEntry, endpoint: str, timeout: float, token: str | None) -> object:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
    )

    url = hf_hub_url(entry.repo_id, entry.filename, endpoint=endpoint)
    try:
        return get_hf_file_metadata(url, token=token, timeout=timeout, endpoint=endpoint)
    except (RepositoryNotFoundError, GatedRepoError, EntryNotFoundError) as exc:
        raise ModelError(
            f"the hub has no file {entry.filename} in {entry.repo_id} ({type(exc).__name__}). "
            + _manual_hint(entry, endpoint)
        ) from exc
    except HfHubHTTPError as exc:
        raise ModelError(
            f"the hub answered with an error: {exc}. " + _manual_hint(entry, endpoint)
        ) from exc
    except Exception as exc:  # httpx2 connect/timeout/network errors: the hub is unreachable
        raise ModelError(
            f"cannot reach the Hugging Face hub at {endpoint} within {timeout:g}s "
            f"({type(exc).__name__}: {exc}). Check the network (or HF_ENDPOINT), or: "
            + _manual_hint(entry, endpoint)
        ) from exc


def sha256_of(path: Path, chunk: int = 8 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _link_snapshot(folder: Path, commit: str, filename: str, blob: Path, revision: str) -> Path:
    """Write the snapshot pointer and the ref the way huggingface_hub's cache does."""
    pointer = folder / "snapshots" / commit / filename
    pointer.parent.mkdir(parents=True, exist_ok=True)
    if pointer.is_symlink() or pointer.exists():
        pointer.unlink()
    try:
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    except OSError:  # no symlinks (Windows without developer mode): a copy, as huggingface_hub does
        shutil.copy2(blob, pointer)
    refs = folder / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / revision).write_text(commit)
    return pointer


def pull(
    name: str,
    *,
    endpoint: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    token: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> PullResult:
    """Download a registry model into the HF cache (or find it there) and return its path."""
    entry = registry_entry(name)
    hub = _endpoint(endpoint)
    existing = cached_path(entry)
    if existing is not None:
        return PullResult(existing, False, existing.stat().st_size)
    if _offline():
        raise ModelError(
            f"HF_HUB_OFFLINE is set, so {name} cannot be downloaded. " + _manual_hint(entry, hub)
        )
    meta = _metadata(entry, hub, connect_timeout, token)
    etag: str = getattr(meta, "etag", None) or ""
    commit: str = getattr(meta, "commit_hash", None) or ""
    size: int | None = getattr(meta, "size", None)
    location: str = getattr(meta, "location", None) or ""
    if not etag or not commit or not location:
        raise ModelError(
            f"the hub did not describe {entry.repo_id}/{entry.filename} (etag/commit missing). "
            + _manual_hint(entry, hub)
        )
    folder = repo_folder(entry)
    blobs = folder / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    blob = blobs / etag
    if not blob.is_file():
        _fetch(entry, location, blob, size, etag, token, progress, log)
    pointer = _link_snapshot(folder, commit, entry.filename, blob, "main")
    return PullResult(pointer, True, blob.stat().st_size)


def _fetch(
    entry: RegistryEntry,
    url: str,
    blob: Path,
    size: int | None,
    etag: str,
    token: str | None,
    progress: bool,
    log: Callable[[str], None],
) -> None:
    from huggingface_hub import constants
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    partial = blob.with_name(blob.name + ".incomplete")
    have = partial.stat().st_size if partial.is_file() else 0
    if size is not None and have > size:  # not ours to resume: start again
        partial.unlink()
        have = 0
    if have:
        log(f"resuming {entry.filename} at {have / 1e6:.1f} MB")
    headers = build_hf_headers(token=token)
    old_disable = constants.HF_HUB_DISABLE_PROGRESS_BARS
    try:
        if not progress:
            constants.HF_HUB_DISABLE_PROGRESS_BARS = True
        with partial.open("ab") as f:
            http_get(
                url,
                f,
                resume_size=have,
                headers=headers,
                expected_size=size,
                displayed_filename=entry.filename,
            )
    except BaseException as exc:  # includes Ctrl-C: keep what arrived, for the next pull
        kept = partial.stat().st_size if partial.is_file() else 0
        if kept == 0:
            partial.unlink(missing_ok=True)
            detail = "nothing was downloaded and no file was left behind"
        else:
            detail = (
                f"{kept / 1e6:.1f} MB kept in {partial}; run the pull again to resume, "
                f"or `repofill models rm {entry.name}` to delete it"
            )
        if isinstance(exc, Exception):
            raise ModelError(
                f"download of {entry.filename} failed ({type(exc).__name__}: {exc}); {detail}. "
                + _manual_hint(entry, _endpoint(None))
            ) from exc
        log(f"interrupted: {detail}")
        raise
    finally:
        constants.HF_HUB_DISABLE_PROGRESS_BARS = old_disable
    _verify(entry, partial, size, etag)
    os.replace(partial, blob)


def _verify(entry: RegistryEntry, partial: Path, size: int | None, etag: str) -> None:
    """Size, then sha256 when the etag is one (LFS files); a bad file is deleted."""
    actual = partial.stat().st_size
    problem = ""
    if size is not None and actual != size:
        problem = f"size {actual} bytes, the hub says {size}"
    elif _SHA256.match(etag):
        digest = sha256_of(partial)
        if digest != etag:
            problem = f"sha256 {digest}, the hub says {etag}"
    if problem:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"the downloaded {entry.filename} is corrupt ({problem}); "
            "it was deleted, run the pull again"
        )


def remove(name: str) -> list[Path]:
    """Delete a registry model from the HF cache (file, snapshot links, partial downloads)."""
    entry = registry_entry(name)
    folder = repo_folder(entry)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    blobs: set[Path] = set()
    for pointer in (folder / "snapshots").glob(f"*/{entry.filename}"):
        if pointer.is_symlink():
            blobs.add((pointer.parent / os.readlink(pointer)).resolve())
        pointer.unlink()
        removed.append(pointer)
    for blob in sorted(blobs):
        if blob.is_file():
            blob.unlink()
            removed.append(blob)
    for partial in partial_files(entry):
        partial.unlink()
        removed.append(partial)
    snapshots = folder / "snapshots"
    if not snapshots.is_dir() or not any(
        p.is_file() or p.is_symlink() for p in snapshots.rglob("*")
    ):
        # No other file of this repository is cached: drop the repository folder too.
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
