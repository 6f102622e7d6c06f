"""`.gitignore` rules for folders that are not git repositories.

The patterns are git's own (comments, `!` negation, `dir/`, anchored `/x`, `*`, `?`, `[...]`,
`**`), matched by pathspec's `GitIgnoreSpec`. Each `.gitignore` applies to the paths below the
folder that holds it; where the files of a folder and its ancestors disagree, the last matching
pattern wins, the deepest file's last (as in git).
"""

from __future__ import annotations

from pathlib import Path

from pathspec import GitIgnoreSpec


def parse_rules(text: str) -> GitIgnoreSpec | None:
    """The patterns of one `.gitignore` file's text, or None when it has none."""
    spec = GitIgnoreSpec.from_lines(text.splitlines())
    return spec if len(spec) else None


class IgnoreStack:
    """The `.gitignore` rules in force for one folder: its own plus its ancestors'."""

    def __init__(self, layers: tuple[tuple[str, GitIgnoreSpec], ...] = ()) -> None:
        self._layers = layers

    def child(self, folder: Path, rel_folder: str) -> IgnoreStack:
        """The stack for `folder` (relative path `rel_folder`), adding its `.gitignore` if any."""
        gi = folder / ".gitignore"
        try:
            text = gi.read_text(encoding="utf-8", errors="replace") if gi.is_file() else ""
        except OSError:
            text = ""
        spec = parse_rules(text) if text else None
        if spec is None:
            return self
        return IgnoreStack((*self._layers, (rel_folder, spec)))

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        """Whether `rel_path` ('/'-separated, relative to the root folder) is ignored."""
        result = False
        for base, spec in self._layers:
            if base:
                if not rel_path.startswith(base + "/"):
                    continue
                sub = rel_path[len(base) + 1 :]
            else:
                sub = rel_path
            verdict = _folder_verdict(spec, sub) if is_dir else spec.check_file(sub).include
            if verdict is not None:
                result = verdict
        return result


def _folder_verdict(spec: GitIgnoreSpec, folder: str) -> bool | None:
    """Whether `spec` ignores (True) or re-includes (False) a folder; None when no pattern does.

    A trailing '/' tells pathspec the path is a folder, so `dir/` patterns match it. But `x/**`
    matches what is inside `x`, not `x` itself: git still looks into `x`, where a later `!x/keep`
    re-includes `x/keep`; pathspec counts `x/` itself as matched
    (https://github.com/cpburnz/python-pathspec/issues/137), so such a match is asked again
    without the '/'.
    """
    check = spec.check_file(folder + "/")
    if check.index is not None and str(spec.patterns[check.index].pattern).endswith("/**"):
        check = spec.check_file(folder)
    return check.include
