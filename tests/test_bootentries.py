"""Boot entries of generations and loader.conf's default, on a plain directory as the ESP.

The real systemd-boot reads them in tests/test_generations.py (bootctl list on a bind-mounted
ESP); here the files themselves: names, contents, order of writes, what is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.generations.bootentries import (
    BootEntryError,
    KernelFiles,
    default_entry,
    default_entry_id,
    default_entry_options,
    entry_ids,
    find_kernel,
    generation_title,
    kernel_dir_ids,
    kernel_name,
    kernel_options,
    pin_default_entry,
    remove_generation_entry,
    write_generation_entry,
)

UUID = "5b1e3c1a-8a7e-4e43-9d6c-7c1f0e2f6a10"


def generation_root(tmp_path: Path, name: str = "gen", *kernels: str) -> Path:
    """A generation's root whose /boot holds each kernel's vmlinuz and initramfs, as Arch's
    mkinitcpio leaves them (a fallback image too)."""
    root = tmp_path / name
    boot = root / "boot"
    boot.mkdir(parents=True)
    for kernel in kernels or ("linux",):
        (boot / f"vmlinuz-{kernel}").write_bytes(f"kernel {kernel}".encode())
        (boot / f"initramfs-{kernel}.img").write_bytes(f"initramfs {kernel}".encode())
        (boot / f"initramfs-{kernel}-fallback.img").write_bytes(b"fallback")
    return root


def write_entry(esp: Path, root: Path, gen_id: int, *extra: str) -> Path:
    return write_generation_entry(
        esp,
        gen_id,
        fs_uuid=UUID,
        subvolume=f"kodos/generations/{gen_id}",
        kernel_files=find_kernel(root),
        title=f"Arch Linux (kodos generation {gen_id})",
        extra_options=extra,
    )


def test_the_arch_kernel_is_found(tmp_path: Path) -> None:
    root = generation_root(tmp_path, "gen", "linux-lts", "linux")

    assert find_kernel(root) == KernelFiles(
        "linux", root / "boot/vmlinuz-linux", root / "boot/initramfs-linux.img"
    )


def test_another_kernel_by_name_and_without_initramfs(tmp_path: Path) -> None:
    root = generation_root(tmp_path, "gen", "linux-zen", "linux-lts")
    (root / "boot/initramfs-linux-lts.img").unlink()

    assert find_kernel(root) == KernelFiles("linux-lts", root / "boot/vmlinuz-linux-lts", None)


def test_no_kernel_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "gen/boot").mkdir(parents=True)

    with pytest.raises(BootEntryError) as caught:
        find_kernel(tmp_path / "gen")

    assert str(caught.value) == (
        f"{tmp_path}/gen/boot: no kernel (vmlinuz-*): this generation cannot boot"
    )


def test_an_entry_and_its_kernels(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    root = generation_root(tmp_path)

    entry = write_entry(esp, root, 3, "quiet", "loglevel=3")

    assert entry == esp / "loader/entries/kodos-3+3.conf"  # three tries to boot
    assert entry.read_text() == (
        "# kodos generation 3: written by kodos, removed by `kodos generations delete`\n"
        "title      Arch Linux (kodos generation 3)\n"
        "version    3\n"
        "sort-key   kodos\n"
        "linux      /kodos/3/vmlinuz-linux\n"
        "initrd     /kodos/3/initramfs-linux.img\n"
        f"options    root=UUID={UUID} rootflags=subvol=kodos/generations/3 rw quiet loglevel=3\n"
    )
    assert sorted(p.name for p in (esp / "kodos/3").iterdir()) == [
        "initramfs-linux.img",
        "vmlinuz-linux",
    ]
    assert (esp / "kodos/3/vmlinuz-linux").read_bytes() == b"kernel linux"
    assert entry_ids(esp) == [3]
    assert kernel_dir_ids(esp) == [3]


def test_an_entry_without_initramfs_has_no_initrd_line(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    root = generation_root(tmp_path)
    (root / "boot/initramfs-linux.img").unlink()

    text = write_entry(esp, root, 1).read_text()

    assert "initrd" not in text
    assert "linux      /kodos/1/vmlinuz-linux\n" in text


def test_rewriting_an_entry_drops_stale_kernels(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    write_entry(esp, generation_root(tmp_path, "old", "linux-lts"), 2)

    write_entry(esp, generation_root(tmp_path, "new", "linux"), 2)

    assert sorted(p.name for p in (esp / "kodos/2").iterdir()) == [
        "initramfs-linux.img",
        "vmlinuz-linux",
    ]
    assert "/kodos/2/vmlinuz-linux\n" in (esp / "loader/entries/kodos-2+3.conf").read_text()


def test_a_missing_kernel_file_is_a_clean_error(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    missing = KernelFiles("linux", tmp_path / "nope/vmlinuz-linux", None)

    with pytest.raises(BootEntryError, match=r"cannot copy .*/nope/vmlinuz-linux to "):
        write_generation_entry(
            esp, 1, fs_uuid=UUID, subvolume="kodos/generations/1", kernel_files=missing, title="t"
        )
    assert entry_ids(esp) == []  # no entry naming a kernel that is not there


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fs_uuid", "a b", "boot entry fs_uuid 'a b': must be one word, not empty"),
        ("subvolume", "", "boot entry subvolume '': must be one word, not empty"),
        ("title", "two\nlines", "boot entry title 'two\\nlines': must be a single line"),
    ],
)
def test_values_that_would_break_the_entry_are_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    fields = {"fs_uuid": UUID, "subvolume": "kodos/generations/1", "title": "t", field: value}

    with pytest.raises(BootEntryError) as caught:
        write_generation_entry(
            tmp_path / "esp",
            1,
            fs_uuid=fields["fs_uuid"],
            subvolume=fields["subvolume"],
            title=fields["title"],
            kernel_files=find_kernel(generation_root(tmp_path)),
        )
    assert str(caught.value) == message


def test_remove_takes_the_entry_boot_counted_names_and_kernels(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    root = generation_root(tmp_path)
    for gen_id in (1, 2, 12):
        write_entry(esp, root, gen_id)
    (esp / "loader/entries/kodos-2+3.conf").rename(esp / "loader/entries/kodos-2+1-2.conf")
    (esp / "loader/entries/arch.conf").write_text("title Arch\n")

    assert entry_ids(esp) == [1, 2, 12]
    remove_generation_entry(esp, 2)
    remove_generation_entry(esp, 2)  # again: nothing left to do is fine

    assert entry_ids(esp) == [1, 12]
    assert kernel_dir_ids(esp) == [1, 12]
    assert sorted(p.name for p in (esp / "loader/entries").iterdir()) == [
        "arch.conf",
        "kodos-1+3.conf",
        "kodos-12+3.conf",
    ]


def test_listing_an_empty_esp(tmp_path: Path) -> None:
    assert entry_ids(tmp_path) == []
    assert kernel_dir_ids(tmp_path) == []
    assert default_entry(tmp_path) is None
    assert default_entry_id(tmp_path) is None


def test_set_default_rewrites_only_the_default_line(tmp_path: Path) -> None:
    conf = tmp_path / "loader/loader.conf"
    conf.parent.mkdir()
    conf.write_text(
        "# written by hand\ntimeout 3\ndefault  arch.conf\nconsole-mode max\n"
        "default @saved\neditor no\n"
    )

    pin_default_entry(tmp_path, 4)

    assert conf.read_text() == (
        "# written by hand\ntimeout 3\ndefault kodos-4[.+]*\nconsole-mode max\neditor no\n"
    )
    assert default_entry_id(tmp_path) == 4
    assert [p.name for p in conf.parent.iterdir()] == ["loader.conf"]  # no temp file left


def test_set_default_appends_and_creates(tmp_path: Path) -> None:
    pin_default_entry(tmp_path / "fresh", 1)
    assert (tmp_path / "fresh/loader/loader.conf").read_text() == "default kodos-1[.+]*\n"

    conf = tmp_path / "loader/loader.conf"
    conf.parent.mkdir()
    conf.write_text("timeout 0")
    pin_default_entry(tmp_path, 2)
    pin_default_entry(tmp_path, 3)
    assert conf.read_text() == "timeout 0\ndefault kodos-3[.+]*\n"


@pytest.mark.parametrize(
    ("text", "value", "gen_id"),
    [
        ("default kodos-7.conf\n", "kodos-7.conf", 7),
        ("default\tkodos-7\n", "kodos-7", 7),
        ("default kodos-1.conf\ndefault kodos-2.conf\n", "kodos-2.conf", 2),  # the last counts
        ("default arch.conf\n", "arch.conf", None),
        ("default kodos-*\n", "kodos-*", None),  # no entry for it to choose
        ("default kodos-12[.+]*\n", "kodos-12[.+]*", 12),  # kodos's pin
        ("default kodos-1?\n", "kodos-1?", None),
        ("# default kodos-1.conf\ntimeout 3\n", None, None),
        ("default\n", None, None),  # a key without a value is ignored, as systemd-boot does
    ],
)
def test_reading_the_default(
    tmp_path: Path, text: str, value: str | None, gen_id: int | None
) -> None:
    (tmp_path / "loader").mkdir()
    (tmp_path / "loader/loader.conf").write_text(text)

    assert default_entry(tmp_path) == value
    assert default_entry_id(tmp_path) == gen_id


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ([], f"root=UUID={UUID} rootflags=subvol=kodos/generations/2 rw"),
        (
            ["root=UUID=other", "rootflags=subvol=@,compress=zstd:3,noatime", "ro", "quiet"],
            f"root=UUID={UUID} rootflags=subvol=kodos/generations/2,compress=zstd:3,noatime rw "
            "quiet",
        ),
        (
            ["rootflags=subvolid=256", "rd.luks.name=abc=root"],
            f"root=UUID={UUID} rootflags=subvol=kodos/generations/2 rw rd.luks.name=abc=root",
        ),
    ],
)
def test_kernel_options_keep_the_root_kodos_s(extra: list[str], options: str) -> None:
    assert " ".join(kernel_options(UUID, "kodos/generations/2", extra)) == options


def test_a_new_entry_inherits_the_default_entry_s_options(tmp_path: Path) -> None:
    esp = tmp_path / "esp"
    (esp / "loader/entries").mkdir(parents=True)
    (esp / "loader/entries/arch+2-1.conf").write_text(
        "title Arch Linux\nlinux /vmlinuz-linux\n"
        "options root=PARTUUID=1234 rw rootflags=subvol=@\n"
        "options rd.luks.name=abc=root  resume=UUID=5678\n"
    )
    assert default_entry_options(esp) == []  # no loader.conf, no default
    (esp / "loader/loader.conf").write_text("default arch.conf\n")

    inherited = default_entry_options(esp)
    entry = write_entry(esp, generation_root(tmp_path), 1, *inherited)

    assert inherited == [
        "root=PARTUUID=1234",
        "rw",
        "rootflags=subvol=@",
        "rd.luks.name=abc=root",
        "resume=UUID=5678",
    ]
    assert entry.read_text().endswith(
        f"options    root=UUID={UUID} rootflags=subvol=kodos/generations/1 rw "
        "rd.luks.name=abc=root resume=UUID=5678\n"
    )
    (esp / "loader/loader.conf").write_text("default nope.conf\n")
    assert default_entry_options(esp) == []


def test_the_title_names_the_generation_s_system(tmp_path: Path) -> None:
    root = generation_root(tmp_path)
    assert generation_title(root, 4) == "Arch Linux (kodos generation 4)"

    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/lib/os-release").write_text('NAME="Arch"\nPRETTY_NAME="Arch Linux (testing)"\n')
    (root / "etc").mkdir()
    (root / "etc/os-release").symlink_to("/usr/lib/os-release")  # absolute: inside the root

    assert generation_title(root, 4) == "Arch Linux (testing) (kodos generation 4)"
    assert kernel_name(find_kernel(root)) == "linux"


def test_a_generation_takes_its_own_kernel_options_else_the_default_entrys(tmp_path: Path) -> None:
    from kodos.generations.bootentries import generation_options

    esp = tmp_path / "esp"
    (esp / "loader/entries").mkdir(parents=True)
    (esp / "loader/loader.conf").write_text("default arch.conf\n")
    (esp / "loader/entries/arch.conf").write_text(
        "title Arch\nlinux /vmlinuz-linux\noptions root=UUID=x rw rd.luks.name=abc=root\n"
    )
    generation = tmp_path / "generation"
    (generation / "etc/kernel").mkdir(parents=True)
    assert generation_options(generation, esp) == ["root=UUID=x", "rw", "rd.luks.name=abc=root"]
    (generation / "etc/kernel/cmdline").write_text("quiet console=ttyS0\n")
    assert generation_options(generation, esp) == ["quiet", "console=ttyS0"]
