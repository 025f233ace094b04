"""providers.users against accounts made by the real shadow-utils (`useradd --root`, `usermod`,
`groupadd`, `chpasswd -R -e`): what kodos reads is what the tools were told to write."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.providers import Reading, Scope, users
from kodos.providers.users import read_groups
from kodos.secrets import hash_password
from tests.support.privilege import require_root_for
from tests.support.target import make_root
from tests.support.tools import require_tools

SHADOW_TOOLS = ("useradd", "usermod", "groupadd", "chpasswd")
NO_SCOPE = Scope()


def run(*argv: str, stdin: str | None = None) -> None:
    subprocess.run(argv, input=stdin, text=True, check=True, capture_output=True)


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A root with groups and users in several password states; returns (root, demo's hash)."""
    require_tools(*SHADOW_TOOLS)
    require_root_for("useradd --root chroots into the target root")
    root = make_root(tmp_path_factory.mktemp("accounts"))
    r = str(root)
    for group in ("wheel", "audio", "video"):
        run("groupadd", "--root", r, group)
    run("useradd", "--root", r, "-m", "-u", "1500", "-s", "/bin/bash", "-G", "wheel,audio",
        "-c", "Demo User,,,", "demo")  # fmt: skip
    run("useradd", "--root", r, "-r", "-M", "-d", "/var/lib/svc", "-s", "/usr/bin/nologin", "svc")
    run("useradd", "--root", r, "-m", "-G", "video", "locked")
    run("useradd", "--root", r, "-M", "open")
    demo_hash = hash_password("demo-secret", b"$6$")
    run("chpasswd", "-R", r, "-e", stdin=f"demo:{demo_hash}\nlocked:{demo_hash}\n")
    run("usermod", "--root", r, "-L", "locked")
    run("usermod", "--root", r, "-p", "", "open")
    return root, demo_hash


def by_name(root: Path) -> dict[str, dict[str, object]]:
    return {r.name: dict(r.attributes) for r in users.read(root, NO_SCOPE).resources}


@pytest.mark.system
def test_accounts_read_as_the_tools_wrote_them(accounts: tuple[Path, str]) -> None:
    root, demo_hash = accounts
    found = by_name(root)

    assert found["demo"] == {
        "uid": 1500,
        "gecos": "Demo User,,,",
        "shell": "/bin/bash",
        "home": "/home/demo",
        "groups": ["audio", "wheel"],
        "password": demo_hash,
    }
    assert found["root"]["uid"] == 0 and found["root"]["password"] == "*"
    assert found["svc"]["home"] == "/var/lib/svc" and found["svc"]["groups"] == []
    assert 100 <= int(str(found["svc"]["uid"])) < 1000  # a system account
    assert found["locked"]["password"] == "!" + demo_hash  # usermod -L prefixes "!"
    assert found["locked"]["groups"] == ["video"]
    assert found["open"]["password"] == ""


@pytest.mark.system
def test_passwords_are_sensitive(accounts: tuple[Path, str]) -> None:
    for resource in users.read(accounts[0], NO_SCOPE).resources:
        assert resource.sensitive == frozenset({"password"})
        assert resource.address == f"users.user[{resource.name}]"


@pytest.mark.system
def test_groups_are_listed_for_extra_groups_checks(accounts: tuple[Path, str]) -> None:
    # useradd's user private groups (USERGROUPS_ENAB yes) are groups too.
    expected = {"root", "wheel", "audio", "video", "demo", "svc", "locked", "open"}
    assert read_groups(accounts[0]) == expected


def test_an_empty_root_has_no_users_and_no_groups(tmp_path: Path) -> None:
    assert users.read(tmp_path, NO_SCOPE) == Reading()
    assert read_groups(tmp_path) == set()


def test_malformed_lines_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken:x:1\n+nisuser::::::\n"
        "nouid:x:abc:1::/:/bin/sh\nroot:x:5:5:again:/:/bin/sh\n"
    )
    (tmp_path / "etc/shadow").write_text("root:$6$x$y:19000::::::\n")
    reading = users.read(tmp_path, NO_SCOPE)

    assert [r.name for r in reading.resources] == ["root"]
    assert reading.resources[0].attributes["password"] == "$6$x$y"
    assert reading.notes == [
        "/etc/passwd:3: not an entry (7 fields expected); skipped",
        "/etc/passwd:4: NIS entry skipped",
        "/etc/passwd:5: uid 'abc' is not a number; nouid skipped",
        "/etc/passwd:6: root is listed again; the first entry counts",
    ]


@pytest.fixture
def world_readable_copy(accounts: tuple[Path, str]) -> Iterator[Path]:
    """A copy of the accounts root that nobody (uid 65534) can walk to (pytest's tmp is 0700), with
    shadow as a real system has it: 0600, owned by root."""
    if os.geteuid() != 0:  # only root can make a root-only shadow and become someone else
        pytest.skip("needs root to run a reading as nobody")
    base = Path(tempfile.mkdtemp(prefix="kodos-users-"))
    try:
        base.chmod(0o755)
        root = base / "root"
        shutil.copytree(accounts[0] / "etc", root / "etc", symlinks=True)
        root.chmod(0o755)
        (root / "etc").chmod(0o755)
        os.chown(root / "etc/shadow", 0, 0)
        (root / "etc/shadow").chmod(0o600)
        yield root
    finally:
        shutil.rmtree(base)


@pytest.mark.system
def test_without_root_passwords_are_unknown_and_a_note_says_so(world_readable_copy: Path) -> None:
    require_tools("setpriv")
    probe = (
        "import json, sys\nfrom pathlib import Path\nfrom kodos.providers import Scope, users\n"
        "r = users.read(Path(sys.argv[1]), Scope())\n"
        "print(json.dumps({'users': {x.name: dict(x.attributes) for x in r.resources},"
        " 'notes': r.notes}))\n"
    )
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            sys.executable, "-c", probe, str(world_readable_copy)]  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    result = json.loads(done.stdout)

    assert result["users"]["demo"]["uid"] == 1500
    assert all("password" not in attributes for attributes in result["users"].values())
    assert result["notes"] == [
        "/etc/shadow is not readable (Permission denied; reading it needs root): "
        "passwords are unknown and not compared"
    ]
