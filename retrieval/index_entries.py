"""What the index knows about one file. Plain, picklable data (the disk cache stores it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Definition:
    """A class, function, method, top-level variable, type or field declaration.

    Lines are 0-based and inclusive. The header (signature) runs from (start, start_col) to
    (header_end, header_end_col): the definition up to its body.
    """

    name: str
    kind: str  # class | function | method | variable | field | type
    start: int
    end: int
    header_end: int
    header_end_col: int
    start_col: int = 0
    parent: str | None = None  # the enclosing class, for methods and fields
    bases: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportRef:
    """One import as written; its language's `LanguageSpec.resolve` turns it into repository files.

    `names` are (local, remote) pairs of imported names ("*" for a wildcard); `local` is the
    name the module itself is bound to (`import a.b as c` → "c"; Go's package name).
    """

    module: str
    names: tuple[tuple[str, str], ...] = ()
    local: str | None = None
    line: int = 0
    kind: str = ""  # language-specific flavour, e.g. "mod" for Rust `mod x;`, "static" for Java


@dataclass(slots=True)
class Parsed:
    """Everything extracted from a file's text; keyed by content hash in the disk cache."""

    language: str
    imports: list[ImportRef] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    identifiers: frozenset[str] = frozenset()
    type_identifiers: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()
    package: str | None = None  # Java package, Go package name
    exports: tuple[tuple[str, str], ...] = ()  # JS/TS `export … from` re-exports: (name, module)


@dataclass(slots=True)
class FileEntry:
    """A file in the index: its lines, its parse, its content hash.

    Only the lines are kept (not the text as well): on a large repository the text is most of
    the index's memory.
    """

    path: str  # repository-relative, posix
    digest: str
    lines: list[str]
    parsed: Parsed
    _members: dict[str, list[Definition]] | None = field(default=None, repr=False, compare=False)
    _headers: dict[tuple[int, int, int, int], str] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def of(cls, path: str, digest: str, text: str, parsed: Parsed) -> FileEntry:
        return cls(path=path, digest=digest, lines=text.split("\n"), parsed=parsed)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def members(self, cls: Definition) -> list[Definition]:
        """Methods and fields of a class of this file, in source order."""
        if self._members is None:
            table: dict[str, list[Definition]] = {}
            for d in self.parsed.definitions:
                if d.parent is not None:
                    table.setdefault(d.parent, []).append(d)
            self._members = table
        found = self._members.get(cls.name, [])
        if cls.kind != "class":
            return []
        # Rust/Go/C++ members may live outside the type's span (impl blocks, receivers)
        return found

    def top_level(self) -> list[Definition]:
        return [d for d in self.parsed.definitions if d.parent is None]

    def header_text(self, d: Definition) -> str:
        """The definition's signature: its text up to the body (kept once asked: selection asks
        for the same signatures on every keystroke)."""
        key = (d.start, d.start_col, d.header_end, d.header_end_col)
        if self._headers is None:
            self._headers = {}
        found = self._headers.get(key)
        if found is None:
            found = self._headers[key] = self._header_text(d)
        return found

    def _header_text(self, d: Definition) -> str:
        if d.header_end == d.start:
            line = self.lines[d.start] if d.start < len(self.lines) else ""
            end = _col(line, d.header_end_col) if d.header_end_col > d.start_col else len(line)
            return line[:end].rstrip()
        first = self.lines[d.start : d.header_end]
        last = self.lines[d.header_end] if d.header_end < len(self.lines) else ""
        tail = last[: _col(last, d.header_end_col)]
        return "\n".join([*first, tail]).rstrip()

    def span_text(self, d: Definition, max_lines: int = 0) -> str:
        end = d.end + 1
        if max_lines and end - d.start > max_lines:
            end = d.start + max_lines
        return "\n".join(self.lines[d.start : end])


def _col(line: str, byte_col: int) -> int:
    """tree-sitter columns count bytes; convert to a character index."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
