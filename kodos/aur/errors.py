"""What goes wrong with the AUR: a lookup or fetch (`AurError`), a build (`AurBuildError`)."""

from __future__ import annotations

from pathlib import Path

from kodos.errors import KodosError


class AurError(KodosError):
    """A package base could not be looked up, fetched, read or ordered."""


class AurBuildError(AurError):
    """makepkg could not build `pkgbase`; `log_tail` holds the last lines of its build log."""

    def __init__(
        self,
        pkgbase: str,
        log_tail: str,
        *,
        reason: str = "makepkg failed",
        log_path: Path | None = None,
    ) -> None:
        self.pkgbase = pkgbase
        self.log_tail = log_tail
        self.log_path = log_path
        message = f"AUR package base {pkgbase!r} failed to build: {reason}"
        if log_tail:
            where = f" ({log_path})" if log_path is not None else ""
            message += f"\nthe end of its build log{where}:\n{log_tail}"
        super().__init__(message)
