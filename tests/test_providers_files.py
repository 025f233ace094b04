"""providers.files: only paths in scope, symlinks as symlinks, never a step out of the root."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.providers import Scope, files
from kodos.resources import Resource


def scope(*addresses: str) -> Scope:
    return Scope(frozenset(addresses))


def read_one(root: Path, address: str) -> tuple[list[Resource], list[str]]:
    reading = files.read(root, scope(address))
    return reading.resources, reading.notes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc/ssh").mkdir(parents=True)
    (tmp_path / "etc/hostname").write_text("testvm\n")
    (tmp_path / "etc/ssh/sshd_config").write_text("PermitRootLogin no\n")
    (tmp_path / "etc/ssh/sshd_config").chmod(0o600)
    (tmp_path / "usr/share/zoneinfo").mkdir(parents=True)
    (tmp_path / "usr/share/zoneinfo/UTC").write_bytes(b"TZif2\x00\x00\xff")
    (tmp_path / "etc/localtime").symlink_to("/usr/share/zoneinfo/UTC")
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "usr/bin/tool").write_text("#!/bin/sh\n")
    (tmp_path / "usr/bin/tool").chmod(0o4755)
    (tmp_path / "bin").symlink_to("usr/bin")
    return tmp_path


def test_a_regular_file_is_read_with_its_content_and_mode(root: Path) -> None:
    resources, notes = read_one(root, "files.file[/etc/hostname]")

    assert resources == [
        Resource("files", "file", "/etc/hostname", {"content": "testvm\n", "mode": "0644"})
    ]
    assert notes == []
    assert read_one(root, "files.file[/etc/ssh/sshd_config]")[0][0].attributes["mode"] == "0600"


def test_special_bits_are_part_of_the_mode_and_directories_resolve_in_the_root(root: Path) -> None:
    (resource,), _ = read_one(root, "files.file[/bin/tool]")  # /bin -> usr/bin
    assert resource.attributes == {"content": "#!/bin/sh\n", "mode": "4755"}


def test_a_symlink_is_read_as_a_symlink_whatever_the_scope_asked(root: Path) -> None:
    for asked in ("files.file[/etc/localtime]", "files.symlink[/etc/localtime]"):
        resources, _ = read_one(root, asked)
        assert resources == [
            Resource("files", "symlink", "/etc/localtime", {"target": "/usr/share/zoneinfo/UTC"})
        ]


def test_binary_content_is_none_with_a_note(root: Path) -> None:
    (resource,), notes = read_one(root, "files.file[/usr/share/zoneinfo/UTC]")

    assert resource.attributes == {"content": None, "mode": "0644"}
    assert notes == ["/usr/share/zoneinfo/UTC: not UTF-8 text (8 bytes); content not compared"]


def test_missing_paths_and_paths_out_of_scope_are_absent(root: Path) -> None:
    assert read_one(root, "files.file[/etc/nope]") == ([], [])
    assert read_one(root, "files.file[/etc/hostname/below-a-file]") == ([], [])
    assert files.read(root, scope("pacman.package[htop]")).resources == []


def test_a_directory_is_not_a_file(root: Path) -> None:
    assert read_one(root, "files.file[/etc/ssh]") == (
        [],
        ["/etc/ssh: a directory, not a file kodos can manage"],
    )


def test_symlinked_directories_never_lead_out_of_the_root(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret").write_text("host secret\n")
    (root / "escape-abs").symlink_to(outside)  # absolute: means ROOT/<that path>, not the host
    (root / "escape-rel").symlink_to("../../../../../../../../..")  # `..` stops at the root
    (root / "etc/escape-chain").symlink_to("/escape-rel/etc")

    assert read_one(root, "files.file[/escape-abs/secret]") == ([], [])
    (resource,), _ = read_one(root, "files.file[/escape-rel/etc/hostname]")
    assert resource.attributes["content"] == "testvm\n"  # ROOT/etc/hostname, not the host's
    (resource,), _ = read_one(root, "files.file[/etc/escape-chain/hostname]")
    assert resource.attributes["content"] == "testvm\n"


def test_a_symlink_loop_is_an_error_naming_the_link(root: Path) -> None:
    (root / "loop").symlink_to("loop")
    with pytest.raises(KodosError, match="too many levels of symbolic links"):
        read_one(root, "files.file[/loop/x]")


@pytest.mark.parametrize("path", ["/etc/../etc/passwd", "etc/hostname", "/etc/ssh/", "/", "/a/.."])
def test_unsafe_or_relative_paths_are_refused(root: Path, path: str) -> None:
    with pytest.raises(KodosError, match=f"^{re.escape(path)}: "):
        read_one(root, f"files.file[{path}]")


def test_a_named_pipe_is_not_opened(root: Path) -> None:
    fifo = root / "etc/fifo"
    os.mkfifo(fifo)
    assert read_one(root, "files.file[/etc/fifo]") == (
        [],
        ["/etc/fifo: a named pipe, not a file kodos can manage"],
    )
