"""git as every kodos call runs it: nothing a repository's configuration or a remote names gets
to run a program, and only the transports the caller allows are used.

What can make git run a program, and where each is closed:

* hooks (`hooks/*`, `core.hooksPath`): `fetch` and `update-ref` run `reference-transaction`,
  `read-tree` runs `post-index-change`. Closed for every call: `core.hooksPath=/dev/null`.
* `core.fsmonitor`: a program (or, set to `true`, a daemon watching the work tree) that
  `checkout-index`, like any command refreshing an index against a work tree, starts. Closed
  for every call: `core.fsmonitor=false`.
* `diff.external` / `diff.<driver>.command` / `diff.<driver>.textconv`: only `diff`-family
  commands run them. Every call sets `diff.external=`; the calls that diff (the AUR's) also
  pass `--no-ext-diff --no-textconv`, which also turns off the per-driver commands and
  `GIT_EXTERNAL_DIFF`.
* transports: `ext::` runs its URL as a command, a remote helper `foo::` runs
  `git-remote-foo`, and `url.<base>.insteadOf` may rewrite a URL into either. Closed for every
  call: `protocol.allow=never` and `protocol.<name>.allow=always` for the caller's own list
  only (never `ext` or `fd`), and `GIT_ALLOW_PROTOCOL` set to that same list, because an
  inherited `GIT_ALLOW_PROTOCOL` would otherwise take precedence over the configuration.
* prompts: `GIT_ASKPASS`/`core.askPass`/`SSH_ASKPASS` name programs and a terminal prompt
  would wait forever. Every call: `GIT_TERMINAL_PROMPT=0` and both askpass variables
  `/bin/false` (the environment overrides `core.askPass`; stow answers with `true` instead,
  an empty answer, so that git says "Authentication failed").
* `core.pager`/`pager.*`: a pager runs only when standard output is a terminal, and `run`
  captures it; `GIT_PAGER=cat` besides.
* `uploadpack.packObjectsHook`: the serving side of a local (`file://`) fetch could run it,
  but git honours it only from system, global or command-line configuration, never from the
  repository served — see the AUR's isolation below.

Left to each caller, because they are configuration of a trusted source, not of a repository:

* the AUR (`kodos/aur/git.py`, run as root on repositories from the network or a `file://`
  directory): `isolated` — no system or global configuration at all (`GIT_CONFIG_NOSYSTEM`,
  `GIT_CONFIG_GLOBAL=/dev/null`) and no credential helper. The only configuration left is
  the repository's own: its mirrors are bare repositories kodos created, so no
  `filter.<driver>` is defined for `git archive` to run when a package's `.gitattributes`
  names one, and no `core.sshCommand`, `core.gitProxy` or `core.alternateRefsCommand` (ssh and
  git:// are not allowed anyway); a `file://` AUR's repositories are only served by
  `upload-pack` (which runs nothing of its repository's configuration, above) or read with
  plumbing (`cat-file`, which runs no filter).
* stow (`kodos/home/programs/stow.py`, run as the user on that user's dotfiles): the user's
  own system and global configuration is honoured — a private repository needs its
  credential helper, `url.*.insteadOf` and ssh setup (`~/.ssh/config`; `GIT_SSH_COMMAND`
  puts ssh in batch mode, over any `core.sshCommand`). What that configuration names
  (`credential.helper`, `filter.*` drivers for `.gitattributes` such as git-lfs) runs as the
  user would run it with their own `git clone`; the cache repository is bare and kodos's own,
  so no repository adds to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# `ext::` runs the command its URL names, `fd::` talks over whatever descriptors the process
# inherited: neither is ever on an allow list.
COMMAND_TRANSPORTS = frozenset({"ext", "fd"})
_TRANSPORT_NAME = re.compile(r"[a-z][a-z0-9+-]*")

_EVERY_CALL = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "diff.external=",
    "protocol.allow=never",
)
_NO_PROMPTS = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "GIT_PAGER": "cat",
}
# `credential.helper=` empties the list of helpers, so one a repository names is dropped too.
_ISOLATED_SETTINGS = ("credential.helper=",)
_ISOLATED_ENVIRONMENT = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


@dataclass(frozen=True)
class GitRules:
    """How one caller runs git: the settings every call needs, the caller's `transports`
    (the only protocols git may use), and its own `settings` and `environment` on top.
    `isolated` leaves out the system and global configuration and any credential helper."""

    transports: tuple[str, ...]
    isolated: bool = False
    settings: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.transports:
            raise ValueError("git needs at least one allowed transport")
        for name in self.transports:
            # a name is spliced into a setting's key and into a colon-separated list
            if name in COMMAND_TRANSPORTS or not _TRANSPORT_NAME.fullmatch(name):
                raise ValueError(f"git transport {name!r} is never allowed")

    def argv(self, arguments: Sequence[str], *, settings: Sequence[str] = ()) -> list[str]:
        """`git ARGUMENTS` under these rules, with `settings` of this one call (such as the
        `safe.directory` of the repositories it touches) last."""
        every = [
            *_EVERY_CALL,
            *(f"protocol.{name}.allow=always" for name in self.transports),
            *(_ISOLATED_SETTINGS if self.isolated else ()),
            *self.settings,
            *settings,
        ]
        return ["git", *(word for setting in every for word in ("-c", setting)), *arguments]

    def env(self) -> dict[str, str]:
        """The environment git runs with (merged by `run` over the process's own)."""
        return {
            **_NO_PROMPTS,
            **(_ISOLATED_ENVIRONMENT if self.isolated else {}),
            **dict(self.environment),
            # last: nothing, not even the caller's environment, widens the allow list
            "GIT_ALLOW_PROTOCOL": ":".join(self.transports),
        }
