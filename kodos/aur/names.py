"""The one check every AUR name passes before it reaches a command or a path."""

from __future__ import annotations

import re

from kodos.aur.errors import AurError

# Arch's rule for package names (PKGBUILD(5)), the same as kodos.config.types.ARCH_PACKAGE_RE:
# lowercase alphanumerics and @._+-, not starting with '-' or '.'. A package base follows it
# too, so neither can be an option, a path or a git revision.
NAME_RE = re.compile(r"[a-z0-9@_+][a-z0-9@._+-]*")
COMMIT_RE = re.compile(r"[0-9a-f]{40}")


def checked_name(name: str, what: str = "package name") -> str:
    """`name` when it is an Arch package name; `AurError` otherwise."""
    if not NAME_RE.fullmatch(name) or len(name) > 255:
        raise AurError(f"not a valid AUR {what}: {name!r}")
    return name


def checked_commit(commit: str) -> str:
    """`commit` when it is a full 40-digit hexadecimal git commit id; `AurError` otherwise."""
    if not COMMIT_RE.fullmatch(commit):
        raise AurError(f"not a git commit id (40 hexadecimal digits): {commit!r}")
    return commit
