"""`repofill bench ...` reaches the benchmarks through an entry point; the product never imports
them (bench/cli.py, lsp/cli.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from repofill.bench.command import reproduce_command
from repofill.lsp import cli


def test_repofill_bench_runs_the_named_benchmark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.gguf"
    argv = ["bench", "infill", "--model-path", str(missing), "--out", str(tmp_path / "r")]
    assert cli.main(argv) == 2
    assert f"repofill: model file not found: {missing}" in capsys.readouterr().err


def test_an_unknown_benchmark_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["-v", "bench", "nope"])
    assert exit_.value.code == 2
    assert "repofill bench: error: argument benchmark: invalid choice: 'nope'" in (
        capsys.readouterr().err
    )


def test_repofill_help_lists_bench(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "bench               run a benchmark" in capsys.readouterr().out


def test_the_product_never_imports_the_benchmarks() -> None:
    """Every `repofill.lsp` module, and the CLI's parser for the built-in commands."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import repofill.lsp\n"
        "for m in pkgutil.walk_packages(repofill.lsp.__path__, 'repofill.lsp.'):\n"
        "    importlib.import_module(m.name)\n"
        "from repofill.lsp.cli import build_parser\n"
        "build_parser().parse_args(['complete', 'x.py', '--line', '1', '--column', '1'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('repofill.bench')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "infill", "--kind", "single", "--log", "/tmp/x"],
        ["-v", "bench", "infill", "--kind", "single", "--log", "/tmp/x"],
        ["infill", "--kind", "single", "--log", "/tmp/x"],  # repofill-bench infill ...
    ],
)
def test_the_reproduce_command_is_read_from_any_entry_point(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["repofill", *argv])
    assert reproduce_command("infill") == "repofill bench infill --kind single"
