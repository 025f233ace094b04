"""pacman.conf edited section by section (kodos/pacman/conf.py), and the upgrade plan's
changes (kodos/plan/upgrade.py): pure, no pacman."""

from __future__ import annotations

from kodos.pacman.conf import (
    ADDED_MARK,
    mirrorlist_servers,
    mirrorlist_text,
    repositories,
    repository_attributes,
    with_repository,
    without_repository,
)
from kodos.pacman.localdb import SyncIndex, SyncPackage
from kodos.plan.model import Action, Change
from kodos.plan.upgrade import upgrade_changes, upgrade_notes
from kodos.resources import Resource

ARCH_CONF = """\
#
# /etc/pacman.conf
#
[options]
HoldPkg     = pacman glibc
Architecture = auto
ParallelDownloads = 5
SigLevel    = Required DatabaseOptional

#[core-testing]
#Include = /etc/pacman.d/mirrorlist

[core]
# the machine's own comment
SigLevel = PackageRequired
Server = https://old.example/$repo/os/$arch
Include = /etc/pacman.d/mirrorlist

[multilib]
Include = /etc/pacman.d/mirrorlist
"""
MIRRORLIST = "/etc/pacman.d/mirrorlist"


def test_an_existing_section_keeps_its_other_lines_and_the_file_its_options() -> None:
    edited = with_repository(ARCH_CONF, "core", MIRRORLIST)

    assert edited == ARCH_CONF.replace(
        "[core]\n# the machine's own comment\nSigLevel = PackageRequired\n"
        "Server = https://old.example/$repo/os/$arch\nInclude = /etc/pacman.d/mirrorlist\n",
        "[core]\nInclude = /etc/pacman.d/mirrorlist\n# the machine's own comment\n"
        "SigLevel = PackageRequired\n",
    )
    assert repositories(edited)["core"].include == MIRRORLIST


def test_a_missing_section_is_added_marked_and_only_a_marked_one_is_removed() -> None:
    added = with_repository(ARCH_CONF, "extra", MIRRORLIST)

    assert added == ARCH_CONF + f"\n{ADDED_MARK}\n[extra]\nInclude = {MIRRORLIST}\n"
    found = repositories(added)
    assert list(found) == ["core", "multilib", "extra"]  # commented [core-testing] is none
    assert repository_attributes(found["extra"]) == {"include": MIRRORLIST, "added_by": "kodos"}
    assert repository_attributes(found["core"]) == {
        "servers": ["Server = https://old.example/$repo/os/$arch", f"Include = {MIRRORLIST}"]
    }
    assert without_repository(added, "extra") == ARCH_CONF
    # a section in the middle leaves the next one's blank line before it
    assert without_repository(ARCH_CONF, "core").endswith(
        "#Include = /etc/pacman.d/mirrorlist\n\n[multilib]\nInclude = /etc/pacman.d/mirrorlist\n"
    )
    assert without_repository(ARCH_CONF, "nowhere") == ARCH_CONF


def test_an_empty_file_gets_its_sections() -> None:
    assert repositories("") == {}
    assert (
        with_repository("", "core", MIRRORLIST)
        == f"\n{ADDED_MARK}\n[core]\nInclude = {MIRRORLIST}\n"
    )


def test_a_mirrorlist_lists_its_uncommented_servers() -> None:
    text = mirrorlist_text(["https://a.example/$repo/os/$arch"])
    text += "#Server = https://commented.example/$repo/os/$arch\n"

    assert mirrorlist_servers(text) == ["https://a.example/$repo/os/$arch"]


def _installed(name: str, version: str, reason: str = "explicit") -> Resource:
    return Resource("pacman", "package", name, {"version": version, "reason": reason})


def test_upgrades_are_listed_and_merged_into_the_package_change() -> None:
    index = SyncIndex.build(
        [
            (
                "core",
                {
                    "linux": SyncPackage("core", "linux", "6.12.4-1", download_size=3 << 20),
                    "zsh": SyncPackage("core", "zsh", "5.9-5", download_size=1 << 20),
                    "old": SyncPackage("core", "old", "1:0.9-1"),
                },
            )
        ]
    )
    installed = {
        r.address: r
        for r in (
            _installed("linux", "6.12.1-1"),
            _installed("zsh", "5.9-4"),
            _installed("old", "2.0-1"),  # an epoch wins: 1:0.9 is newer
            _installed("gone", "1.0-1"),
        )
    }
    reason = Change(
        address="pacman.package[zsh]", provider="pacman", kind="package", name="zsh",
        action=Action.UPDATE, before={"version": "5.9-4", "reason": "explicit"},
        after={"version": "5.9-4", "reason": "dependency"}, changed=["reason"],
    )  # fmt: skip

    changes = upgrade_changes([reason], installed, index)

    assert [(c.address, c.changed, (c.after or {})["version"]) for c in changes] == [
        ("pacman.package[linux]", ["version"], "6.12.4-1"),
        ("pacman.package[old]", ["version"], "1:0.9-1"),
        ("pacman.package[zsh]", ["reason", "version"], "5.9-5"),
    ]
    assert upgrade_notes(changes, index, "linux") == [
        "kernel linux: 6.12.1-1 -> 6.12.4-1; the new generation boots it",
        "upgrade: 3 packages to upgrade; download size 4.00 MiB for the packages listed "
        "(less what the package cache holds, plus the dependencies they pull in)",
    ]
