"""Home generations on a temporary home, driven through the core with items built here (the
program renderers have their own tests): apply, re-apply, change, removal, collisions,
`--backup`, hostile links, rollback, damaged manifests — every refusal with its exact words
and with nothing changed."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from kodos.errors import KodosError
from kodos.home.activate import HomeCollision
from kodos.home.config import load_user_config
from kodos.home.homefs import UnsafeHomePath
from kodos.home.identity import HomeUser
from kodos.home.items import HomeFile, HomeLink, HomeWanted
from kodos.home.plan import plan_home
from kodos.home.store import Store, StoreError
from kodos.home.transaction import HomeApplyOptions, RollbackError, apply_home, rollback_home
from kodos.system.jsonfile import FileFormatError

SOURCE = 'users["me"].programs.x'


def user_in(home: Path) -> HomeUser:
    name = pwd.getpwuid(os.getuid()).pw_name
    xdg = {
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_STATE_HOME": home / ".local/state",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local/share",
    }
    return HomeUser(name, os.getuid(), os.getgid(), home, xdg)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    config = tmp_path / "config"
    config.mkdir()
    name = pwd.getpwuid(os.getuid()).pw_name
    (config / "configuration.lua").write_text(
        f"return {{ users = {{ [{json.dumps(name)}] = {{}} }} }}\n"
    )
    return tmp_path / "home"


def apply(home: Path, wanted: HomeWanted, backup: str | None = None) -> int | None:
    user = user_in(home)
    loaded = load_user_config(str(home.parent / "config"), user)
    options = HomeApplyOptions(backup=backup)
    return apply_home(user, loaded, options, lambda plan: True, wanted=wanted).generation


def files(*items: tuple[str, bytes]) -> HomeWanted:
    return HomeWanted(files=[HomeFile(path, content, 0o644, SOURCE) for path, content in items])


def tree(home: Path) -> dict[str, str]:
    """Everything in the home but kodos's state: path → content or link target."""
    found = {}
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home).as_posix()
        if relative.startswith(".local/state"):
            continue
        if path.is_symlink():
            found[relative] = "-> " + os.readlink(path)
        elif path.is_file():
            found[relative] = path.read_text()
    return found


def test_apply_reapply_change_and_rollback(home: Path) -> None:
    first = HomeWanted(
        files=[HomeFile(".config/git/config", b"[user]\n\tname = Ada\n", 0o644, SOURCE),
               HomeFile(".profile", b"export A=1\n", 0o600, SOURCE)],
        links=[HomeLink(".zshrc", "/etc/zsh/zshrc", SOURCE)],
    )  # fmt: skip
    assert apply(home, first) == 1
    assert tree(home) == {
        ".config/git/config": "[user]\n\tname = Ada\n",
        ".profile": "export A=1\n",
        ".zshrc": "-> /etc/zsh/zshrc",
    }
    assert (home / ".profile").stat().st_mode & 0o777 == 0o600
    assert apply(home, first) is None  # nothing to change: no new generation
    assert Store(user_in(home).state_dir).ids() == [1]

    second = files((".config/git/config", b"[user]\n\tname = Ada L.\n"))
    assert apply(home, second) == 2
    assert tree(home) == {".config/git/config": "[user]\n\tname = Ada L.\n"}

    assert rollback_home(user_in(home), None, None, 5).generation == 1
    assert tree(home)[".zshrc"] == "-> /etc/zsh/zshrc"
    assert tree(home)[".config/git/config"] == "[user]\n\tname = Ada\n"
    assert os.readlink(user_in(home).state_dir / "current") == "1"
    assert rollback_home(user_in(home), 2, None, 5).generation == 2
    assert ".zshrc" not in tree(home)


def test_a_file_kodos_did_not_place_is_never_overwritten(home: Path) -> None:
    (home / ".profile").write_text("mine\n")
    wanted = files((".profile", b"kodos\n"), (".other", b"x\n"))
    loaded = load_user_config(str(home.parent / "config"), user_in(home))
    plan = plan_home(user_in(home), loaded, wanted).plan
    assert plan.collisions == ["home.file[~/.profile]"]

    with pytest.raises(HomeCollision) as refused:
        apply(home, wanted)
    assert str(refused.value) == (
        "in the way, not placed by kodos: ~/.profile; nothing changed (move them away, or run "
        "again with --backup SUFFIX to have kodos move them aside)"
    )
    assert tree(home) == {".profile": "mine\n"}
    assert Store(user_in(home).state_dir).ids() == []

    (home / ".profile.bak").write_text("older\n")
    with pytest.raises(HomeCollision) as refused:
        apply(home, wanted, backup=".bak")
    assert str(refused.value) == (
        "~/.profile cannot be moved aside: ~/.profile.bak exists already; nothing changed "
        "(choose another --backup suffix)"
    )
    assert tree(home) == {".profile": "mine\n", ".profile.bak": "older\n"}

    assert apply(home, wanted, backup=".orig") == 1
    assert tree(home) == {
        ".other": "x\n",
        ".profile": "kodos\n",
        ".profile.bak": "older\n",
        ".profile.orig": "mine\n",
    }


