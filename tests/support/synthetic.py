"""A large machine's root written directly (no tools): for benchmarks of reading actual state.

`synthetic_root(root, packages=2000, units=300, users=50)` writes a pacman local database
(`fake_local_db`), unit files in every enablement state with the links `systemctl enable` and
`mask` would make, accounts in passwd/group/shadow, an ESP with boot entries and a few /etc
files. ~0.2 s for the default size. The shapes match what real tools write (the tests compare
samples with systemctl), only the scale is the point here.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.mirror import fake_local_db

SYSTEM = "usr/lib/systemd/system"
USER = "usr/lib/systemd/user"
ETC_SYSTEM = "etc/systemd/system"


def _unit(install: str) -> str:
    text = "[Unit]\nDescription=synthetic unit\n\n[Service]\nExecStart=/usr/bin/true\n"
    return text + (f"\n[Install]\n{install}\n" if install else "")


def _link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def write_units(root: Path, count: int) -> None:
    """`count` system units cycling through enabled, disabled, static, masked, aliased and
    template-with-instance, plus a tenth as many global user units."""
    (root / SYSTEM).mkdir(parents=True, exist_ok=True)
    (root / USER).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        kind = i % 6
        if kind == 5:
            name = f"tmpl{i}@.service"
            (root / SYSTEM / name).write_text(_unit("WantedBy=multi-user.target"))
            wants = root / ETC_SYSTEM / "multi-user.target.wants" / f"tmpl{i}@a.service"
            _link(wants, f"/{SYSTEM}/{name}")
            continue
        name = f"unit{i}.service"
        install = "" if kind == 2 else "WantedBy=multi-user.target"
        if kind == 4:
            install += f"\nAlias=alias{i}.service"
        (root / SYSTEM / name).write_text(_unit(install))
        if kind in (0, 4):
            _link(root / ETC_SYSTEM / "multi-user.target.wants" / name, f"/{SYSTEM}/{name}")
        if kind == 4:
            _link(root / ETC_SYSTEM / f"alias{i}.service", f"/{SYSTEM}/{name}")
        if kind == 3:
            _link(root / ETC_SYSTEM / name, "/dev/null")
    for i in range(max(1, count // 10)):
        (root / USER / f"user{i}.service").write_text(_unit("WantedBy=default.target"))
        if i % 2 == 0:
            target = f"/{USER}/user{i}.service"
            _link(root / "etc/systemd/user/default.target.wants" / f"user{i}.service", target)


def write_accounts(root: Path, count: int) -> None:
    passwd = ["root:x:0:0:root:/root:/bin/bash"]
    group = ["root:x:0:root", "wheel:x:998:" + ",".join(f"user{i}" for i in range(0, count, 3))]
    shadow = ["root:*:19000::::::"]
    for i in range(count):
        uid = 1000 + i
        passwd.append(f"user{i}:x:{uid}:{uid}:User {i}:/home/user{i}:/bin/bash")
        group.append(f"user{i}:x:{uid}:")
        shadow.append(f"user{i}:$6$salt{i}$" + "x" * 86 + ":19000:0:99999:7:::")
    (root / "etc").mkdir(exist_ok=True)
    for name, lines in (("passwd", passwd), ("group", group), ("shadow", shadow)):
        (root / "etc" / name).write_text("\n".join(lines) + "\n")


def write_esp(root: Path, entries: int = 10) -> None:
    loader = root / "efi/loader"
    (loader / "entries").mkdir(parents=True)
    (root / "efi/EFI/systemd").mkdir(parents=True)
    (loader / "loader.conf").write_text("timeout 3\ndefault kodos-1.conf\neditor no\n")
    for i in range(1, entries + 1):
        (loader / "entries" / f"kodos-{i}.conf").write_text(
            f"title kodos {i}\nlinux /vmlinuz-linux\ninitrd /initramfs-linux.img\n"
            f"options root=LABEL=root rw rootflags=subvol=generations/{i}\n"
        )


def synthetic_root(root: Path, *, packages: int = 2000, units: int = 300, users: int = 50) -> Path:
    fake_local_db(root, packages)
    write_units(root, units)
    write_accounts(root, users)
    write_esp(root)
    (root / "etc/hostname").write_text("bench\n")
    return root


def synthetic_scope_addresses(files: int = 20) -> frozenset[str]:
    """What a plan of a large configuration asks beyond the wholesale readers."""
    addresses = {f"files.file[/etc/kodos-bench/{i}.conf]" for i in range(files)}
    addresses |= {"files.file[/etc/hostname]", "aur.package[fake-tool1]", "aur.package[yay]"}
    return frozenset(addresses)
