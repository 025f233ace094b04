"""providers.bootloader against the real bootctl: systemd-boot installed with `bootctl install`
onto an ESP inside the root, entries read as `bootctl list --json=short` reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.providers import Scope, bootloader
from tests.support.boot import BOOT_TOOLS, install_systemd_boot, listed_entries
from tests.support.privilege import require_root_for
from tests.support.tools import require_tools

NO_SCOPE = Scope()
ENTRIES = {
    "kodos-1.conf": "title kodos generation 1\nlinux /vmlinuz-linux\ninitrd /initramfs-linux.img\n"
    "options root=LABEL=root rw rootflags=subvol=generations/1\n",
    "kodos-2+3-1.conf": "# boot counting: 3 tries left, 1 done\ntitle   kodos generation 2\n"
    "version 6.12.1\nlinux /vmlinuz-linux\ninitrd /intel-ucode.img\ninitrd /initramfs-linux.img\n"
    "options root=LABEL=root rw\noptions\trootflags=subvol=generations/2  quiet\n",
    "memtest.conf": "title Memtest86+\nefi /memtest86+/memtest.efi\n",
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tools(*BOOT_TOOLS)
    require_root_for("bootctl needs the ESP bind-mounted onto itself")
    root = tmp_path_factory.mktemp("boot-root")
    esp = root / "efi"
    install_systemd_boot(esp)
    (esp / "loader/loader.conf").write_text(
        "#timeout 3\ntimeout 5\ndefault kodos-2.conf\neditor no\nconsole-mode keep\n"
    )
    for name, text in ENTRIES.items():
        (esp / "loader/entries" / name).write_text(text)
    return root


def read_boot(root: Path) -> dict[str, dict[str, object]]:
    return {r.address: dict(r.attributes) for r in bootloader.read(root, NO_SCOPE).resources}


@pytest.mark.system
def test_entries_read_as_bootctl_lists_them(installed: Path) -> None:
    found = read_boot(installed)
    listed = listed_entries(installed / "efi")

    assert len(listed) == len(ENTRIES)
    for entry in listed:
        mine = found[f"bootloader.entry[{entry['id'].removesuffix('.conf')}]"]
        for key in ("title", "version", "linux", "initrd", "options", "efi"):
            assert mine.get(key) == entry.get(key), key


@pytest.mark.system
def test_loader_settings_and_entry_attributes(installed: Path) -> None:
    found = read_boot(installed)

    assert found["bootloader.loader[systemd-boot]"] == {
        "timeout": 5,
        "default": "kodos-2.conf",
        "editor": "no",
        "console-mode": "keep",
    }
    assert found["bootloader.entry[kodos-2]"] == {
        "title": "kodos generation 2",
        "version": "6.12.1",
        "linux": "/vmlinuz-linux",
        "initrd": ["/intel-ucode.img", "/initramfs-linux.img"],
        "options": "root=LABEL=root rw rootflags=subvol=generations/2  quiet",
    }
    assert found["bootloader.entry[memtest]"] == {
        "title": "Memtest86+",
        "efi": "/memtest86+/memtest.efi",
    }


def test_systemd_boot_without_loader_conf_has_no_settings(tmp_path: Path) -> None:
    (tmp_path / "boot/EFI/systemd").mkdir(parents=True)
    assert read_boot(tmp_path) == {"bootloader.loader[systemd-boot]": {}}


@pytest.mark.parametrize("esp", ["efi", "boot/efi", "boot"])
def test_the_esp_is_found_where_arch_mounts_it(tmp_path: Path, esp: str) -> None:
    (tmp_path / "boot").mkdir()  # an XBOOTLDR-less /boot next to the ESP is not the ESP
    (tmp_path / esp / "loader/entries").mkdir(parents=True)
    (tmp_path / esp / "loader/loader.conf").write_text("timeout 0\n")
    (tmp_path / esp / "loader/entries/a.conf").write_text("title A\n")

    assert read_boot(tmp_path) == {
        "bootloader.loader[systemd-boot]": {"timeout": 0},
        "bootloader.entry[a]": {"title": "A"},
    }


def test_a_root_without_an_esp_has_no_boot_loader(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/vmlinuz-linux").write_bytes(b"kernel")
    assert bootloader.read(tmp_path, NO_SCOPE).resources == []
