"""The diff engine: creates, updates, replaces, ownership-limited deletes, drift, secrets."""

from __future__ import annotations

from kodos.plan.diff import diff
from kodos.plan.model import Action, Reason, summarize
from kodos.resources import Resource, ResourceSet
from kodos.secrets import PlainPassword, hash_password, seal


def package(name: str, source: str | None = None, **attributes: object) -> Resource:
    return Resource("pacman", "package", name, attributes, source=source)


def test_create_update_and_no_op() -> None:
    desired = ResourceSet(
        [
            package("htop", "packages[1]", reason="explicit"),
            package("git", "packages[2]", reason="explicit"),
            package("vim", "packages[3]", reason="explicit"),
        ]
    )
    actual = ResourceSet(
        [
            package("git", version="2.45-1", reason="dependency"),
            package("vim", version="9.1-1", reason="explicit"),
        ]
    )
    changes = diff(desired, actual, frozenset())
    assert [(c.address, c.action, c.changed) for c in changes] == [
        ("pacman.package[git]", Action.UPDATE, ["reason"]),
        ("pacman.package[htop]", Action.CREATE, []),
    ]
    git = changes[0]
    assert git.before == {"reason": "dependency", "version": "2.45-1"}
    assert git.after == {"reason": "explicit", "version": "2.45-1"}
    assert git.source == "packages[2]"


def test_only_managed_resources_are_deleted() -> None:
    actual = ResourceSet(
        [package("old", version="1-1", reason="explicit"), package("mine", version="1-1")]
    )
    changes = diff(
        ResourceSet(), actual, frozenset({"pacman.package[old]", "pacman.package[gone]"})
    )
    assert [(c.address, c.action, c.reason) for c in changes] == [
        ("pacman.package[old]", Action.DELETE, Reason.NO_LONGER_CONFIGURED)
    ]


def test_drift_in_managed_resources_is_restored() -> None:
    desired = ResourceSet(
        [
            package("htop", reason="explicit"),
            Resource("services", "unit", "sshd.service", {"state": "enabled"}),
        ]
    )
    actual = ResourceSet([Resource("services", "unit", "sshd.service", {"state": "disabled"})])
    managed = frozenset({"pacman.package[htop]", "services.unit[sshd.service]"})
    recorded = {"services.unit[sshd.service]": {"state": "enabled"}}  # as the last apply left it
    changes = diff(desired, actual, managed, recorded=recorded)
    assert [(c.address, c.action, c.reason) for c in changes] == [
        ("pacman.package[htop]", Action.CREATE, Reason.REMOVED_OUTSIDE_KODOS),
        ("services.unit[sshd.service]", Action.UPDATE, Reason.CHANGED_OUTSIDE_KODOS),
    ]


def test_order_is_provider_dependency_then_address() -> None:
    desired = ResourceSet(
        [
            Resource("services", "unit", "a.service", {"state": "enabled"}),
            Resource("files", "file", "/etc/hostname", {"content": "x\n"}),
            Resource("users", "user", "zed", {"shell": "/bin/sh"}),
            package("zsh", reason="explicit"),
            package("bash", reason="explicit"),
            Resource("flatpak", "app", "org.example.App", {"remote": "flathub"}),
        ]
    )
    assert [c.address for c in diff(desired, ResourceSet(), frozenset())] == [
        "pacman.package[bash]",
        "pacman.package[zsh]",
        "flatpak.app[org.example.App]",
        "users.user[zed]",
        "files.file[/etc/hostname]",
        "services.unit[a.service]",
    ]


def test_a_flatpak_from_another_remote_is_replaced() -> None:
    desired = ResourceSet([Resource("flatpak", "app", "org.x.App", {"remote": "flathub"})])
    actual = ResourceSet([Resource("flatpak", "app", "org.x.App", {"remote": "other"})])
    (change,) = diff(desired, actual, frozenset())
    assert change.action == Action.REPLACE
    assert summarize([change]).model_dump() == {
        "add": 1,
        "change": 0,
        "destroy": 1,
        "download_size": None,  # no packages, no sync databases: sizes unknown
        "installed_size": None,
    }


