"""Benchmark sources: spec parsing, the Debian kind, and the dev/test split file (no network)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from repofill.bench.sources import (
    SPLIT_FILE,
    SourceSpec,
    _deb_root,
    fetch,
    load_split,
    parse_spec,
)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("pypi:click==8.1.7", SourceSpec("click", "8.1.7", "pypi")),
        ("pypi:click==8.1.7:src/click", SourceSpec("click", "8.1.7", "pypi", "src/click")),
        ("npm:mobx@6.12.3:src", SourceSpec("mobx", "6.12.3", "npm", "src")),
        ("npm:@scope/pkg@1.0.0", SourceSpec("@scope/pkg", "1.0.0", "npm")),
        (
            "deb:golang-github-gin-gonic-gin-dev=1.8.1-1",
            SourceSpec("golang-github-gin-gonic-gin-dev", "1.8.1-1", "deb"),
        ),
        (
            "deb:librust-serde-json-dev=1.0.87-1:usr/share/cargo/registry/serde_json-1.0.87",
            SourceSpec(
                "librust-serde-json-dev",
                "1.0.87-1",
                "deb",
                "usr/share/cargo/registry/serde_json-1.0.87",
            ),
        ),
        ("deb:foo-dev=1:2.0-1", SourceSpec("foo-dev", "1:2.0-1", "deb")),  # an epoch
        ("deb:foo-dev=1:2.0-1:usr/share", SourceSpec("foo-dev", "1:2.0-1", "deb", "usr/share")),
    ],
)
def test_parse_spec(text: str, spec: SourceSpec) -> None:
    assert parse_spec(text) == spec


@pytest.mark.parametrize(
    "text", ["deb:foo-dev", "deb:=1.0", "pip:click==1", "pypi:click", "npm:mobx", "deb:a b=1"]
)
def test_bad_specs_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="deb:PACKAGE=VER"):
        parse_spec(text)


def test_deb_root_is_the_crate_or_the_go_module(tmp_path: Path) -> None:
    crate = tmp_path / "rust/usr/share/cargo/registry/serde_json-1.0.87"
    (crate / "src").mkdir(parents=True)
    assert _deb_root(tmp_path / "rust") == crate
    gomod = tmp_path / "go/usr/share/gocode/src/github.com/gin-gonic/gin"
    (gomod / "binding").mkdir(parents=True)
    (gomod / "go.mod").write_text("module github.com/gin-gonic/gin\n")
    (gomod / "binding" / "go.mod").write_text("module nested\n")
    assert _deb_root(tmp_path / "go") == gomod
    (tmp_path / "plain/usr/share/doc").mkdir(parents=True)
    assert _deb_root(tmp_path / "plain") == tmp_path / "plain"


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_fetch_unpacks_a_downloaded_deb(tmp_path: Path) -> None:
    spec = parse_spec("deb:librust-tiny-dev=0.1.0-1")
    build = tmp_path / "build"
    crate = build / "usr/share/cargo/registry/tiny-0.1.0/src"
    crate.mkdir(parents=True)
    (crate / "lib.rs").write_text("pub fn one() -> u8 { 1 }\n")
    (build / "DEBIAN").mkdir()
    (build / "DEBIAN/control").write_text(
        "Package: librust-tiny-dev\nVersion: 0.1.0-1\nArchitecture: all\n"
        "Maintainer: t <t@example.org>\nDescription: tiny\n"
    )
    downloads = tmp_path / "cache" / "downloads" / spec.key
    downloads.mkdir(parents=True)
    deb = downloads / "librust-tiny-dev_0.1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(build), str(deb)], check=True, capture_output=True)
    root = fetch(spec, tmp_path / "cache")  # already downloaded: no network
    assert root == tmp_path / "cache" / spec.key / "usr/share/cargo/registry/tiny-0.1.0"
    assert (root / "src/lib.rs").read_text() == "pub fn one() -> u8 { 1 }\n"


FORBIDDEN = {"evaluate", "aws-fortuna", "requests", "rich", "flask", "django", "rxjs"}


def test_the_split_has_three_projects_a_side_and_two_languages_besides_python() -> None:
    data = json.loads(SPLIT_FILE.read_text())
    dev, test = load_split("dev"), load_split("test")
    assert len(dev) >= 3 and len(test) >= 3
    assert not {s.name for s in dev} & {s.name for s in test}
    assert not {s.name.lower() for s in dev + test} & FORBIDDEN
    assert all(s.version and s.registry in ("pypi", "npm", "deb") for s in dev + test)
    languages = [item["language"] for side in ("dev", "test") for item in data[side]]
    assert len([x for x in languages if x != "python"]) >= 2
    with pytest.raises(ValueError, match="unknown split"):
        load_split("train")
