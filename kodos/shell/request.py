"""The `-p` words of `kodos shell`: repository packages; `aur:` and `flatpak:` refused clearly."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kodos.errors import KodosError
from kodos.text.shown import quoted

# kodos.config.types.ARCH_PACKAGE_RE (tests/test_shell.py holds them equal): importing the
# configuration's types costs ~90 ms of a warm start's 300.
PACKAGE_NAME = re.compile(r"[a-z0-9@_+][a-z0-9@._+-]*")
AUR_ISSUE = 13


class ShellRequestError(KodosError):
    """A `-p` word kodos shell cannot give."""


def package_names(words: Sequence[str]) -> list[str]:
    """The repository packages `words` name, in order, each once; raises `ShellRequestError`
    for the first word that is no such name."""
    if not words:
        raise ShellRequestError("kodos shell needs at least one package: -p NAME")
    names: dict[str, None] = {}
    for word in words:
        prefix, colon, name = word.partition(":")
        if colon and prefix == "aur":
            raise ShellRequestError(
                f"-p {quoted(word)}: AUR packages are not supported by kodos shell yet "
                f"(they come with issue {AUR_ISSUE}, which builds AUR packages); "
                "use a repository package"
            )
        if colon and prefix == "flatpak":
            raise ShellRequestError(
                f"-p {quoted(word)}: kodos shell installs pacman packages only; "
                f"run a Flatpak app without installing it for good with `flatpak run {name}` "
                "after `flatpak install --user`, or declare it in the configuration"
            )
        if not PACKAGE_NAME.fullmatch(word):
            raise ShellRequestError(f"-p {quoted(word)}: not a package name")
        names.setdefault(word, None)
    return list(names)