def test_a_file_edited_since_kodos_placed_it_is_the_users_again(home: Path) -> None:
    apply(home, files((".a", b"1\n"), (".b", b"1\n")))
    (home / ".a").write_text("edited\n")
    (home / ".b").write_text("edited\n")
    with pytest.raises(HomeCollision):
        apply(home, files((".a", b"2\n")))  # .a changed outside kodos: in the way
    assert tree(home) == {".a": "edited\n", ".b": "edited\n"}
    # dropped from the configuration, but edited: left alone, said in a note
    loaded = load_user_config(str(home.parent / "config"), user_in(home))
    plan = plan_home(user_in(home), loaded, files((".a", b"edited\n"))).plan
    assert plan.notes == ["~/.b changed since kodos placed it: left as it is, no longer managed"]
    assert [(c.address, c.action) for c in plan.changes] == [("home.file[~/.a]", "update")]


def test_a_link_in_the_home_is_never_followed(home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    (home / ".config").symlink_to(outside)
    with pytest.raises(UnsafeHomePath) as refused:
        apply(home, files((".config/git/config", b"x\n")))
    assert str(refused.value) == (
        f"~/.config is a symbolic link (to {outside}): kodos places files only under real "
        "directories in the home and never follows a link there"
    )
    assert list(outside.iterdir()) == []
    (home / "file").write_text("")
    with pytest.raises(UnsafeHomePath) as refused:
        apply(home, files(("file/x", b"x\n")))
    assert str(refused.value) == "~/file is not a directory: kodos cannot place files in it"


def test_rollback_refusals(home: Path) -> None:
    user = user_in(home)
    with pytest.raises(RollbackError) as refused:
        rollback_home(user, None, None, 5)
    assert str(refused.value) == "no home generation is active yet: nothing to roll back"
    apply(home, files((".a", b"1\n")))
    with pytest.raises(RollbackError) as refused:
        rollback_home(user, None, None, 5)
    assert str(refused.value) == (
        "home generation 1 is the oldest: there is none before it to roll back to"
    )
    with pytest.raises(StoreError) as missing:
        rollback_home(user, 7, None, 5)
    assert str(missing.value) == "no home generation 7 (there are: 1)"
    assert rollback_home(user, 1, None, 5).notes == ["home generation 1 is already active"]


def test_a_damaged_manifest_is_refused_before_anything_acts_on_it(home: Path) -> None:
    apply(home, files((".a", b"1\n")))
    manifest = user_in(home).state_dir / "1" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["entries"][0]["path"] = "../../etc/passwd"
    manifest.write_text(json.dumps(data))
    with pytest.raises(FileFormatError) as refused:
        apply(home, files((".a", b"2\n")))
    assert str(refused.value) == (
        f"{manifest}: entries.0.path: Value error, must not contain empty, '.' or '..' components"
    )


def test_a_copy_that_does_not_match_its_manifest_is_not_placed(home: Path) -> None:
    apply(home, files((".a", b"1\n")))
    apply(home, files((".a", b"2\n")))
    copy = user_in(home).state_dir / "1" / "files" / ".a"
    copy.write_text("tampered\n")
    with pytest.raises(StoreError) as refused:
        rollback_home(user_in(home), 1, None, 5)
    assert str(refused.value) == (
        f"{copy}: its content is not what the manifest records; refusing it"
    )
    assert tree(home) == {".a": "2\n"}
    copy.unlink()
    with pytest.raises(StoreError) as refused:
        rollback_home(user_in(home), 1, None, 5)
    assert str(refused.value) == f"{copy}: no such file or directory"


def test_paths_that_leave_the_home_are_located_problems(home: Path) -> None:
    with pytest.raises(KodosError) as refused:
        apply(home, files(("../escape", b"x\n")))
    assert str(refused.value) == (
        f"{SOURCE}: ~/../escape: must not contain empty, '.' or '..' components"
    )


def test_two_items_wanting_one_path_differently_are_located(home: Path) -> None:
    wanted = HomeWanted(
        files=[HomeFile(".a", b"1\n", 0o644, 'users["me"].files["~/.a"]')],
        links=[HomeLink(".a", "/etc/hostname", 'users["me"].programs.zsh')],
    )
    with pytest.raises(KodosError) as refused:
        apply(home, wanted)
    assert str(refused.value) == (
        'users["me"].programs.zsh: ~/.a is also wanted, differently, by users["me"].files["~/.a"]'
    )


def test_the_store_refuses_what_it_did_not_write(home: Path) -> None:
    apply(home, files((".a", b"1\n")))
    store = user_in(home).state_dir
    (store / "current").unlink()
    (store / "current").symlink_to("../../../etc")
    with pytest.raises(StoreError) as refused:
        apply(home, files((".a", b"2\n")))
    assert str(refused.value) == (
        f"{store / 'current'} points to '../../../etc', not a home generation (run `kodos user "
        "rollback N` to choose one)"
    )
    (store / "current").unlink()
    (store / "current").symlink_to("1")
    (store / "2").mkdir()
    (store / "2" / "manifest.json").write_text((store / "1" / "manifest.json").read_text())
    with pytest.raises(StoreError) as refused:
        rollback_home(user_in(home), 2, None, 5)
    assert str(refused.value) == (
        f"{store / '2' / 'manifest.json'}: generation: 1, but it is in the directory of "
        "generation 2"
    )


def test_a_home_that_cannot_be_opened_is_named(home: Path) -> None:
    missing = home / "gone"
    loaded = load_user_config(str(home.parent / "config"), user_in(home))
    with pytest.raises(UnsafeHomePath) as refused:
        plan_home(user_in(missing), loaded, files((".a", b"1\n")))
    assert str(refused.value) == f"{missing}: cannot open the home: no such file or directory"


def test_the_calling_user_is_named_by_uid_and_needs_an_absolute_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from kodos.home.identity import IdentityError, calling_user

    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    user = calling_user()
    assert user.name == pwd.getpwuid(os.getuid()).pw_name
    assert user.state_dir == tmp_path / ".local/state/kodos/home"
    monkeypatch.setenv("HOME", "relative")
    with pytest.raises(IdentityError) as refused:
        calling_user()
    assert str(refused.value) == "$HOME is 'relative', not an absolute path"


def test_a_second_apply_waits_for_the_first(home: Path) -> None:
    from kodos.system.lock import LockTimeout

    store = Store(user_in(home).state_dir)
    loaded = load_user_config(str(home.parent / "config"), user_in(home))
    options = HomeApplyOptions(lock_timeout=0)
    with store.locked("kodos user apply", 0), pytest.raises(LockTimeout) as refused:
        apply_home(user_in(home), loaded, options, lambda plan: True, wanted=files((".a", b"")))
    assert str(refused.value).startswith(f"another kodos (pid {os.getpid()}, `kodos user apply`")
    assert str(refused.value).endswith("holds the lock for this home; waited 0 s")


def test_the_store_is_never_reached_through_a_link(home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (home / ".local").symlink_to(outside)
    with pytest.raises(UnsafeHomePath) as refused:
        apply(home, files((".a", b"1\n")))
    assert str(refused.value) == (
        f"~/.local is a symbolic link (to {outside}): kodos places files only under real "
        "directories in the home and never follows a link there"
    )
    assert list(outside.iterdir()) == []
    assert not (home / ".a").exists()


def test_planning_writes_nothing_in_the_home(home: Path) -> None:
    loaded = load_user_config(str(home.parent / "config"), user_in(home))
    plan = plan_home(user_in(home), loaded, files((".config/a", b"1\n"))).plan
    assert [change.address for change in plan.changes] == ["home.file[~/.config/a]"]
    assert list(home.iterdir()) == []


def test_a_dconf_key_wanted_twice_differently_is_located(home: Path) -> None:
    from kodos.home.items import DconfKey

    wanted = HomeWanted(
        dconf=[DconfKey("/org/x/a", "1", 'users["me"].programs.a'),
               DconfKey("/org/x/a", "2", 'users["me"].programs.b')]
    )  # fmt: skip
    with pytest.raises(KodosError) as refused:
        apply(home, wanted)
    assert (
        str(refused.value) == 'users["me"].programs.b: dconf key /org/x/a is set twice, differently'
    )


def test_a_link_kodos_placed_may_give_way_to_a_directory(home: Path, tmp_path: Path) -> None:
    folded = tmp_path / "dotfiles-nvim"
    folded.mkdir()
    assert apply(home, HomeWanted(links=[HomeLink(".config/nvim", str(folded), SOURCE)])) == 1
    assert apply(home, files((".config/nvim/init.lua", b"set number\n"))) == 2
    assert tree(home) == {".config/nvim/init.lua": "set number\n"}
    assert list(folded.iterdir()) == []
