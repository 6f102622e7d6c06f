"""A small `.gitignore` matcher for folders that are not git repositories.

Supports comments, negation (`!`), directory-only patterns (`dir/`), anchored patterns
(leading or inner `/`), `*`, `?`, character classes and `**`. Patterns apply to paths below the
folder holding the `.gitignore`, as git does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    """Glob (gitignore flavour) → regex over a '/'-separated relative path."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_rules(text: str) -> list[_Rule]:
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _translate(line)
        prefix = "" if anchored else "(?:.*/)?"
        rules.append(_Rule(re.compile(f"^{prefix}{body}(?:/.*)?$"), negate, dir_only))
    return rules


class IgnoreStack:
    """The `.gitignore` rules in force for one folder: its own plus its ancestors'."""

    def __init__(self, layers: tuple[tuple[str, list[_Rule]], ...] = ()) -> None:
        self._layers = layers

    def child(self, folder: Path, rel_folder: str) -> IgnoreStack:
        """The stack for `folder` (relative path `rel_folder`), adding its `.gitignore` if any."""
        gi = folder / ".gitignore"
        try:
            text = gi.read_text(encoding="utf-8", errors="replace") if gi.is_file() else ""
        except OSError:
            text = ""
        rules = parse_rules(text) if text else []
        if not rules:
            return self
        return IgnoreStack((*self._layers, (rel_folder, rules)))

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        result = False
        for base, rules in self._layers:
            if base:
                if not rel_path.startswith(base + "/"):
                    continue
                sub = rel_path[len(base) + 1 :]
            else:
                sub = rel_path
            for rule in rules:
                # `dir/` matches folders only, and so hides everything below such a folder
                if (
                    rule.dir_only
                    and not is_dir
                    and ("/" not in sub or not rule.regex.match(sub.rsplit("/", 1)[0]))
                ):
                    continue
                if rule.regex.match(sub):
                    result = not rule.negate
        return result
