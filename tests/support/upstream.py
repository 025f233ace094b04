"""Upstream KodOS's own example configuration (tests/fixtures/upstream_example, four files
byte for byte) and what planning it needs: sync databases holding every package it names.

* `UPSTREAM_EXAMPLE`: the fixture directory; never write to it.
* `upstream_example_copy(directory)`: a copy to run commands against from elsewhere — for the
  user-plan test (`kodos user plan -c COPY --for UPSTREAM_USER`, added once `kodos user`
  lands), which runs as an unprivileged account that cannot read the repository.
* `upstream_sync_dir(directory)`: core and extra databases (written directly, as
  `fake_sync_repo` does) with the example's packages, its desktops' groups, and the units
  its services enable.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.sync import FakeSyncEntry, fake_sync_repo

UPSTREAM_EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "upstream_example"
UPSTREAM_FILES = ("cli.lua", "configuration.lua", "development.lua", "gnome.lua")
UPSTREAM_USER = "abuss"

_UNITS = {
    "bluez": "usr/lib/systemd/system/bluetooth.service",
    "cups": "usr/lib/systemd/system/cups.service",
    "gdm": "usr/lib/systemd/system/gdm.service",
    "networkmanager": "usr/lib/systemd/system/NetworkManager.service",
    "openssh": "usr/lib/systemd/system/sshd.service",
    "syncthing": "usr/lib/systemd/user/syncthing.service",
    "cosmic-greeter": "usr/lib/systemd/system/cosmic-greeter.service",
}
_CORE = ("linux-lts", "less", "iw", "openssh", "systemd")
_EXTRA = (
    *("bluez", "cups", "dconf", "fish", "fwupd", "gdm", "ghostty", "git", "gutenprint"),
    *("htop", "libgtop", "mc", "memtest86+-efi", "networkmanager", "pipewire"),
    *("pipewire-alsa", "pipewire-pulse", "python-invoke", "starship", "stow", "syncthing"),
    *("ttf-fira-code", "ttf-fira-sans", "ttf-firacode-nerd", "ttf-nerd-fonts-symbols"),
    *("ttf-nerd-fonts-symbols-common", "ttf-sourcecodepro-nerd", "uv", "gnome-tweaks"),
    *("gnome-shell-extension-appindicator", "cosmic-greeter"),
)
# The desktops' groups. cosmic-greeter stands outside the cosmic group here, so that whether
# the plan asks for it says whether cosmic's default display manager was used.
_GROUPS = {
    "gnome": ("gnome-shell", "gnome-tour", "yelp", "nautilus"),
    "cosmic": ("cosmic-session", "cosmic-comp"),
}


def upstream_example_copy(directory: Path) -> Path:
    """`directory` holding the example's four files, unchanged."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in UPSTREAM_FILES:
        shutil.copyfile(UPSTREAM_EXAMPLE / name, directory / name)
    return directory


def upstream_sync_dir(directory: Path) -> Path:
    def entry(name: str, groups: tuple[str, ...] = ()) -> FakeSyncEntry:
        unit = _UNITS.get(name)
        files = (f"usr/share/{name}/README", *((unit,) if unit else ()))
        return FakeSyncEntry(name, "1.0-1", groups=groups, files=files)

    grouped = [entry(member, (group,)) for group, members in _GROUPS.items() for member in members]
    fake_sync_repo(directory, "core", [entry(name) for name in _CORE])
    fake_sync_repo(directory, "extra", [*(entry(name) for name in _EXTRA), *grouped])
    return directory
