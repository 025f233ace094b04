"""repos → the repositories pacman uses: the Arch mirror list and pacman.conf's sections.

An `arch` repository (`repos.arch_repo(mirror)`) asks for, on every apply:
* `pacman.mirrorlist[/etc/pacman.d/mirrorlist]` — its servers: the mirror, in Arch's
  convention `MIRROR/$repo/os/$arch`;
* `pacman.repository[core]` and `pacman.repository[extra]` — sections of pacman.conf taking
  their servers from that list (`Include = /etc/pacman.d/mirrorlist`).
The rest of pacman.conf stays as the machine has it (`kodos.pacman.conf`). Without an `arch`
repository nothing is asked: the machine's repositories are left alone.

A `flatpak` repository (`repos.flatpak_repo(remote, url, opts)`) asks for
`flatpak.remote[REMOTE]` in the system installation: `url`, the configured one or the one kodos
knows (flathub's .flatpakrepo), and `gpg_verify`.
"""

from __future__ import annotations

from kodos.config.model import ArchRepo, FlatpakRepo, Repo
from kodos.desired.collect import Collector
from kodos.pacman.conf import ARCH_REPOS, MIRRORLIST, server_line


def expand_repos(collector: Collector, repos: dict[str, Repo]) -> None:
    for key, repo in sorted(repos.items()):
        if isinstance(repo, ArchRepo):
            path = ("repos", key, "mirror")
            servers = [server_line(str(repo.mirror))]
            collector.resource(("pacman", "mirrorlist", MIRRORLIST), {"servers": servers}, path)
            for name in ARCH_REPOS:
                collector.resource(("pacman", "repository", name), {"include": MIRRORLIST}, path)
        elif isinstance(repo, FlatpakRepo):
            attributes = {"url": repo.source_url, "gpg_verify": repo.gpg_verify}
            path = ("repos", key, "remote")
            collector.resource(("flatpak", "remote", repo.remote), attributes, path)
