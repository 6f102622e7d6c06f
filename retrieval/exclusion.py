"""Which files RepoFill must never read: secrets, credentials, keys, binaries, huge files.

The rule is by name first (cheap, used before opening anything) and by content second
(`looks_binary`). Other modules reuse `is_excluded` so that no component reads a secret.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePath

MAX_FILE_BYTES = 1_000_000
"""Files larger than this are generated or data; they are never indexed."""

_SECRET_NAMES = frozenset(
    {
        ".env",
        ".envrc",
        ".netrc",
        "_netrc",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".git-credentials",
        ".htpasswd",
        ".dockercfg",
        "credentials",
        "credentials.json",
        "credentials.yml",
        "credentials.yaml",
        "client_secret.json",
        "client_secrets.json",
        "secrets.json",
        "secrets.yml",
        "secrets.yaml",
        "secrets.toml",
        "known_hosts",
        "authorized_keys",
    }
)

_SECRET_GLOBS = (
    ".env.*",
    "*.env",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.crt",
    "*.cer",
    "*.der",
    "*.csr",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "*.gpg",
    "*.pgp",
    "*.asc",
    "*.ovpn",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfvars",
    "*secret*.json",
    "*service-account*.json",
    "*.sqlite",
    "*.db",
)

_SECRET_DIRS = frozenset(
    {".git", ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".hg", ".svn"}
)

_BINARY_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".icns",
        ".tif",
        ".tiff",
        ".webp",
        ".psd",
        ".svgz",
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".odt",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".zst",
        ".7z",
        ".rar",
        ".tar",
        ".jar",
        ".war",
        ".ear",
        ".whl",
        ".egg",
        ".deb",
        ".rpm",
        ".dmg",
        ".iso",
        ".so",
        ".dll",
        ".dylib",
        ".exe",
        ".o",
        ".obj",
        ".a",
        ".lib",
        ".pyc",
        ".pyo",
        ".pyd",
        ".class",
        ".wasm",
        ".node",
        ".bin",
        ".dat",
        ".gguf",
        ".safetensors",
        ".pt",
        ".pth",
        ".onnx",
        ".pb",
        ".h5",
        ".npy",
        ".npz",
        ".pkl",
        ".pickle",
        ".parquet",
        ".arrow",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".wav",
        ".ogg",
        ".flac",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
    ]
)

_GLOB_RE = re.compile("|".join(fnmatch.translate(g) for g in _SECRET_GLOBS), re.IGNORECASE)


def is_excluded(path: str | PurePath) -> bool:
    """True for files that must never be read: secrets, credentials, keys, binaries by name."""
    p = PurePath(path)
    name = p.name
    lower = name.lower()
    if lower in _SECRET_NAMES or _GLOB_RE.match(lower):
        return True
    if p.suffix.lower() in _BINARY_SUFFIXES:
        return True
    return any(part in _SECRET_DIRS for part in p.parts[:-1])


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB is the same test git uses."""
    return b"\0" in data[:8192]
