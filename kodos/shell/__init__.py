"""`kodos shell`: a throwaway environment with extra packages over a system, leaving it untouched.

`request` reads the `-p` words, `cache` keeps built environments (one per package set and
sync-database state, each under its own lock), `namespace` holds the system calls (user and
mount namespaces, mounts), `tree` lays the environment's root out of overlays and binds,
`build` installs the packages with pacman into a new environment, and `session` ties them
together: build when cold, then mount and run the shell or command. docs/shell.md tells the
user's side.
"""
