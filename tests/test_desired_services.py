"""services and hardware expansion, settings renderers, mount units, expansion descriptors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kodos.desired.descriptors as descriptors_module
from kodos.desired.mounts import escape_path, normalized_where
from kodos.desired.services import unit_name
from tests.lua_helpers import evaluate
from tests.test_desired import (
    ENABLED,
    HEADER,
    build,
    content,
    problems,
    requests,
    resources,
    sources,
)


def services(config: dict[str, Any], tmp_path: Path) -> Any:
    return build({"services": config}, tmp_path)


def write(directory: Path, relative: str, text: str) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---- services ----------------------------------------------------------------------------


def test_a_service_without_descriptor_is_its_own_package_and_unit(tmp_path: Path) -> None:
    desired = services({"avahi-daemon": {"enable": True, "package": "avahi"}}, tmp_path)
    assert resources(desired) == {"services.unit[avahi-daemon.service]": ENABLED}
    assert requests(desired) == [("pacman", "avahi", 'services["avahi-daemon"].package')]


def test_service_name_always_wins_and_keeps_its_unit_type(tmp_path: Path) -> None:
    desired = services(
        {
            "openssh": {"enable": True, "service_name": "sshd.socket"},
            "fwupd": {"enable": True, "service_name": "fwupd-refresh.timer"},
            "cups": {"enable": True, "service_name": "cups"},
        },
        tmp_path,
    )
    assert sorted(desired.resources) == [
        "services.unit[cups.service]",
        "services.unit[fwupd-refresh.timer]",
        "services.unit[sshd.socket]",
    ]
    assert sources(desired)["services.unit[sshd.socket]"] == "services.openssh.service_name"


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("sshd", "sshd.service"),
        ("sshd.service", "sshd.service"),
        ("cups.socket", "cups.socket"),
        ("getty@tty1", "getty@tty1.service"),
        ("org.cups.cupsd", "org.cups.cupsd.service"),
        ("mnt-data.automount", "mnt-data.automount"),
    ],
)
def test_unit_names(name: str, unit: str) -> None:
    assert unit_name(name) == unit


def test_disabled_services_expand_to_nothing(tmp_path: Path) -> None:
    desired = services({"cups": {"enable": False, "settings": {"x": 1}}}, tmp_path)
    assert (len(desired.resources), desired.packages, desired.problems) == (0, [], [])


def test_nested_services_of_an_enabled_group(tmp_path: Path) -> None:
    desired = services(
        {
            "virtualisation": {
                "enable": True,
                "extra_packages": ["qemu-desktop"],
                "services": {
                    "libvirtd": {"enable": True, "package": "libvirt"},
                    "docker": {"enable": False},
                    "podman": {"enable": True, "service_name": "podman.socket"},
                },
            },
            "off": {"enable": False, "services": {"cups": {"enable": True}}},
        },
        tmp_path,
    )
    assert resources(desired) == {
        "services.unit[libvirtd.service]": ENABLED,
        "services.unit[podman.socket]": ENABLED,
    }
    assert requests(desired) == [
        ("pacman", "qemu-desktop", "services.virtualisation.extra_packages[1]"),
        ("pacman", "libvirt", "services.virtualisation.services.libvirtd.package"),
        ("pacman", "podman", "services.virtualisation.services.podman"),
    ]
    assert sources(desired)["services.unit[podman.socket]"] == (
        "services.virtualisation.services.podman.service_name"
    )


def test_a_group_with_its_own_package_is_also_a_service(tmp_path: Path) -> None:
    desired = services(
        {"samba": {"enable": True, "services": {"nmb": {"enable": True, "package": "samba"}}}},
        tmp_path,
    )
    # Without package, service_name or descriptor, "samba" is only a group…
    assert sorted(desired.resources) == ["services.unit[nmb.service]"]
    desired = services(
        {
            "samba": {
                "enable": True,
                "service_name": "smb",
                "services": {"nmb": {"enable": True, "package": "samba"}},
            }
        },
        tmp_path,
    )
    # …with a service_name it is a service too.
    assert sorted(desired.resources) == ["services.unit[nmb.service]", "services.unit[smb.service]"]
    assert requests(desired) == [
        ("pacman", "samba", "services.samba"),
        ("pacman", "samba", "services.samba.services.nmb.package"),
    ]


def test_descriptor_groups_are_provided(tmp_path: Path) -> None:
    desired = services({"docker": {"enable": True}}, tmp_path)
    assert desired.provided_groups == frozenset({"docker"})
    assert resources(desired) == {"services.unit[docker.service]": ENABLED}
    assert services({"docker": {"enable": False}}, tmp_path).provided_groups == frozenset()


# ---- settings ----------------------------------------------------------------------------


def test_sshd_settings(tmp_path: Path) -> None:
    desired = services(
        {
            "openssh": {
                "enable": True,
                "settings": {
                    "PermitRootLogin": False,
                    "X11Forwarding": True,
                    "Port": 2222,
                    "AllowUsers": "alice bob",
                    "LoginGraceTime": 1.5,
                },
            }
        },
        tmp_path,
    )
    assert content(desired, "/etc/ssh/sshd_config.d/10-kodos.conf") == (
        HEADER
        + "AllowUsers alice bob\nLoginGraceTime 1.5\nPermitRootLogin no\nPort 2222\n"
        + "X11Forwarding yes\n"
    )
    assert requests(desired) == [("pacman", "openssh", "services.openssh")]


def test_settings_without_a_descriptor_are_a_located_problem(tmp_path: Path) -> None:
    desired = services({"foo": {"enable": True, "settings": {"a": 1}}}, tmp_path)
    assert problems(desired) == [
        "services.foo.settings: kodos does not know where foo's settings go; add "
        "expansions/services/foo.lua with a settings path"
    ]
    # A descriptor without `settings` does not say where they go either.
    desired = services({"cups": {"enable": True, "settings": {"a": 1}}}, tmp_path)
    assert problems(desired) == [
        "services.cups.settings: kodos does not know where cups's settings go; add "
        "expansions/services/cups.lua with a settings path"
    ]


def test_keyvalue_and_ini_settings_from_config_dir_descriptors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "expansions/services/resolved.lua",
        'return { package = "systemd", unit = "systemd-resolved.service", settings = {'
        ' path = "/etc/systemd/resolved.conf.d/kodos.conf", format = "ini", section = "Resolve" } }',
    )
    write(
        tmp_path,
        "expansions/services/thing.lua",
        'return { settings = { path = "/etc/thing.conf", format = "keyvalue" } }',
    )
    desired = services(
        {
            "resolved": {"enable": True, "settings": {"DNSSEC": False, "DNS": "9.9.9.9"}},
            "thing": {"enable": True, "settings": {"b": 2, "a": True, "c": "x y"}},
        },
        tmp_path,
    )
    assert problems(desired) == []
    assert content(desired, "/etc/systemd/resolved.conf.d/kodos.conf") == (
        HEADER + "[Resolve]\nDNS=9.9.9.9\nDNSSEC=false\n"
    )
    assert content(desired, "/etc/thing.conf") == HEADER + "a=true\nb=2\nc=x y\n"
    # A descriptor without a unit enables nothing.
    assert "services.unit[thing.service]" not in desired.resources
    assert "services.unit[systemd-resolved.service]" in desired.resources


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # what every file forbids (line breaks, bad keys) the model refuses: test_validate_checks
        (
            {"Match": "User alice", "PasswordAuthentication": True},
            "services.openssh.settings.Match: a Match block cannot be written as a setting; put "
            "it in a file of its own",
        ),
        (
            {"match": "User alice"},
            "services.openssh.settings.match: a Match block cannot be written as a setting; put "
            "it in a file of its own",
        ),
    ],
)
def test_settings_that_would_break_their_file(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    desired = services({"openssh": {"enable": True, "settings": settings}}, tmp_path)
    assert problems(desired) == [message]
    assert "files.file[/etc/ssh/sshd_config.d/10-kodos.conf]" not in desired.resources


# ---- hardware ----------------------------------------------------------------------------


def test_hardware_items(tmp_path: Path) -> None:
    desired = build(
        {
            "hardware": {
                "bluetooth": {"enable": True},
                "pipewire": {"enable": True, "extra_packages": ["pipewire-pulse"]},
                "intel-ucode": {"enable": True},
                "thermald": {"enable": True, "service_name": "thermald"},
                "sane": {"enable": False},
            }
        },
        tmp_path,
    )
    assert resources(desired) == {
        "services.unit[bluetooth.service]": ENABLED,
        "services.unit[thermald.service]": ENABLED,
    }
    assert requests(desired) == [
        ("pacman", "bluez", "hardware.bluetooth"),
        ("pacman", "bluez-utils", "hardware.bluetooth"),
        ("pacman", "intel-ucode", 'hardware["intel-ucode"]'),
        ("pacman", "pipewire", "hardware.pipewire"),
        ("pacman", "pipewire-pulse", "hardware.pipewire.extra_packages[1]"),
        ("pacman", "thermald", "hardware.thermald"),
    ]


def test_hardware_settings_need_a_descriptor(tmp_path: Path) -> None:
    desired = build({"hardware": {"sane": {"enable": True, "settings": {"x": 1}}}}, tmp_path)
    assert problems(desired) == [
        "hardware.sane.settings: kodos does not know where sane's settings go; add "
        "expansions/hardware/sane.lua with a settings path"
    ]


# ---- user services -----------------------------------------------------------------------


def test_user_services_bring_packages_but_no_units(tmp_path: Path) -> None:
    desired = build(
        {
            "users": {
                "amy": {
                    "services": {
                        "syncthing": {"enable": True},
                        "openssh": {"enable": True},
                        "off": {"enable": False},
                        "media": {
                            "enable": True,
                            "extra_packages": ["mpd"],
                            "services": {"mpris": {"enable": True, "package": "mpdris2"}},
                        },
                    }
                }
            }
        },
        tmp_path,
    )
    assert list(desired.resources) == ["users.user[amy]"]
    assert requests(desired) == [
        ("pacman", "mpd", "users.amy.services.media.extra_packages[1]"),
        ("pacman", "mpdris2", "users.amy.services.media.services.mpris.package"),
        ("pacman", "openssh", "users.amy.services.openssh"),
        ("pacman", "syncthing", "users.amy.services.syncthing"),
    ]


# ---- mounts ------------------------------------------------------------------------------


# Expected names are `systemd-escape --path` output (systemd 252).
@pytest.mark.parametrize(
    ("path", "escaped"),
    [
        ("/mnt/data", "mnt-data"),
        ("/mnt/my-disk", "mnt-my\\x2ddisk"),
        ("/mnt/.hidden", "mnt-.hidden"),
        ("/.x/y", "\\x2ex-y"),
        ("/mnt/x+y@z", "mnt-x\\x2by\\x40z"),
        ("/mnt/a:b_c.d", "mnt-a:b_c.d"),
        ("/mnt/a b", "mnt-a\\x20b"),
        ("/mnt/ü", "mnt-\\xc3\\xbc"),
        ("/", "-"),
    ],
)
def test_escape_path_matches_systemd_escape(path: str, escaped: str) -> None:
    assert escape_path(path) == escaped


def test_normalized_mount_points() -> None:
    assert normalized_where("/home//alice/") == "/home/alice"
    assert normalized_where("/mnt/data") == "/mnt/data"


def mount_service(**point: Any) -> dict[str, Any]:
    point = {"type": "ext4", "what": "/dev/disk/by-label/data", "where": "/mnt/data", **point}
    return {"enable": True, "mount": {"type": "mount", "mounts": {"data": point}}}


def test_a_mount_without_automount_is_wanted_by_multi_user(tmp_path: Path) -> None:
    desired = services({"disks": mount_service()}, tmp_path)
    assert resources(desired) == {
        "files.file[/etc/systemd/system/mnt-data.mount]": {
            "content": HEADER
            + "[Mount]\nWhat=/dev/disk/by-label/data\nWhere=/mnt/data\nType=ext4\n\n"
            + "[Install]\nWantedBy=multi-user.target\n",
            "mode": "0644",
        },
        "services.unit[mnt-data.mount]": ENABLED,
    }
    assert desired.packages == []  # "disks" only holds a mount: no package, no unit
    assert sources(desired)["services.unit[mnt-data.mount]"] == "services.disks.mount.mounts.data"


def test_mount_values_are_escaped_for_unit_files(tmp_path: Path) -> None:
    desired = services(
        {
            "disks": mount_service(
                where="/srv/my-data/",
                what="//nas/100%",
                options="uid=1000,file_mode=0644",
                after="local-fs.target",
                wanted_by="local-fs.target",
                description="50% of the NAS",
            )
        },
        tmp_path,
    )
    assert content(desired, "/etc/systemd/system/srv-my\\x2ddata.mount") == (
        HEADER
        + "[Unit]\nDescription=50%% of the NAS\nAfter=local-fs.target\n\n"
        + "[Mount]\nWhat=//nas/100%%\nWhere=/srv/my-data\nType=ext4\n"
        + "Options=uid=1000,file_mode=0644\n\n"
        + "[Install]\nWantedBy=local-fs.target\n"
    )
    assert "services.unit[srv-my\\x2ddata.mount]" in desired.resources


def test_automount_enables_the_automount(tmp_path: Path) -> None:
    desired = services(
        {"disks": mount_service(automount=True, automount_config="TimeoutIdleSec=60")},
        tmp_path,
    )
    assert sorted(desired.resources) == [
        "files.file[/etc/systemd/system/mnt-data.automount]",
        "files.file[/etc/systemd/system/mnt-data.mount]",
        "services.unit[mnt-data.automount]",
    ]
    assert content(desired, "/etc/systemd/system/mnt-data.automount") == (
        HEADER
        + "[Automount]\nWhere=/mnt/data\nTimeoutIdleSec=60\n\n"
        + "[Install]\nWantedBy=multi-user.target\n"
    )
    assert "[Install]" not in content(desired, "/etc/systemd/system/mnt-data.mount")


def test_a_mount_in_config_works_like_mount(tmp_path: Path) -> None:
    service = mount_service()
    service["config"] = service.pop("mount")
    desired = services({"disks": service}, tmp_path)
    assert sorted(desired.resources) == [
        "files.file[/etc/systemd/system/mnt-data.mount]",
        "services.unit[mnt-data.mount]",
    ]
    assert desired.packages == []
    assert sources(desired)["services.unit[mnt-data.mount]"] == (
        "services.disks.config.mounts.data"
    )


UPSTREAM_MOUNT = """configs.mount({
    enable = %s,
    name = "mnt-data",
    type = "cifs",
    what = "//nas.lan/NAS1",
    where = "/mnt/data/",
    description = "NAS",
    options = "vers=2.1,rw",
    after = "network.target",
    wanted_by = "multi-user.target",
    automount = true,
    automount_config = "TimeoutIdleSec=0",
})"""


def lua_services(tmp_path: Path, services_lua: str) -> Any:
    """Build the desired state of `return { services = SERVICES_LUA }`, evaluated from Lua."""
    source = f'local configs = require("configs")\nreturn {{ services = {services_lua} }}\n'
    return build(evaluate(tmp_path, source), tmp_path)


def test_upstreams_mount_as_a_service_of_its_own(tmp_path: Path) -> None:
    desired = lua_services(
        tmp_path,
        "{ systemd_mount = { enable = true, services = { data = "
        + UPSTREAM_MOUNT % "true"
        + ", off = "
        + UPSTREAM_MOUNT.replace("data", "off") % "false"
        + " } } }",
    )
    assert problems(desired) == []
    assert resources(desired) == {
        "files.file[/etc/systemd/system/mnt-data.mount]": {
            "content": HEADER
            + "[Unit]\nDescription=NAS\nAfter=network.target\n\n"
            + "[Mount]\nWhat=//nas.lan/NAS1\nWhere=/mnt/data\nType=cifs\nOptions=vers=2.1,rw\n",
            "mode": "0644",
        },
        "files.file[/etc/systemd/system/mnt-data.automount]": {
            "content": HEADER
            + "[Unit]\nDescription=NAS\n\n[Automount]\nWhere=/mnt/data\nTimeoutIdleSec=0\n\n"
            + "[Install]\nWantedBy=multi-user.target\n",
            "mode": "0644",
        },
        "services.unit[mnt-data.automount]": ENABLED,
    }
    assert desired.packages == []  # the group holds mounts only
    assert sources(desired)["services.unit[mnt-data.automount]"] == (
        "services.systemd_mount.services.data"
    )


@pytest.mark.parametrize("field", ["mount", "config"])
def test_upstreams_mount_under_mount_or_config(tmp_path: Path, field: str) -> None:
    desired = lua_services(
        tmp_path, f"{{ nas = {{ enable = true, {field} = {UPSTREAM_MOUNT % 'true'} }} }}"
    )
    assert problems(desired) == []
    assert sorted(desired.resources) == [
        "files.file[/etc/systemd/system/mnt-data.automount]",
        "files.file[/etc/systemd/system/mnt-data.mount]",
        "services.unit[mnt-data.automount]",
    ]
    assert sources(desired)["services.unit[mnt-data.automount]"] == f"services.nas.{field}"


def test_upstreams_mount_in_a_disabled_group_is_off(tmp_path: Path) -> None:
    # upstream's example: `systemd_mount = { services = {...} }` has no `enable`
    desired = lua_services(
        tmp_path, "{ systemd_mount = { services = { data = %s } } }" % (UPSTREAM_MOUNT % "true")
    )
    assert (problems(desired), len(desired.resources)) == ([], 0)


def test_a_mount_unit_among_a_users_services_is_a_problem(tmp_path: Path) -> None:
    source = (
        'local configs = require("configs")\n'
        "return { users = { amy = { services = { data = %s } } } }\n" % (UPSTREAM_MOUNT % "true")
    )
    desired = build(evaluate(tmp_path, source), tmp_path)
    assert problems(desired) == [
        "users.amy.services.data: configs.mount makes a system mount unit; a user's services "
        "cannot hold it (hint: move it under the top-level services)"
    ]


def test_a_user_config_on_a_system_service_is_a_problem(tmp_path: Path) -> None:
    desired = services(
        {"git": {"enable": True, "config": {"type": "git", "settings": {"user.name": "A"}}}},
        tmp_path,
    )
    assert problems(desired) == [
        "services.git.config: configs.git configures a user's program or user service; a "
        "system service cannot use it (hint: move it under users.NAME.programs or services)"
    ]


# ---- descriptors -------------------------------------------------------------------------


def test_a_config_dir_descriptor_overrides_kodos_own(tmp_path: Path) -> None:
    write(
        tmp_path,
        "expansions/services/openssh.lua",
        "-- my own sshd layout\n"
        'return { package = "openssh", unit = "sshd.socket", user_units = { "ssh-agent" },\n'
        '  settings = { path = "/etc/ssh/sshd_config.d/50-mine.conf", format = "sshd" },\n'
        '  groups = { "sshusers" }, extra_packages = { "aur:ssh-extra" } }\n',
    )
    desired = services({"openssh": {"enable": True, "settings": {"Port": 22}}}, tmp_path)
    assert resources(desired) == {
        "files.file[/etc/ssh/sshd_config.d/50-mine.conf]": {
            "content": HEADER + "Port 22\n",
            "mode": "0644",
        },
        "services.unit[sshd.socket]": ENABLED,
        "services.user_unit[ssh-agent.service]": ENABLED,
    }
    assert requests(desired) == [
        ("pacman", "openssh", "services.openssh"),
        ("aur", "ssh-extra", "services.openssh"),
    ]
    assert desired.provided_groups == frozenset({"sshusers"})


def test_descriptors_may_require_lua_modules(tmp_path: Path) -> None:
    write(tmp_path, "expansions/services/common.lua", 'return { unit = "x.service" }')
    write(
        tmp_path,
        "expansions/services/x.lua",
        'local base = require("common")\nreturn { package = "xpkg", unit = base.unit }',
    )
    desired = services({"x": {"enable": True}}, tmp_path)
    assert requests(desired) == [("pacman", "xpkg", "services.x")]
    assert list(desired.resources) == ["services.unit[x.service]"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'return { pakage = "x" }',
            "pakage: unknown key; did you mean 'package'?",
        ),
        (
            'return { package = "Bad Name" }',
            'package: "Bad Name" is not a valid package name: lowercase letters, digits and '
            "@._+- only, not starting with - or .",
        ),
        (
            'return { settings = { path = "/etc/x", format = "toml" } }',
            "settings.format: unknown value 'toml'; expected one of sshd, keyvalue, ini",
        ),
        (
            "return { unit = function() end }",
            "unit: a function is not a configuration value",
        ),
        ('return "x"', "a descriptor must return a table of named keys, e.g. { package = ... }"),
        ("return { unit = 1 }", "unit: expected a string, got a number"),
    ],
)
def test_descriptor_problems_are_located_at_the_descriptor(
    tmp_path: Path, source: str, message: str
) -> None:
    descriptor = write(tmp_path, "expansions/services/x.lua", source)
    desired = services({"x": {"enable": True}}, tmp_path)
    (problem,) = desired.problems
    assert problem.location == str(descriptor)
    assert problem.message == message
    assert len(desired.resources) == 0 and desired.packages == []


def test_a_lua_error_in_a_descriptor_has_its_line(tmp_path: Path) -> None:
    descriptor = write(
        tmp_path, "expansions/services/x.lua", 'return {\n  package = "x"\n  unit = 1 }'
    )
    (problem,) = services({"x": {"enable": True}}, tmp_path).problems
    assert problem.location == f"{descriptor}:3"
    assert "'}' expected" in problem.message


def test_each_descriptor_is_evaluated_once_and_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluated: list[Path] = []
    real = descriptors_module.evaluate_file

    def counting(file: Path, display: str) -> Any:
        evaluated.append(file)
        return real(file, display)

    monkeypatch.setattr(descriptors_module, "evaluate_file", counting)
    write(tmp_path, "expansions/services/broken.lua", "return { nope = 1 }")
    user_services = {"openssh": {"enable": True}, "broken": {"enable": True}}
    desired = build(
        {
            "services": {"openssh": {"enable": True}, "broken": {"enable": True}},
            "users": {"a": {"services": user_services}, "b": {"services": user_services}},
        },
        tmp_path,
    )
    names = sorted(path.name for path in evaluated)
    assert names == ["broken.lua", "openssh.lua"]
    assert [p.message for p in desired.problems] == [
        "nope: unknown key (known keys here: package, extra_packages, unit, user_units, "
        "settings, groups)"
    ]
