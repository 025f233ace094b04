"""A root full of systemd unit files in every enablement state, made with the real systemctl.

`build_unit_root(root)` writes unit files as packages ship them (`usr/lib/systemd/{system,user}`)
and then enables, masks and links them with `systemctl --root` (and `--global` for user
units), the way an administrator or kodos would; states that only vendor or hand-made links
produce are written directly. Tests compare what kodos reads with `systemctl is-enabled`
itself, one unit at a time, so the unit names here only need to cover every rule.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

SYSTEM = "usr/lib/systemd/system"
USER = "usr/lib/systemd/user"


def unit_text(install: Mapping[str, str] | None = None, section: str = "Service") -> str:
    body = "ExecStart=/usr/bin/true\n" if section == "Service" else ""
    text = f"[Unit]\nDescription=test unit\n\n[{section}]\n{body}"
    if install is not None:
        text += "\n[Install]\n" + "".join(f"{k}={v}\n" for k, v in install.items())
    return text


MULTI = {"WantedBy": "multi-user.target"}

SYSTEM_UNITS: dict[str, str] = {
    "sshd.service": unit_text(MULTI),
    "idle.service": unit_text(MULTI),
    "static.service": unit_text(),
    "masked.service": unit_text(MULTI),
    "required.service": unit_text({"RequiredBy": "graphical.target"}),
    "upheld.service": unit_text({"UpheldBy": "multi-user.target"}),
    "NetworkManager.service": unit_text(
        {
            "WantedBy": "multi-user.target",
            "Also": "NetworkManager-dispatcher.service",
            "Alias": "dbus-org.freedesktop.NetworkManager.service",
        }
    ),
    "NetworkManager-dispatcher.service": unit_text(
        {"Alias": "dbus-org.freedesktop.nm-dispatcher.service"}
    ),
    "cups.service": unit_text({"Also": "cups.socket"}),
    "cups.socket": unit_text({"WantedBy": "sockets.target"}, "Socket"),
    "getty@.service": unit_text({"WantedBy": "getty.target", "DefaultInstance": "tty1"}),
    "syncthing@.service": unit_text(MULTI),
    "container@.service": unit_text({"WantedBy": "machines.target"}),
    "vendor-enabled.service": unit_text(MULTI),
    "vendor@.socket": unit_text({"WantedBy": "sockets.target"}, "Socket"),
    "systemd-logind.service": unit_text(),
    "fstrim.timer": unit_text({"WantedBy": "timers.target"}, "Timer"),
    "fstrim.service": unit_text(),
    "gdm.service": unit_text({"Alias": "display-manager.service"}),
    "overridden.service": unit_text(),
    "dropin.service": unit_text(),
    "masked-enabled.service": unit_text(MULTI),
    "empty.service": "",
    "renamed.service": unit_text(MULTI),
    "with-specifier@.service": unit_text({"Alias": "specced@%i.service", "WantedBy": "x.target"}),
    "multi-user.target": unit_text(section="Unit"),
    "machines.target": unit_text(section="Unit"),
}

USER_UNITS: dict[str, str] = {
    "pipewire.service": unit_text({"Also": "pipewire.socket"}),
    "pipewire.socket": unit_text({"WantedBy": "sockets.target"}, "Socket"),
    "wireplumber.service": unit_text(
        {"WantedBy": "pipewire.service", "Alias": "pipewire-session-manager.service"}
    ),
    "syncthing.service": unit_text({"WantedBy": "default.target"}),
    "gpg-agent.socket": unit_text({"WantedBy": "sockets.target"}, "Socket"),
    "dbus.service": unit_text(),
    "obsolete.service": unit_text({"WantedBy": "default.target"}),
}

# systemctl --root=R ARGS..., in order.
SYSTEM_COMMANDS = (
    ("enable", "sshd.service"),
    ("enable", "masked.service"),
    ("mask", "masked.service"),
    ("mask", "nonexistent.service"),
    ("enable", "required.service"),
    ("enable", "NetworkManager.service"),
    ("enable", "cups.socket"),
    ("enable", "getty@.service"),
    ("enable", "getty@tty3.service"),
    ("enable", "syncthing@alice.service"),
    ("enable", "fstrim.timer"),
    ("enable", "gdm.service"),
    ("enable", "masked-enabled.service"),
    ("mask", "masked-enabled.service"),
    ("link", "/opt/units/linked.service"),
    ("link", "/opt/units/linked-enabled.service"),
    ("enable", "linked-enabled.service"),
    ("enable", "renamed.service"),
    ("enable", "with-specifier@one.service"),
)
USER_COMMANDS = (
    ("enable", "pipewire.socket"),
    ("enable", "wireplumber.service"),
    ("enable", "gpg-agent.socket"),
    ("mask", "obsolete.service"),
)

# Names worth asking about that a listing of the unit directories does not show.
EXTRA_SYSTEM_NAMES = (
    "getty@tty2.service",
    "syncthing@bob.service",
    "container@.service",
    "specced@one.service",
    "nonexistent-at-all.service",
    "bad name.service",
)


# Units whose state depends on the systemd version: what systemd 254 and later say.
NEWER_SYSTEMD_STATES = {"upheld.service": "enabled"}


def systemd_version() -> int:
    """The major version of the installed systemctl (`systemd 252 (252.39-1~deb12u2)`)."""
    first = subprocess.run(["systemctl", "--version"], capture_output=True, text=True).stdout
    return int(first.split()[1])


def systemctl(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "err"}
    return subprocess.run(
        ["systemctl", f"--root={root}", "--no-reload", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def is_enabled(root: Path, name: str, *, user: bool = False) -> str | None:
    """What `systemctl is-enabled` prints for one unit; None when it fails (no such unit)."""
    done = systemctl(root, *(["--global"] if user else []), "is-enabled", name)
    state = done.stdout.strip()
    return state if state else None


def build_unit_root(root: Path) -> Path:
    """Write the units above into `root` and set their states with the real systemctl."""
    for directory, units in ((SYSTEM, SYSTEM_UNITS), (USER, USER_UNITS)):
        (root / directory).mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (root / directory / name).write_text(text)
    (root / "opt/units").mkdir(parents=True)
    (root / "opt/units/linked.service").write_text(unit_text(MULTI))
    (root / "opt/units/linked-enabled.service").write_text(unit_text(MULTI))
    for args in SYSTEM_COMMANDS:
        _run(root, *args)
    for args in USER_COMMANDS:
        _run(root, "--global", *args)
    _hand_made(root)
    return root


def _run(root: Path, *args: str) -> None:
    done = systemctl(root, *args)
    if done.returncode != 0:
        raise RuntimeError(f"systemctl --root={root} {' '.join(args)}: {done.stderr}")


def _hand_made(root: Path) -> None:
    """States no systemctl verb makes: vendor links, overrides, drop-ins, stray links."""
    system = root / SYSTEM
    etc = root / "etc/systemd/system"
    # Packages enable some units themselves with links in /usr.
    (system / "multi-user.target.wants").mkdir(exist_ok=True)
    (system / "multi-user.target.wants/vendor-enabled.service").symlink_to(
        "../vendor-enabled.service"
    )
    (system / "sockets.target.wants").mkdir(exist_ok=True)
    (system / "sockets.target.wants/vendor@main.socket").symlink_to("../vendor@.socket")
    (system / "dbus-org.freedesktop.login1.service").symlink_to("systemd-logind.service")
    # Upholds= enablement (systemd 254+; older systemctl knows neither UpheldBy= nor .upholds).
    (etc / "multi-user.target.upholds").mkdir()
    (etc / "multi-user.target.upholds/upheld.service").symlink_to(f"/{SYSTEM}/upheld.service")
    # An administrator's copy in /etc overrides the package's unit (with an [Install] section).
    (etc / "overridden.service").write_text(unit_text(MULTI))
    # A drop-in gives a static unit an [Install] section.
    (system / "dropin.service.d").mkdir()
    (system / "dropin.service.d/install.conf").write_text("[Install]\nWantedBy=multi-user.target\n")
    # An alias left behind by a removed package, and a link under a name no [Install] asks for.
    (etc / "old-display-manager.service").symlink_to("/usr/lib/systemd/system/removed.service")
    (etc / "nickname.service").symlink_to("/usr/lib/systemd/system/fstrim.service")
    # A wants link renamed by hand: the unit is linked, but not under its own name.
    wants = etc / "multi-user.target.wants"
    (wants / "renamed.service").rename(wants / "renamed-by-hand.service")
