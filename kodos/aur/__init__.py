"""The AUR: where package bases live, what their `.SRCINFO` says, the order they build in, and
the local pacman repository (`[kodos-aur]`) their built packages go to.

Nothing here builds: `kodos.apply.aurbuild` runs makepkg. This room only reads the AUR (its
RPC over http(s), or a `file://` directory of git repositories), keeps bare git mirrors in a
cache directory that is the caller's alone, and keeps the local repository with `repo-add`.
"""
