"""The files whose change re-decides which repository files RepoFill may read.

A `.gitignore` anywhere, `.git/info/exclude` and the git index (a file added to or removed from
the index is tracked or not, which decides whether an ignore rule applies to it). The server asks
the client to watch them (`client/registerCapability` for `workspace/didChangeWatchedFiles`) when
the client supports dynamic registration; a client that reports them anyway is served as well.
"""

from __future__ import annotations

from pathlib import PurePath

from lsprotocol import types

GLOBS = ("**/.gitignore", "**/.git/info/exclude", "**/.git/index")
REGISTRATION_ID = "repofill-ignore-rules"


def is_ignore_rules_file(path: PurePath) -> bool:
    """Whether a change of `path` can change which files git ignores."""
    parts = path.parts
    if path.name == ".gitignore":
        return True
    return parts[-2:] == (".git", "index") or parts[-3:] == (".git", "info", "exclude")


def registration(capabilities: types.ClientCapabilities) -> types.RegistrationParams | None:
    """The watchers to register, or None when the client cannot register them dynamically."""
    workspace = capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return None
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in GLOBS]
    )
    return types.RegistrationParams(
        registrations=[
            types.Registration(
                id=REGISTRATION_ID,
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=options,
            )
        ]
    )
