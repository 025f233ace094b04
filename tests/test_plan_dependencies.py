"""What `pacman -S` pulls in and `-Rs` takes along, as the plan predicts it (issue 12.1):
libalpm's resolution rules one by one, then the plan's lines for each case, exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodos.pacman.localdb import InstalledPackage, InstallReason, SyncIndex, SyncPackage
from kodos.plan.build import adopted
from kodos.plan.dependencies import Pulled, resolve_transaction
from kodos.plan.diff import diff
from kodos.plan.followups import plan_follow_ups
from kodos.plan.model import Base, Change, ConfigRef, Plan, Reason, summarize
from kodos.plan.planfile import read_plan_file
from kodos.plan.removals import NO_DATABASES_NOTE, plan_transactions
from kodos.plan.render import human_size, render_plan
from kodos.resources import Resource, ResourceSet
from kodos.system.jsonfile import FileFormatError

EXPLICIT, DEPENDENCY = InstallReason.EXPLICIT, InstallReason.DEPENDENCY


def sync(repo: str, name: str, version: str = "1-1", *depends: str, **more: object) -> SyncPackage:
    provides = tuple(more.pop("provides", ()))  # type: ignore[call-overload]
    return SyncPackage(repo, name, version, (), provides, depends, **more)  # type: ignore[arg-type]


def index(*packages: SyncPackage) -> SyncIndex:
    repos: dict[str, dict[str, SyncPackage]] = {"core": {}, "extra": {}}
    for package in packages:
        repos[package.repo][package.name] = package
    return SyncIndex.build(repos.items())


def local(name: str, version: str = "1-1", *, provides: tuple[str, ...] = ()) -> InstalledPackage:
    return InstalledPackage(name, version, EXPLICIT, provides=provides)


def pulled(targets: list[str], offer: SyncIndex, *installed: InstalledPackage) -> list[Pulled]:
    chosen = [found for name in targets if (found := offer.get(name)) is not None]
    return resolve_transaction(chosen, offer, {p.name: p for p in installed}).pulled


def names(found: list[Pulled]) -> list[tuple[str, str, str]]:
    return [(p.package.name, p.package.version, p.dependency_of) for p in found]


# ---- the resolution rules ---------------------------------------------------------------------


def test_a_chain_is_pulled_in_depth_first_each_attributed_to_what_needs_it() -> None:
    offer = index(
        sync("extra", "app", "1-1", "lib-a", "lib-b"),
        sync("extra", "lib-a", "1-1", "lib-c"),
        sync("extra", "lib-b"),
        sync("core", "lib-c"),
    )
    assert names(pulled(["app"], offer)) == [
        ("lib-a", "1-1", "app"),
        ("lib-c", "1-1", "lib-a"),
        ("lib-b", "1-1", "app"),
    ]


def test_what_is_installed_or_in_the_transaction_is_not_pulled_in() -> None:
    offer = index(
        sync("extra", "app", "1-1", "lib", "tool"), sync("extra", "lib"), sync("extra", "tool")
    )
    assert names(pulled(["app", "tool"], offer, local("lib"))) == []


@pytest.mark.parametrize(
    ("dependency", "installed_version", "pulled_version"),
    [
        ("lib>=2", "1.9-1", "2.1-1"),  # too old: the repository's newer one comes in
        ("lib>=2", "2.0-1", None),
        ("lib=2.0", "2.0-3", None),  # no pkgrel in the constraint: any release
        ("lib<2", "2.0-1", "unsatisfied"),  # the repository has none older
        ("lib>=1:1.0", "1.5-1", "unsatisfied"),  # an epoch outranks any version
    ],
)
def test_versioned_dependencies(
    dependency: str, installed_version: str, pulled_version: str | None
) -> None:
    offer = index(sync("extra", "app", "1-1", dependency), sync("extra", "lib", "2.1-1"))
    app = offer.get("app")
    assert app is not None
    transaction = resolve_transaction([app], offer, {"lib": local("lib", installed_version)})
    found = [(p.package.name, p.package.version) for p in transaction.pulled]
    if pulled_version == "unsatisfied":
        assert (found, transaction.unsatisfied) == ([], [(dependency, "app")])
    else:
        assert found == ([("lib", pulled_version)] if pulled_version else [])
        assert transaction.unsatisfied == []


def test_provides_satisfy_by_name_and_only_a_versioned_provide_a_versioned_dependency() -> None:
    offer = index(
        sync("extra", "app", "1-1", "sh", "java>=17"),
        sync("core", "bash", provides=("sh",)),
        sync("extra", "jdk17", provides=("java=17",)),
        sync("extra", "jdk-any", provides=("java",)),
    )
    installed = local("busybox", provides=("sh",))  # an installed provider satisfies `sh`
    unversioned = local("old-java", provides=("java",))  # says nothing about 17
    assert names(pulled(["app"], offer, installed, unversioned)) == [("jdk17", "1-1", "app")]


def test_a_literal_name_beats_an_earlier_provider_and_an_installed_provider_wins() -> None:
    offer = index(
        sync("extra", "app", "1-1", "editor", "foo>=2"),
        sync("core", "vi-alike", provides=("editor",)),
        sync("extra", "editor"),
        sync("core", "foo-one", provides=("foo=2",)),
        sync("core", "foo-two", provides=("foo=3",)),
    )
    # foo-two is installed, at a version whose provide is too old: its update is chosen.
    found = pulled(["app"], offer, local("foo-two", provides=("foo=1",)))
    assert names(found) == [("editor", "1-1", "app"), ("foo-two", "1-1", "app")]


def test_a_dependency_nothing_satisfies_is_reported() -> None:
    offer = index(sync("extra", "app", "1-1", "ghost>=1"), sync("extra", "ghost", "0.9-1"))
    app = offer.get("app")
    assert app is not None
    transaction = resolve_transaction([app], offer, {})
    assert (transaction.pulled, transaction.unsatisfied) == ([], [("ghost>=1", "app")])


# ---- the plan's lines -------------------------------------------------------------------------


def package(name: str, **attributes: object) -> Resource:
    return Resource("pacman", "package", name, attributes, source=f"packages[{name}]")


def plan_of(
    root: Path | None,
    desired: list[Resource],
    installed: dict[str, InstalledPackage],
    managed: frozenset[str] = frozenset(),
    offer: SyncIndex | None = None,
) -> Plan:
    wanted = ResourceSet(desired)
    actual = ResourceSet(
        Resource("pacman", "package", p.name, {"version": p.version, "reason": p.reason.value})
        for p in installed.values()
    )
    found = plan_transactions(root, wanted, actual, managed, offer, installed)
    changes: list[Change] = found.annotate(diff(wanted, actual, managed, found.kept), actual)
    return Plan(
        kodos_version="test",
        base=Base(root="/mnt/root", generation=1, state_digest="sha256:0"),
        config=ConfigRef(path="configuration.lua", digest="sha256:1"),
        changes=changes,
        summary=summarize(changes, found.download_size, found.installed_size),
        notes=found.notes,
        follow_ups=plan_follow_ups(changes),
        reboot_required=bool(changes),
        adopted=adopted(wanted, actual, managed, changes),
    )


OFFER = index(
    sync(
        "extra", "pipewire-pulse", "1:1.2.7-1", "pipewire", download_size=2048, installed_size=4096
    ),
    sync(
        "extra",
        "pipewire",
        "1:1.2.7-1",
        "libfoo.so=1-64",
        download_size=1024 * 1024,
        installed_size=3 * 1024 * 1024,
        filename="pipewire-1:1.2.7-1-x86_64.pkg.tar.zst",
    ),
    sync("core", "glibc", provides=("libfoo.so=1-64",)),
)


def test_a_create_shows_its_version_what_it_pulls_in_and_the_sizes(tmp_path: Path) -> None:
    installed = {"glibc": local("glibc", provides=("libfoo.so=1-64",))}
    plan = plan_of(tmp_path, [package("pipewire-pulse", reason="explicit")], installed, offer=OFFER)

    lines = render_plan(plan).splitlines()
    assert lines[4:6] == [
        '  + pacman.package[pipewire]  (dependency of pipewire-pulse)  version="1:1.2.7-1"',
        '  + pacman.package[pipewire-pulse]  (from packages[pipewire-pulse])  reason="explicit" version="1:1.2.7-1"',
    ]
    assert lines[-3:] == [
        "Download: 1.00 MiB; installed size: 3.00 MiB.",
        "Takes effect when the machine boots the new generation (reboot needed).",
        "Plan: 2 to add, 0 to change, 0 to destroy.",
    ]
    assert (plan.summary.download_size, plan.summary.installed_size) == (
        1024 * 1024 + 2048,
        3 * 1024 * 1024 + 4096,
    )
    pipewire = plan.changes[0]
    assert (pipewire.reason, pipewire.dependency_of, pipewire.named_to_pacman) == (
        Reason.PULLED_IN,
        "pipewire-pulse",
        False,
    )


def test_a_package_in_the_pacman_cache_is_not_downloaded_again(tmp_path: Path) -> None:
    cache = tmp_path / "var/cache/pacman/pkg"
    cache.mkdir(parents=True)
    (cache / "pipewire-1:1.2.7-1-x86_64.pkg.tar.zst").write_bytes(b"")
    installed = {"glibc": local("glibc", provides=("libfoo.so=1-64",))}
    plan = plan_of(tmp_path, [package("pipewire-pulse", reason="explicit")], installed, offer=OFFER)
    assert plan.summary.download_size == 2048


def test_a_removal_shows_what_pacman_rs_takes_along(tmp_path: Path) -> None:
    installed = {
        "pipewire-pulse": InstalledPackage(
            "pipewire-pulse", "1-1", EXPLICIT, depends=("pipewire",)
        ),
        "pipewire": InstalledPackage("pipewire", "1-1", DEPENDENCY, depends=("libpipewire",)),
        "libpipewire": InstalledPackage("libpipewire", "1-1", DEPENDENCY),
        "shared": InstalledPackage("shared", "1-1", DEPENDENCY),
        "other": InstalledPackage("other", "1-1", EXPLICIT, depends=("shared",)),
    }
    managed = frozenset({"pacman.package[pipewire-pulse]", "pacman.package[other]"})
    plan = plan_of(tmp_path, [package("other", reason="explicit")], installed, managed, OFFER)

    assert render_plan(plan).splitlines()[4:7] == [
        '  - pacman.package[libpipewire]  (dependency of pipewire, removed with it)  reason="dependency" version="1-1"',
        '  - pacman.package[pipewire]  (dependency of pipewire-pulse, removed with it)  reason="dependency" version="1-1"',
        '  - pacman.package[pipewire-pulse]  (no longer in the configuration)  reason="explicit" version="1-1"',
    ]
    assert plan.summary.destroy == 3


def test_without_sync_databases_a_note_says_what_is_not_shown(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [package("pipewire-pulse", reason="explicit")], {})
    text = render_plan(plan)
    assert (
        '  + pacman.package[pipewire-pulse]  (from packages[pipewire-pulse])  reason="explicit"\n'
        in text
    )
    assert (
        "note: the packages pacman would pull in as dependencies, their versions and sizes are "
        "not shown: no sync databases\n"
    ) in text
    assert plan.notes == [NO_DATABASES_NOTE]
    assert "Download" not in text


def test_a_dependency_no_repository_has_is_a_note(tmp_path: Path) -> None:
    offer = index(sync("extra", "app", "1-1", "libfoo.so=1-64"))
    plan = plan_of(tmp_path, [package("app", reason="explicit")], {}, offer=offer)
    assert plan.notes == [
        "pacman will find nothing satisfying libfoo.so=1-64, a dependency of app: apply would fail"
    ]


def test_from_facts_a_note_says_when_provides_may_be_unknown() -> None:
    plan = plan_of(None, [package("pipewire-pulse", reason="explicit")], {}, offer=OFFER)
    assert plan.notes == []  # nothing installed: nothing unknown
    local_build = {"glibc": local("glibc", "0.9-1")}  # a version no repository offers
    plan = plan_of(None, [package("pipewire-pulse", reason="explicit")], local_build, offer=OFFER)
    assert plan.notes == [
        "some installed packages are at versions no repository offers, and a facts file holds "
        "no provides: pacman may pull in fewer packages than shown"
    ]


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB"),
        (1536 * 1024, "1.50 MiB"),
        (3 << 30, "3.00 GiB"),
    ],
)
def test_sizes_read_as_pacman_prints_them(size: int, shown: str) -> None:
    assert human_size(size) == shown


@pytest.mark.parametrize(
    ("reason", "dependency_of"),
    [("pulled_in", None), (None, "pipewire-pulse"), ("kept_as_dependency", "pipewire-pulse")],
)
def test_a_saved_plan_gives_dependency_of_only_with_its_reasons(
    tmp_path: Path, reason: str | None, dependency_of: str | None
) -> None:
    plan = plan_of(tmp_path, [package("pipewire-pulse", reason="explicit")], {}, offer=OFFER)
    saved = plan.model_dump(mode="json")
    saved["changes"][0] |= {"reason": reason, "dependency_of": dependency_of, "needed_by": None}
    if reason != "kept_as_dependency":
        del saved["changes"][0]["needed_by"]
    else:
        saved["changes"][0]["needed_by"] = "x"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(saved))

    with pytest.raises(FileFormatError) as raised:
        read_plan_file(path)

    assert [(p.location, p.message) for p in raised.value.problems] == [
        (
            f"{path}: changes.0",
            "Value error, dependency_of is given when, and only when, reason is pulled_in or "
            "taken_along",
        )
    ]
