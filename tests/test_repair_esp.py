"""`generations repair` reads generation 0's boot entry inside the ESP: an entries directory
or an entry file that leads out of it holds nothing of kodos's (issue 17.3's rule, which the
rest of the ESP code follows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.generations.repair import _kodos_zero_subvolume

ENTRY = "title Arch\nlinux /kodos/0/vmlinuz-linux\noptions root=UUID=x rootflags=subvol=@ rw\n"
FOREIGN = ENTRY.replace("subvol=@", "subvol=@home")


@pytest.fixture
def esp(tmp_path: Path) -> Path:
    (tmp_path / "esp/loader").mkdir(parents=True)
    (tmp_path / "host/entries").mkdir(parents=True)
    (tmp_path / "host/entries/kodos-0.conf").write_text(FOREIGN)
    return tmp_path / "esp"


def test_generation_0_is_read_from_its_entry(esp: Path) -> None:
    (esp / "loader/entries").mkdir()
    (esp / "loader/entries/kodos-0+2-1.conf").write_text(ENTRY)

    assert _kodos_zero_subvolume(esp) == "@"


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_an_entries_directory_leading_out_of_the_esp_holds_nothing(esp: Path, link: str) -> None:
    host = esp.parent / "host/entries"
    target = str(host) if link == "absolute" else "../../host/entries"
    (esp / "loader/entries").symlink_to(target)

    assert _kodos_zero_subvolume(esp) is None


@pytest.mark.parametrize("link", ["absolute", "relative", "device"])
def test_an_entry_file_leading_out_of_the_esp_is_not_read(esp: Path, link: str) -> None:
    (esp / "loader/entries").mkdir()
    host = esp.parent / "host/entries/kodos-0.conf"
    targets = {"absolute": str(host), "relative": "../../../host/entries/kodos-0.conf"}
    (esp / "loader/entries/kodos-0.conf").symlink_to(targets.get(link, "/dev/zero"))

    assert _kodos_zero_subvolume(esp) is None
