"""The steps of `kodos apply` and `kodos install`: their ids and their words, in one table.

A step's id is what an `OnStep` listener hears, what `install failed at step 'ID'` names, and
what the tests' fault injection aims at (tests/support/faulty_kodos.py), so an id never
changes meaning. Its label is the line the progress view prints once the step is done
(`kodos.commands.progress`); a step without a label is not shown.

The ids come in three groups, heard in this order:
* the apply transaction's (kodos.apply.transaction), each heard at `checkpoint` once done;
* the install's (kodos.install.build), heard the same way; the commit (verify … btrfs-default)
  is the same work in both, so the same ids, each command saying it in its own words;
* the applier's (kodos.apply.execute), heard as each starts, inside apply's `execute` step:
  not shown, the progress view reports `execute` as a whole.

This module is a leaf: it imports nothing from kodos, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Literal, NamedTuple


class StepId(StrEnum):
    # the apply transaction, up to the commit
    LOCK = "lock"
    CLEANUP = "cleanup"
    PLAN = "plan"
    SNAPSHOT = "snapshot"
    EXECUTE = "execute"
    SYNC = "sync"
    # the install, up to the commit
    CHECK = "check"
    PARTITION = "partition"
    FORMAT = "format"
    SUBVOLUMES = "subvolumes"
    BASE = "base"
    KERNEL = "kernel"
    FSTAB = "fstab"
    BOOTLOADER = "bootloader"
    CONFIGURE = "configure"
    # the commit, in both
    VERIFY = "verify"
    RECORD = "record"
    ENTRY = "entry"
    INDEX = "index"
    LOADER_DEFAULT = "loader-default"
    BTRFS_DEFAULT = "btrfs-default"
    # the install, after the commit
    ESP = "esp"
    # the applier's steps, in the order they run (kodos.apply.execute.CHANGE_STEPS)
    CONFIGURE_REPOSITORIES = "configure-repositories"
    INSTALL_PACKAGES = "install-packages"
    CONFIGURE_FLATPAK_REMOTES = "configure-flatpak-remotes"
    INSTALL_FLATPAKS = "install-flatpaks"
    UPDATE_USERS = "update-users"
    WRITE_FILES = "write-files"
    ENABLE_UNITS = "enable-units"
    DISABLE_UNITS = "disable-units"
    DELETE_FILES = "delete-files"
    DELETE_USERS = "delete-users"
    UNINSTALL_FLATPAKS = "uninstall-flatpaks"
    REMOVE_FLATPAK_REMOTES = "remove-flatpak-remotes"
    REMOVE_PACKAGES = "remove-packages"
    FOLLOW_UPS = "follow-ups"
    UPDATE_BOOTLOADER = "update-bootloader"


OnStep = Callable[[StepId], None]
"""A listener: hears each step's id (the progress view, a test collecting them)."""

Command = Literal["apply", "install"]


class Labels(NamedTuple):
    """What each command's progress view prints once the step is done; None: not shown."""

    apply: str | None
    install: str | None


_NOT_SHOWN = Labels(None, None)

LABELS: Mapping[StepId, Labels] = {
    StepId.LOCK: Labels("took the machine's lock", None),
    StepId.CLEANUP: Labels("cleaned up after interrupted runs", None),
    StepId.PLAN: Labels("planned against the default generation", None),
    StepId.SNAPSHOT: Labels("snapshotted the default generation", None),
    StepId.EXECUTE: Labels("applied the changes inside the snapshot", None),
    StepId.SYNC: Labels("wrote the new generation to disk", None),
    StepId.CHECK: _NOT_SHOWN,  # where the install is before its first step
    StepId.PARTITION: Labels(None, "partitioned the disk (GPT)"),
    StepId.FORMAT: Labels(None, "made the filesystems (vfat ESP, swap, Btrfs)"),
    StepId.SUBVOLUMES: Labels(None, "created @home and kodos/generations/1"),
    StepId.BASE: Labels(None, "installed base"),
    StepId.KERNEL: Labels(None, "installed the kernel, btrfs-progs and firmware"),
    StepId.FSTAB: Labels(None, "wrote fstab"),
    StepId.BOOTLOADER: Labels(None, "installed systemd-boot"),
    StepId.CONFIGURE: Labels(None, "applied the configuration"),
    StepId.VERIFY: Labels(
        "verified: the new generation matches the configuration",
        "verified: generation 1 matches the configuration",
    ),
    StepId.RECORD: Labels("wrote the generation record", "wrote the generation record"),
    StepId.ENTRY: Labels("wrote the boot entry", "wrote the boot entry"),
    StepId.INDEX: Labels("added the generation to the index", "wrote the index"),
    StepId.LOADER_DEFAULT: Labels(
        "made it systemd-boot's default", "made generation 1 systemd-boot's default"
    ),
    StepId.BTRFS_DEFAULT: Labels(
        "made it the Btrfs default subvolume", "made it the Btrfs default subvolume"
    ),
    StepId.ESP: Labels(None, "wrote the ESP"),
    StepId.CONFIGURE_REPOSITORIES: _NOT_SHOWN,
    StepId.INSTALL_PACKAGES: _NOT_SHOWN,
    StepId.CONFIGURE_FLATPAK_REMOTES: _NOT_SHOWN,
    StepId.INSTALL_FLATPAKS: _NOT_SHOWN,
    StepId.UPDATE_USERS: _NOT_SHOWN,
    StepId.WRITE_FILES: _NOT_SHOWN,
    StepId.ENABLE_UNITS: _NOT_SHOWN,
    StepId.DISABLE_UNITS: _NOT_SHOWN,
    StepId.DELETE_FILES: _NOT_SHOWN,
    StepId.DELETE_USERS: _NOT_SHOWN,
    StepId.UNINSTALL_FLATPAKS: _NOT_SHOWN,
    StepId.REMOVE_FLATPAK_REMOTES: _NOT_SHOWN,
    StepId.REMOVE_PACKAGES: _NOT_SHOWN,
    StepId.FOLLOW_UPS: _NOT_SHOWN,
    StepId.UPDATE_BOOTLOADER: _NOT_SHOWN,
}


def label(step: StepId, command: Command) -> str | None:
    """What `command`'s progress view prints once `step` is done; None: nothing."""
    labels = LABELS[step]
    return labels.apply if command == "apply" else labels.install


def shown_steps(command: Command) -> tuple[StepId, ...]:
    """The steps `command`'s progress view shows, in the order they happen."""
    return tuple(step for step in StepId if label(step, command) is not None)
