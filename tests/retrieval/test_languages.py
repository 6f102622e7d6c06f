"""JavaScript/TypeScript, Go, Rust, Java and C: extraction, import resolution and the RLPG
relations on small fixture projects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from repofill.retrieval import Retriever
from repofill.retrieval.extract import extract
from repofill.retrieval.index import RepoIndex

from .conftest import approx_tokens, cursor_at

Build = Callable[[str], Retriever]


def _targets(r: Retriever, path: str) -> dict[str, list[str]]:
    entry = r.index.entries[path]
    return {imp.module: targets for imp, targets in r.index.resolved_imports(entry)}


def _defined_in(r: Retriever, path: str, name: str) -> tuple[str, str] | None:
    hit = r.index.find_definition(path, name)
    return (hit[0].path, hit[1].kind) if hit else None


# -- TypeScript ---------------------------------------------------------------------------------


def test_typescript_relative_imports_index_files_and_js_extensions(indexed: Build) -> None:
    r = indexed("ts_app")
    t = _targets(r, "src/services/userService.ts")
    assert t["../models"] == ["src/models/index.ts"]
    assert t["./format.js"] == ["src/services/format.ts"]  # TS sources import "x.js" for x.ts
    assert _defined_in(r, "src/models/index.ts", "User") == ("src/models/user.ts", "class")


def test_typescript_classes_interfaces_and_parent_class(indexed: Build) -> None:
    r = indexed("ts_app")
    parsed = r.index.entries["src/models/user.ts"].parsed
    user = next(d for d in parsed.definitions if d.name == "User")
    assert user.bases == ("Entity", "Named")
    assert {d.name for d in parsed.definitions if d.parent == "User"} >= {"name", "email", "greet"}
    cursor = cursor_at(r.root, "src/services/userService.ts", "this.users.push(user);")
    ctx = r.select(cursor, approx_tokens, 1024)
    sigs = "\n".join(s.text for s in ctx.snippets if s.path == "src/models/user.ts")
    assert "export class User extends Entity implements Named" in sigs
    attrs = "\n".join(s.text for s in ctx.snippets if s.path == "src/services/format.ts")
    assert "export function label(text: string): string" in attrs


def test_javascript_require_and_default_imports() -> None:
    text = (
        "const util = require('./util');\n"
        "const { a, b: c } = require('./lib');\n"
        "import Thing, { other as o } from './thing';\n"
        "export * from './all';\n"
    )
    imports = extract("javascript", text).imports
    got = [(i.module, i.names, i.local, i.kind) for i in imports]
    assert ("./util", (), "util", "") in got
    assert ("./lib", (("a", "a"), ("c", "b")), None, "") in got
    assert ("./thing", (("o", "other"), ("Thing", "default")), None, "") in got
    assert ("./all", (("*", "*"),), None, "export") in got


# -- Go -----------------------------------------------------------------------------------------


def test_go_module_path_imports_and_package_files(indexed: Build) -> None:
    r = indexed("go_svc")
    t = _targets(r, "cmd/server/main.go")
    assert t["example.com/svc/internal/store"] == [
        "internal/store/query.go",
        "internal/store/store.go",
    ]
    assert t["fmt"] == []
    store = r.index.entries["internal/store/query.go"].parsed
    get = next(d for d in store.definitions if d.name == "Get")
    assert (get.kind, get.parent) == ("method", "Store")
    # same package: names need no import
    assert _defined_in(r, "internal/store/query.go", "Item") == ("internal/store/store.go", "class")


def test_go_selection_brings_the_package_member_used_at_the_cursor(indexed: Build) -> None:
    r = indexed("go_svc")
    cursor = cursor_at(r.root, "cmd/server/main.go", "s.Put(")
    ctx = r.select(cursor, approx_tokens, 512)
    text = "\n".join(s.text for s in ctx.snippets if s.path == "internal/store/store.go")
    assert "func NewStore() *Store" in text


# -- Rust ---------------------------------------------------------------------------------------


def test_rust_mod_and_use_paths(indexed: Build) -> None:
    r = indexed("rust_lib")
    lib = _targets(r, "src/lib.rs")
    assert lib["storage"] == ["src/storage/mod.rs"]
    assert lib["shapes"] == ["src/shapes.rs"]
    storage = _targets(r, "src/storage/mod.rs")
    assert storage["disk"] == ["src/storage/disk.rs"]
    assert storage["crate::shapes::Circle"] == ["src/shapes.rs"]
    assert storage["self::disk::DiskStore"] == ["src/storage/disk.rs"]
    assert _defined_in(r, "src/lib.rs", "Circle") == ("src/shapes.rs", "class")


def test_rust_impl_blocks_give_methods_and_trait_parents(indexed: Build) -> None:
    r = indexed("rust_lib")
    shapes = r.index.entries["src/shapes.rs"].parsed
    circle = next(d for d in shapes.definitions if d.name == "Circle")
    assert circle.bases == ("Shape",)
    area = [d for d in shapes.definitions if d.name == "area"]
    assert {d.parent for d in area} == {"Shape", "Circle"}
    disk = r.index.entries["src/storage/disk.rs"].parsed
    assert any(d.name == "write" and d.parent == "DiskStore" for d in disk.definitions)


# -- Java ---------------------------------------------------------------------------------------


def test_java_package_imports_and_parent_class(indexed: Build) -> None:
    r = indexed("java_app")
    svc = "src/main/java/com/acme/service/AccountService.java"
    assert _targets(r, svc)["com.acme.model.Account"] == [
        "src/main/java/com/acme/model/Account.java"
    ]
    account = "src/main/java/com/acme/model/Account.java"
    assert r.index.entries[account].parsed.package == "com.acme.model"
    cursor = cursor_at(r.root, account, "return balance;")
    ctx = r.select(cursor, approx_tokens, 1024)
    parents = [s for s in ctx.snippets if s.source == "parent_class"]
    assert parents and parents[0].path == "src/main/java/com/acme/model/BaseEntity.java"
    assert "public long getId()" in "\n".join(s.text for s in parents)
    cursor = cursor_at(r.root, svc, "return account.getBalance();")
    ctx = r.select(cursor, approx_tokens, 512)
    assert "public class Account extends BaseEntity" in "\n".join(
        s.text for s in ctx.snippets if s.path == account
    )


# -- C ------------------------------------------------------------------------------------------


def test_c_includes_resolve_and_bring_used_prototypes(indexed: Build) -> None:
    r = indexed("c_app")
    assert _targets(r, "src/main.c")["../include/buffer.h"] == ["include/buffer.h"]
    cursor = cursor_at(r.root, "src/main.c", "return 0;")
    ctx = r.select(cursor, approx_tokens, 512)
    text = "\n".join(s.text for s in ctx.snippets if s.path == "include/buffer.h")
    assert "int buffer_append(struct buffer *b, const char *text);" in text


def test_java_import_follows_a_file_whose_package_changed(tmp_path: Path) -> None:
    index = RepoIndex(tmp_path)
    index.put("src/a/Foo.java", "package a;\npublic class Foo {}\n")
    index.put("src/b/Bar.java", "package b;\nimport c.Foo;\npublic class Bar {}\n")
    assert index.import_targets(index.entries["src/b/Bar.java"]) == []
    # same file set, new package: Java's class table (by package) is rebuilt
    index.put("src/a/Foo.java", "package c;\npublic class Foo {}\n")
    assert index.import_targets(index.entries["src/b/Bar.java"]) == ["src/a/Foo.java"]