def test_secrets_compare_by_meaning_and_never_show() -> None:
    existing = hash_password("s3cret")
    user = {"shell": "/bin/zsh", "password": existing}
    secret = frozenset({"password"})
    actual = ResourceSet([Resource("users", "user", "ada", user, secret)])

    def plan_for(password: object) -> list[str]:
        want = Resource("users", "user", "ada", {"password": password}, secret)
        return [c.action for c in diff(ResourceSet([want]), actual, frozenset())]

    assert plan_for(PlainPassword("s3cret")) == []
    assert plan_for(existing) == []
    assert plan_for(PlainPassword("other")) == [Action.UPDATE]
    want = Resource("users", "user", "ada", {"password": PlainPassword("other")}, secret)
    (change,) = diff(ResourceSet([want]), actual, frozenset())
    assert change.before == {"password": "(sensitive)", "shell": "/bin/zsh"}
    assert change.after == {"password": "(sensitive)", "shell": "/bin/zsh"}
    assert existing not in change.model_dump_json()


def test_sealed_secrets_from_facts_compare_against_hashes() -> None:
    existing = hash_password("s3cret")
    secret = frozenset({"password"})
    actual = ResourceSet([Resource("users", "user", "ada", {"password": seal(existing)}, secret)])
    same = Resource("users", "user", "ada", {"password": existing}, secret)
    other = Resource("users", "user", "ada", {"password": hash_password("x")}, secret)
    assert diff(ResourceSet([same]), actual, frozenset()) == []
    assert [c.action for c in diff(ResourceSet([other]), actual, frozenset())] == [Action.UPDATE]


def test_list_attributes_compare_whole() -> None:
    desired = ResourceSet([Resource("users", "user", "ada", {"groups": ["audio", "wheel"]})])
    actual = ResourceSet([Resource("users", "user", "ada", {"groups": ["wheel"], "uid": 1000})])
    (change,) = diff(desired, actual, frozenset())
    assert change.changed == ["groups"]
    assert change.after == {"groups": ["audio", "wheel"], "uid": 1000}


def test_an_existing_account_keeps_its_home() -> None:
    desired = ResourceSet(
        [Resource("users", "user", "git", {"home": "/home/git", "shell": "/bin/sh"})]
    )
    actual = ResourceSet(
        [Resource("users", "user", "git", {"home": "/var/lib/git", "shell": "/bin/sh"})]
    )
    assert diff(desired, actual, frozenset()) == []


def test_a_package_moved_between_the_aur_and_the_repositories_is_not_removed() -> None:
    desired = ResourceSet([package("foo", reason="explicit")])
    actual = ResourceSet(
        [
            package("foo", version="1-1", reason="explicit"),
            Resource("aur", "package", "foo", {"version": "1-1", "reason": "explicit"}),
        ]
    )
    assert diff(desired, actual, frozenset({"aur.package[foo]"})) == []


def test_a_dropped_package_another_one_needs_is_kept_as_a_dependency() -> None:
    """`kept` (kodos/plan/removals.py): name → who needs it. Explicit → a reason update with
    the reason said; already a dependency → nothing to do; not needed → deleted as before."""
    actual = ResourceSet(
        [
            package("zsh", version="5.9-5", reason="explicit"),
            package("ncurses", version="6.5-3", reason="dependency"),
            package("neofetch", version="7.1-2", reason="explicit"),
            Resource("aur", "package", "yay", {"version": "12-1", "reason": "explicit"}),
        ]
    )
    managed = frozenset(
        {"pacman.package[zsh]", "pacman.package[ncurses]", "pacman.package[neofetch]"}
        | {"aur.package[yay]"}
    )
    kept = {"zsh": "zsh-autosuggestions", "ncurses": "zsh", "yay": "yay-plugin"}

    changes = diff(ResourceSet(), actual, managed, kept)

    kept_as = Reason.KEPT_AS_DEPENDENCY
    assert [(c.address, c.action, c.changed, c.reason, c.needed_by) for c in changes] == [
        ("pacman.package[neofetch]", Action.DELETE, [], Reason.NO_LONGER_CONFIGURED, None),
        ("pacman.package[zsh]", Action.UPDATE, ["reason"], kept_as, "zsh-autosuggestions"),
        ("aur.package[yay]", Action.UPDATE, ["reason"], kept_as, "yay-plugin"),
    ]
    zsh = changes[1]
    assert zsh.before == {"reason": "explicit", "version": "5.9-5"}
    assert zsh.after == {"reason": "dependency", "version": "5.9-5"}
    assert summarize(changes).change == 2
    # Without the dependency lists (a plan from facts) they are deletes, as before.
    assert {c.action for c in diff(ResourceSet(), actual, managed)} == {Action.DELETE}
