"""The arguments of RepoFill's `workspace/executeCommand` commands (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams


def command_argument(args: tuple[Any, ...]) -> dict[str, Any]:
    # pygls passes the `arguments` list either spread or as one list, depending on the client.
    flat: list[Any] = []
    for a in args:
        flat.extend(a if isinstance(a, list) else [a])
    for a in flat:
        if isinstance(a, dict):
            return a
        if hasattr(a, "__dict__"):
            return dict(vars(a))
    raise JsonRpcInvalidParams("expected one object argument")


def positions(arg: dict[str, Any]) -> tuple[types.Position, types.Position]:
    def pos(value: Any) -> types.Position:
        if (
            isinstance(value, dict)
            and isinstance(value.get("line"), int)
            and isinstance(value.get("character"), int)
        ):
            return types.Position(line=value["line"], character=value["character"])
        raise JsonRpcInvalidParams(f"not a position: {value!r}")

    if isinstance(arg.get("range"), dict):
        return pos(arg["range"].get("start")), pos(arg["range"].get("end"))
    p = pos(arg.get("position"))
    return p, p
