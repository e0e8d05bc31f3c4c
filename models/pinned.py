"""Committed data files pinned by their sha256 (data/*/): one check for every loader."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_pinned(path: Path, sha256: str, error: type[Exception], *, regen: str, const: str,
                 what: str = "file", check_hash: bool = True) -> Path:
    """``path`` if it exists and (with ``check_hash``) is the committed file, else ``error``
    saying how to restore or regenerate it: ``regen`` is the command that rewrites it and
    ``const`` the constant that pins its hash."""
    path = Path(path)
    if not path.exists():
        raise error(f"{path} is missing; restore it with git or regenerate it with `{regen}`")
    if check_hash and (got := file_sha256(path)) != sha256:
        raise error(f"{path} is not the committed {what} (sha256 {got[:16]}... != "
                    f"{sha256[:16]}...): restore it with git, or after regenerating it set "
                    f"{const}")
    return path
