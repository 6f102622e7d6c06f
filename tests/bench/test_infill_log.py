"""The infill benchmark's JSON-lines log: an interrupted line is skipped, a resumed run that added
strategies adds to the task's results."""

from __future__ import annotations

import json
from pathlib import Path

from repofill.bench.infill import read_log, summarise


def test_resumed_strategies_add_to_a_task(tmp_path: Path) -> None:
    log = tmp_path / "run.log.jsonl"
    first = {"key": "HumanEval/0/single/1-1", "kind": "single", "results": {}}
    first["results"] = {"greedy": {"passed": True, "ms": 5.0, "completion": "x"}}
    second = {"key": "HumanEval/1/single/0-0", "kind": "single", "results": {}}
    second["results"] = {"greedy": {"passed": False, "ms": 7.0, "completion": ""}}
    added = {"key": first["key"], "kind": "single", "results": {}}
    added["results"] = {"plain": {"passed": False, "ms": 4.0, "completion": "y"}}
    lines = [json.dumps(first), json.dumps(second), json.dumps(added), '{"key": "cut']
    log.write_text("\n".join(lines) + "\n")

    rows = read_log(log)

    assert [r["key"] for r in rows] == [first["key"], second["key"]]
    assert set(rows[0]["results"]) == {"greedy", "plain"}
    summary = summarise(rows, ["plain", "greedy"])["single"]
    assert summary["greedy"]["tasks"] == 2 and summary["greedy"]["passed"] == 1
    assert summary["plain"]["tasks"] == 1 and summary["plain"]["passed"] == 0
