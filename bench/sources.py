"""Source code of real open-source projects for benchmarks, fetched once into a cache outside the
repository (`~/.cache/repofill/bench-sources`, or `$REPOFILL_BENCH_SOURCES`).

Python projects come as source distributions (`pip download --no-binary :all: --no-deps`), JS/TS
projects as npm tarballs (`npm pack`). Archives are unpacked with path checks (no absolute paths,
no `..`, no links out of the folder).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSpec:
    name: str  # registry name
    version: str
    registry: str  # "pypi" | "npm"
    subdir: str = ""  # the part of the unpacked archive that is the project's source

    @property
    def key(self) -> str:
        return f"{self.registry}-{self.name}-{self.version}"


DEFAULT_SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("requests", "2.32.3", "pypi"),
    SourceSpec("flask", "3.0.3", "pypi"),
    SourceSpec("rich", "13.7.1", "pypi"),
    SourceSpec("rxjs", "7.8.1", "npm", "src"),
    SourceSpec("django", "5.0.6", "pypi"),
)


def cache_dir() -> Path:
    env = os.environ.get("REPOFILL_BENCH_SOURCES")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "repofill" / "bench-sources"


def parse_spec(text: str) -> SourceSpec:
    """`pypi:requests==2.32.3[:subdir]` or `npm:rxjs@7.8.1[:subdir]`."""
    registry, _, rest = text.partition(":")
    rest, _, subdir = rest.partition(":")
    if registry == "pypi" and "==" in rest:
        name, version = rest.split("==", 1)
    elif registry == "npm" and "@" in rest[1:]:
        name, version = rest.rsplit("@", 1)
    else:
        raise ValueError(f"cannot read source spec {text!r} (pypi:NAME==VER or npm:NAME@VER)")
    return SourceSpec(name, version, registry, subdir)


def fetch(spec: SourceSpec, cache: Path | None = None) -> Path:
    """The project's source folder, downloading and unpacking it the first time."""
    cache = cache or cache_dir()
    target = cache / spec.key
    done = target / ".complete"
    if not done.exists():
        downloads = cache / "downloads" / spec.key
        downloads.mkdir(parents=True, exist_ok=True)
        archive = _download(spec, downloads)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        _unpack(archive, target)
        done.write_text(archive.name)
    root = _single_child(target)
    return root / spec.subdir if spec.subdir else root


def _download(spec: SourceSpec, folder: Path) -> Path:
    existing = _archives(folder)
    if existing:
        return existing[0]
    if spec.registry == "pypi":
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--disable-pip-version-check",
            f"{spec.name}=={spec.version}",
            "-d",
            str(folder),
        ]
    elif spec.registry == "npm":
        cmd = ["npm", "pack", f"{spec.name}@{spec.version}", "--pack-destination", str(folder)]
    else:
        raise ValueError(f"unknown registry {spec.registry}")
    log.info("fetching %s", " ".join(cmd))
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    found = _archives(folder)
    if not found:
        raise RuntimeError(f"{spec.key}: no archive after download")
    return found[0]


def _archives(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.name.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2"))
    )


def _unpack(archive: Path, target: Path) -> None:
    resolved = target.resolve()
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not (resolved / member).resolve().is_relative_to(resolved):
                    raise RuntimeError(f"unsafe path in {archive}: {member}")
            zf.extractall(target)
        return
    with tarfile.open(archive) as tf:
        try:
            tf.extractall(target, filter="data")
        except TypeError:  # Python without extraction filters
            for info in tf.getmembers():
                inside = (resolved / info.name).resolve().is_relative_to(resolved)
                if info.issym() or info.islnk() or not inside:
                    raise RuntimeError(f"unsafe member in {archive}: {info.name}") from None
            tf.extractall(target)


def _single_child(folder: Path) -> Path:
    children = [c for c in folder.iterdir() if not c.name.startswith(".")]
    return children[0] if len(children) == 1 and children[0].is_dir() else folder
