"""Source code of real open-source projects for benchmarks, fetched once into a cache outside the
repository (`~/.cache/repofill/bench-sources`, or `$REPOFILL_BENCH_SOURCES`).

Python projects come as source distributions (`pip download --no-binary :all: --no-deps`), JS/TS
projects as npm tarballs (`npm pack`), Go and Rust projects as Debian's `golang-*-dev` and
`librust-*-dev` packages (`apt-get download`, unpacked with `dpkg -x`; Go sources lie under
`/usr/share/gocode/src`, Rust crates under `/usr/share/cargo/registry`). Archives are unpacked
with path checks (no absolute paths, no `..`, no links out of the folder).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
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
    registry: str  # "pypi" | "npm" | "deb"
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


SPEC_FORMS = "pypi:NAME==VER, npm:NAME@VER or deb:PACKAGE=VER, each with an optional :SUBDIR"


def parse_spec(text: str) -> SourceSpec:
    """`pypi:requests==2.32.3[:subdir]`, `npm:rxjs@7.8.1[:subdir]` or
    `deb:golang-github-gin-gonic-gin-dev=1.8.1-1[:subdir]` (a Debian version may hold a colon
    epoch only before the subdir: `deb:NAME=1:2.0-1:subdir` is read as version `1:2.0-1`).

    Raises ValueError for any other form."""
    registry, _, rest = text.partition(":")
    name = version = ""
    subdir = ""
    if registry == "pypi" and "==" in rest:
        rest, _, subdir = rest.partition(":")
        name, version = rest.split("==", 1)
    elif registry == "npm" and "@" in rest[1:]:
        rest, _, subdir = rest.partition(":")
        name, version = rest.rsplit("@", 1)
    elif registry == "deb" and "=" in rest:
        name, version = rest.split("=", 1)
        epoch, colon, tail = version.partition(":")
        if colon and epoch.isdigit() and tail[:1].isdigit():  # 1:2.0-1[:subdir]
            upstream, _, subdir = tail.partition(":")
            version = f"{epoch}:{upstream}"
        else:
            version, _, subdir = version.partition(":")
    if not (name and version) or not re.fullmatch(r"[\w.+~:@/-]+", name + version):
        raise ValueError(f"cannot read source spec {text!r} ({SPEC_FORMS})")
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
    if spec.registry == "deb":  # a subdir is relative to the package's root (usr/...)
        return target / spec.subdir if spec.subdir else _deb_root(target)
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
    elif spec.registry == "deb":
        cmd = ["apt-get", "download", f"{spec.name}={spec.version}"]
    else:
        raise ValueError(f"unknown registry {spec.registry}")
    log.info("fetching %s", " ".join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=folder)
    if done.returncode != 0:
        raise RuntimeError(f"{spec.key}: {' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
    found = _archives(folder)
    if not found:
        raise RuntimeError(f"{spec.key}: no archive after download")
    return found[0]


def _archives(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.endswith((".tar.gz", ".tgz", ".zip", ".tar.bz2", ".deb"))
    )


def _unpack(archive: Path, target: Path) -> None:
    resolved = target.resolve()
    if archive.name.endswith(".deb"):
        fsys = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(archive)], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(fsys)) as tf:
            # Sources only: a package's links (docs, alternatives) may point outside it.
            members = [m for m in tf.getmembers() if m.isfile() or m.isdir()]
            _extract_tar(tf, target, archive, members)
        return
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not (resolved / member).resolve().is_relative_to(resolved):
                    raise RuntimeError(f"unsafe path in {archive}: {member}")
            zf.extractall(target)
        return
    with tarfile.open(archive) as tf:
        _extract_tar(tf, target, archive)


def _extract_tar(
    tf: tarfile.TarFile,
    target: Path,
    archive: Path,
    members: list[tarfile.TarInfo] | None = None,
) -> None:
    resolved = target.resolve()
    try:
        tf.extractall(target, members=members, filter="data")
    except TypeError:  # Python without extraction filters
        for info in members if members is not None else tf.getmembers():
            inside = (resolved / info.name).resolve().is_relative_to(resolved)
            if info.issym() or info.islnk() or not inside:
                raise RuntimeError(f"unsafe member in {archive}: {info.name}") from None
        tf.extractall(target, members=members)


def _deb_root(target: Path) -> Path:
    """The source tree in an unpacked Debian package: the one crate under
    usr/share/cargo/registry, or the shallowest folder with a go.mod under usr/share/gocode/src;
    the package's root otherwise."""
    crates = target / "usr/share/cargo/registry"
    if crates.is_dir():
        children = [c for c in crates.iterdir() if c.is_dir()]
        if len(children) == 1:
            return children[0]
    gocode = target / "usr/share/gocode/src"
    if gocode.is_dir():
        mods = sorted(gocode.rglob("go.mod"), key=lambda p: (len(p.parts), str(p)))
        if mods:
            return mods[0].parent
    return target


def _single_child(folder: Path) -> Path:
    children = [c for c in folder.iterdir() if not c.name.startswith(".")]
    return children[0] if len(children) == 1 and children[0].is_dir() else folder


SPLIT_FILE = Path(__file__).with_name("repo_split.json")
SPLITS = ("dev", "test")


def load_split(name: str, path: Path = SPLIT_FILE) -> list[SourceSpec]:
    """The sources of one split (`dev` or `test`) of `path` (bench/repo_split.json: {"dev":
    [{"source": SPEC, ...}, ...], "test": [...]}). ValueError for an unknown split or spec."""
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r} ({', '.join(SPLITS)})")
    data = json.loads(path.read_text())
    return [parse_spec(item["source"]) for item in data[name]]
