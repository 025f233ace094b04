"""git as kodos runs it on AUR repositories: `kodos/system/git.py`'s rules, isolated from any
system or global configuration (git runs as root here), with only the transport the AUR URL
uses, and on top of them:

* `safe.directory` naming exactly the repositories the call touches (a `file://` AUR's
  repositories may belong to another user);
* `transfer.fsckObjects`: a malformed object from the network is refused, not stored;
* no automatic garbage collection or maintenance: a commit a generation is locked to stays
  in its mirror even when the AUR's history no longer reaches it.

The mirrors kodos keeps are bare repositories it created itself; a repository of a `file://`
AUR is only served by `upload-pack` or read with plumbing (`cat-file`), which run no program
its configuration names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.aur.errors import AurError
from kodos.system.git import GitRules
from kodos.system.runner import CommandFailed, run

SCHEMES = ("https", "http", "file")
_AUR_SETTINGS = ("transfer.fsckObjects=true", "gc.auto=0", "maintenance.auto=false")
_RULES = {
    scheme: GitRules(transports=(scheme,), isolated=True, settings=_AUR_SETTINGS)
    for scheme in SCHEMES
}


def _rules(scheme: str) -> GitRules:
    if scheme not in _RULES:
        raise AurError(f"git transport {scheme!r} is not allowed for the AUR")
    return _RULES[scheme]


def git_argv(scheme: str, repositories: Sequence[Path], arguments: Sequence[str]) -> list[str]:
    """The argv of `git ARGUMENTS` under the rules above; `scheme` is the AUR URL's."""
    trusted = [f"safe.directory={repository}" for repository in repositories]
    return _rules(scheme).argv(arguments, settings=trusted)


def git(scheme: str, repositories: Sequence[Path], arguments: Sequence[str], *, what: str) -> str:
    """Run git and return its standard output; a failure raises `AurError` saying `what`
    kodos was doing and git's own message."""
    try:
        return run(git_argv(scheme, repositories, arguments), env=_rules(scheme).env()).stdout
    except CommandFailed as err:
        raise AurError(f"{what}: {err.message}") from None
