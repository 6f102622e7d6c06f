"""Secrets by content (issue 16 kind 3): a private key or a well-known token shape makes a file
a secret whatever its name, for indexing here (completion and fill-hole: tests/e2e)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from repofill.retrieval import Retriever
from repofill.retrieval.discovery import read_text
from repofill.retrieval.exclusion import holds_secret, is_secret

CASES = json.loads((Path(__file__).parent / "secret_content_cases.json").read_text())
SECRET = ["".join(pieces) for pieces in CASES["secret"]]
ORDINARY = ["".join(pieces) for pieces in CASES["ordinary"]]


@pytest.mark.parametrize("text", SECRET)
def test_secret_shapes_are_recognised(text: str) -> None:
    assert holds_secret(text)
    assert holds_secret("x = 1\n" * 3000 + text + "y = 2\n" * 3000)
    assert is_secret("notes.txt", text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_code_is_not_a_secret(text: str) -> None:
    assert not holds_secret(text)
    assert not is_secret("src/app.py", text)


def test_a_file_named_by_no_rule_is_read_only_without_a_secret(tmp_path: Path) -> None:
    (tmp_path / "deploy_key").write_text(SECRET[0])
    (tmp_path / "notes.py").write_text(ORDINARY[0])
    assert read_text(tmp_path / "deploy_key") is None
    assert read_text(tmp_path / "notes.py") == ORDINARY[0]


def test_the_index_never_holds_a_secret_file(tmp_path: Path) -> None:
    key = SECRET[4]  # a service-account key saved under a Python name
    (tmp_path / "settings_prod.py").write_text(f"KEY = {key!r}\n")
    (tmp_path / "app.py").write_text("import settings_prod\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    retriever = Retriever(tmp_path, use_cache=False)
    retriever.build()
    assert set(retriever.index.entries) == {"app.py"}
    # a secret pasted into an open (indexed) file takes it out of the index
    retriever.update_file(tmp_path / "app.py", f"import settings_prod\nKEY = {key!r}\n")
    assert set(retriever.index.entries) == set()
