"""git as kodos runs it on AUR repositories: nothing of the repositories' own configuration or
hooks gets to run, and only the transport the URL needs is allowed.

Every call runs with no system or global configuration (`GIT_CONFIG_NOSYSTEM`,
`GIT_CONFIG_GLOBAL=/dev/null`), hooks pointed at /dev/null, no external diff or textconv
drivers, no fsmonitor, no credential helper or prompt, `protocol.allow=never` but for the one
scheme the AUR URL uses (with `file` also allowed for a `file://` AUR), and `safe.directory`
naming exactly the repositories the call touches, and no automatic garbage collection (a
locked commit stays in its mirror). The mirrors kodos keeps are bare repositories
it created itself; a repository of a `file://` AUR is only read with plumbing (`cat-file`),
which runs no program its configuration names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.aur.errors import AurError
from kodos.system.runner import CommandFailed, run

ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_PAGER": "cat",
}
SCHEMES = ("https", "http", "file")


def git_argv(scheme: str, repositories: Sequence[Path], arguments: Sequence[str]) -> list[str]:
    """The argv of `git ARGUMENTS` under the rules above; `scheme` is the AUR URL's."""
    if scheme not in SCHEMES:
        raise AurError(f"git transport {scheme!r} is not allowed for the AUR")
    settings = [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "credential.helper=",
        "diff.external=",
        "protocol.allow=never",
        f"protocol.{scheme}.allow=always",
        "transfer.fsckObjects=true",
        # never collect garbage in a mirror: a commit a generation is locked to stays even when
        # the AUR's history no longer reaches it
        "gc.auto=0",
        "maintenance.auto=false",
        *(f"safe.directory={repository}" for repository in repositories),
    ]
    return ["git", *(word for setting in settings for word in ("-c", setting)), *arguments]


def git(scheme: str, repositories: Sequence[Path], arguments: Sequence[str], *, what: str) -> str:
    """Run git and return its standard output; a failure raises `AurError` saying `what`
    kodos was doing and git's own message."""
    try:
        return run(git_argv(scheme, repositories, arguments), env=ENVIRONMENT).stdout
    except CommandFailed as err:
        raise AurError(f"{what}: {err.message}") from None
