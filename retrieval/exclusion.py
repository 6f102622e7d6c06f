"""Which files RepoFill must never read: secrets, credentials, keys, binaries, huge files.

The rule is by name first (cheap, used before opening anything) and by content second
(`looks_binary`, and `holds_secret` for a secret in a file whose name says nothing: a private key
saved as `deploy_key`). Other modules reuse `is_excluded` and `is_secret` so that no component
reads a secret.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
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


# High-confidence secret shapes: private-key armour and tokens with a registered, checkable
# prefix (gitleaks and GitHub secret scanning use the same ones), each found by its literal
# anchor first (`str.find` runs at memory speed; one regex over a 10 MB file would take seconds).
# Generic "password = ..." rules would flag ordinary code, so they are not here.
_SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (anchor, re.compile(pattern))
    for anchor, pattern in [
        ("PRIVATE KEY", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),  # PEM, OpenSSH
        ("PuTTY-User-Key-File-", r"PuTTY-User-Key-File-\d+:"),
        ("AKIA", r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
        ("ASIA", r"\bASIA[0-9A-Z]{16}\b"),
        *((f"gh{k}_", rf"\bgh{k}_[A-Za-z0-9]{{36}}\b") for k in "pousr"),  # GitHub tokens
        ("github_pat_", r"\bgithub_pat_[A-Za-z0-9_]{60,}"),
        ("glpat-", r"\bglpat-[A-Za-z0-9_-]{20,}"),  # GitLab
        ("xox", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack
        ("AIza", r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
        ("k_live_", r"\b[rs]k_live_[0-9A-Za-z]{20,}"),  # Stripe
        ("sk-ant-", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),  # Anthropic
        ("npm_", r"\bnpm_[A-Za-z0-9]{36}\b"),  # npm
    ]
)
_AROUND = 200  # characters either side of an anchor that a shape can span


@lru_cache(maxsize=4)
def holds_secret(text: str) -> bool:
    """Whether `text` contains a private key or a token of a well-known shape (`_SECRET_SHAPES`).

    Cached on the text: an editor's document is asked about on every keystroke's request.
    """
    for anchor, shape in _SECRET_SHAPES:
        at = text.find(anchor)
        while at >= 0:
            if shape.search(text, max(0, at - _AROUND), at + len(anchor) + _AROUND):
                return True
            at = text.find(anchor, at + 1)
    return False


def is_secret(path: str | PurePath, text: str) -> bool:
    """`is_excluded` by name, or a secret in the content: never read, indexed or sent to a model."""
    return is_excluded(path) or holds_secret(text)
