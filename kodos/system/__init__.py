"""The machine underneath: running commands, mounts, Btrfs, the lock, safe file access."""
