"""Do the groups users join exist? Checked by the planner, which knows the machine.

A user's `extra_groups` entry must name a group that exists on the machine, or that the
installation is sure to create: Arch's base groups (below), or a group the descriptor of an
enabled item says its package creates (`groups = { "docker" }`). Groups made by other packages
only appear once those are installed, so such a name is reported with a hint.
"""

from __future__ import annotations

from collections.abc import Iterable

from kodos.desired.collect import DesiredState
from kodos.errors import Problem

# Every Arch installation of `base` has these groups. From the filesystem package: its static
# /etc/group (root sys mem ftp mail log smmsp proc games lock network floppy scanner power
# nobody) and its sysusers.d file (bin daemon http, and the device groups adm wheel utmp audio
# disk input kmem kvm lp optical render sgx storage tty uucp video users). systemd (also
# in base) adds systemd-journal and rfkill; dbus and util-linux (uuidd) are base too. Checked
# against the /etc/group of a current Arch machine. The systemd-* service groups other than
# systemd-journal are left out: nobody should need to join them.
BASE_GROUPS = frozenset(
    {
        "adm",
        "audio",
        "bin",
        "daemon",
        "dbus",
        "disk",
        "floppy",
        "ftp",
        "games",
        "http",
        "input",
        "kmem",
        "kvm",
        "lock",
        "log",
        "lp",
        "mail",
        "mem",
        "network",
        "nobody",
        "optical",
        "power",
        "proc",
        "render",
        "rfkill",
        "root",
        "scanner",
        "sgx",
        "smmsp",
        "storage",
        "sys",
        "systemd-journal",
        "tty",
        "users",
        "utmp",
        "uucp",
        "uuidd",
        "video",
        "wheel",
    }
)


def missing_groups(desired: DesiredState, machine_groups: Iterable[str]) -> list[Problem]:
    """A problem for every required group that neither the machine, Arch's base nor an
    enabled item provides."""
    known = BASE_GROUPS | desired.provided_groups | frozenset(machine_groups)
    return [
        Problem(
            location,
            f'no group "{group}" on the machine, and nothing in the configuration creates it',
            "install (or enable) what creates it, or remove it from extra_groups",
        )
        for group, location in desired.required_groups
        if group not in known
    ]
