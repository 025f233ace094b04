"""providers.services against the real systemctl: for every unit of a root built with
`systemctl --root enable/mask/link` (and hand-made vendor links), the state kodos computes from
the files must be what `systemctl --root=R [--global] is-enabled UNIT` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.providers import Scope, services
from kodos.systemd.enablement import UnitTable
from kodos.systemd.unitfiles import (
    GLOBAL_SEARCH_PATH,
    SYSTEM_SEARCH_PATH,
    Mode,
    UnitError,
    UnitFile,
    expand_specifiers,
    parse_install,
    split_name,
)
from tests.support.synthetic import write_units
from tests.support.tools import require_tools
from tests.support.units import (
    EXTRA_SYSTEM_NAMES,
    NEWER_SYSTEMD_STATES,
    build_unit_root,
    is_enabled,
    systemd_version,
    unit_text,
)


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tools("systemctl")
    return build_unit_root(tmp_path_factory.mktemp("units"))


NO_SCOPE = Scope()


def states(root: Path, scope: Scope = NO_SCOPE) -> dict[str, str]:
    return {r.address: r.attributes["state"] for r in services.read(root, scope).resources}


def state_or_none(table: UnitTable, name: str) -> str | None:
    """The state, None where systemctl fails too (no such unit, a dangling alias)."""
    try:
        return table.state(name)
    except UnitError:
        return None


@pytest.mark.system
def test_every_system_unit_state_matches_systemctl(unit_root: Path) -> None:
    table = UnitTable(unit_root, SYSTEM_SEARCH_PATH)
    names = sorted(table.names() | set(EXTRA_SYSTEM_NAMES))
    theirs = {name: is_enabled(unit_root, name) for name in names}
    if systemd_version() < 254:  # what newer systemd says, where older differs
        theirs.update(NEWER_SYSTEMD_STATES)

    assert {name: state_or_none(table, name) for name in names} == theirs
    # The fixture covers every persistent state, so the comparison above means something.
    assert {"enabled", "disabled", "static", "masked", "indirect", "alias", "linked"} <= set(
        filter(None, theirs.values())
    )


@pytest.mark.system
def test_every_global_user_unit_state_matches_systemctl(unit_root: Path) -> None:
    table = UnitTable(unit_root, GLOBAL_SEARCH_PATH)
    names = sorted(table.names())
    assert len(names) >= 8
    theirs = {name: is_enabled(unit_root, name, user=True) for name in names}
    assert {name: state_or_none(table, name) for name in names} == theirs


@pytest.mark.system
def test_the_provider_reads_system_and_user_units(unit_root: Path) -> None:
    found = states(unit_root)

    assert found["services.unit[sshd.service]"] == "enabled"
    assert found["services.unit[getty@tty1.service]"] == "enabled"  # an instance, by its link
    assert found["services.unit[dbus-org.freedesktop.NetworkManager.service]"] == "alias"
    assert found["services.user_unit[pipewire.socket]"] == "enabled"
    assert found["services.user_unit[pipewire.service]"] == "indirect"
    assert "services.unit[pipewire.socket]" not in found  # user units are not system units
    assert "services.unit[getty@tty2.service]" not in found  # nobody asked about it


@pytest.mark.system
def test_instances_in_scope_have_a_state_once_their_template_exists(unit_root: Path) -> None:
    scope = Scope(
        frozenset(
            {
                "services.unit[getty@tty2.service]",
                "services.unit[syncthing@bob.service]",
                "services.unit[nosuch@x.service]",
                "services.user_unit[syncthing.service]",
            }
        )
    )
    found = states(unit_root, scope)

    assert found["services.unit[getty@tty2.service]"] == "disabled"
    assert found["services.unit[syncthing@bob.service]"] == "disabled"
    assert "services.unit[nosuch@x.service]" not in found  # no template: no such unit


@pytest.mark.system
def test_a_dangling_alias_is_a_note_not_a_state(unit_root: Path) -> None:
    reading = services.read(unit_root, Scope())

    addresses = {r.address for r in reading.resources}
    assert "services.unit[old-display-manager.service]" not in addresses
    assert reading.notes == [
        "services.unit[old-display-manager.service]: state unknown: "
        "old-display-manager.service is an alias of removed.service, which does not exist"
    ]
    assert is_enabled(unit_root, "old-display-manager.service") is None  # systemctl fails too


@pytest.mark.system
def test_runtime_directories_give_runtime_states(tmp_path: Path) -> None:
    require_tools("systemctl")
    units = {
        "run/systemd/generator/mnt-data.mount": unit_text(section="Mount"),
        "run/systemd/generator.late/late.service": unit_text(),
        "run/systemd/transient/run-u42.service": unit_text(),
        "usr/lib/systemd/system/runtime-enabled.service": unit_text({"WantedBy": "x.target"}),
        "usr/lib/systemd/system/runtime-masked.service": unit_text({"WantedBy": "x.target"}),
    }
    for path, text in units.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    wants = tmp_path / "run/systemd/system/x.target.wants"
    wants.mkdir(parents=True)
    (wants / "runtime-enabled.service").symlink_to(
        "/usr/lib/systemd/system/runtime-enabled.service"
    )
    (tmp_path / "run/systemd/system/runtime-masked.service").symlink_to("/dev/null")

    found = {k.removeprefix("services.unit[").rstrip("]"): v for k, v in states(tmp_path).items()}

    assert found == {name: is_enabled(tmp_path, name) for name in found}
    assert set(found.values()) == {"generated", "transient", "enabled-runtime", "masked-runtime"}


def test_an_empty_root_has_no_units(tmp_path: Path) -> None:
    assert services.read(tmp_path, Scope()).resources == []


@pytest.mark.system
def test_a_unit_file_in_etc_hides_the_packaged_one(tmp_path: Path) -> None:
    require_tools("systemctl")
    for directory, install in (("usr/lib", {"WantedBy": "a.target"}), ("etc", None)):
        path = tmp_path / directory / "systemd/system/hidden.service"
        path.parent.mkdir(parents=True)
        path.write_text(unit_text(install))

    assert states(tmp_path) == {"services.unit[hidden.service]": "static"}
    assert is_enabled(tmp_path, "hidden.service") == "static"


# ---- pure pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("sshd.service", ("sshd", None, "service")),
        ("getty@.service", ("getty", "", "service")),
        ("getty@tty1.service", ("getty", "tty1", "service")),
        ("dev-disk-by\\x2duuid.device", ("dev-disk-by\\x2duuid", None, "device")),
        ("a.b.c.timer", ("a.b.c", None, "timer")),
        ("user@1000@x.service", ("user", "1000@x", "service")),
        ("bad name.service", None),
        ("noext", None),
        ("x.conf", None),
        ("@x.service", None),
    ],
)
def test_unit_names_are_split_as_systemd_does(
    name: str, parts: tuple[str, str | None, str] | None
) -> None:
    assert split_name(name) == parts


def test_specifiers_expand_like_install_printf() -> None:
    assert expand_specifiers("%p-%i.%j", "foo-bar@x.service", None) == "foo-bar-x.bar"
    assert expand_specifiers("alias@%i.service", "getty@.service", "tty1") == "alias@tty1.service"
    assert expand_specifiers("%N/%n/%%", "a.socket", None) == "a/a.socket/%"
    assert expand_specifiers("on-%H.service", "a.service", None) is None  # the host's name


def test_install_sections_parse_like_systemd() -> None:
    text = (
        "[Unit]\nWantedBy=not-here.target\n"
        "[Install]\n# comment\nWantedBy=a.target \\\n  b.target\n"
        "WantedBy=\nWantedBy=c.target\nRequiredBy=d.target\nAlso=x.service y.service\n"
        "DefaultInstance=tty1\n"
    )
    unit = UnitFile("getty@.service", "/p", Mode.REGULAR)
    parse_install(text, unit)

    assert unit.rules == {"WantedBy": ["c.target"], "RequiredBy": ["d.target"]}
    assert unit.also == ["x.service", "y.service"]
    assert unit.default_instance == "tty1"
    assert unit.known_names() == {"getty@.service", "getty@tty1.service"}


def test_alias_is_ignored_where_systemd_ignores_it() -> None:
    unit = UnitFile("data.mount", "/p", Mode.REGULAR)
    parse_install("[Install]\nAlias=other.mount\n", unit)
    assert not unit.has_rules()


@pytest.mark.system
def test_the_benchmark_root_is_what_systemctl_sees(tmp_path: Path) -> None:
    """benchmarks/actual.py writes its links by hand: a sample must agree with systemctl."""
    require_tools("systemctl")
    write_units(tmp_path, 36)
    table = UnitTable(tmp_path, SYSTEM_SEARCH_PATH)
    names = sorted(table.names())[::3]
    assert {n: table.state(n) for n in names} == {n: is_enabled(tmp_path, n) for n in names}
    assert len(set(map(table.state, names))) >= 4
