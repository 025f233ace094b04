"""Real unprivileged accounts with temporary homes, and kodos run as them.

`home_users(n)` makes `n` accounts (`useradd`, each with a 0700 home in a directory every user
can enter) and removes them afterwards (`userdel`, the directory deleted); `as_user` runs a
command as one of them the way a login would set it up — its uid, gid and groups (`setpriv
--init-groups`), a clean environment with only `HOME`, `USER`, `LOGNAME` and `PATH`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.privilege import require_root_for
from tests.support.tools import require_tools

REPO = Path(__file__).resolve().parents[2]
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a test class, whatever its name
    name: str
    uid: int
    gid: int
    home: Path

    @property
    def state(self) -> Path:
        return self.home / ".local/state/kodos/home"


@contextmanager
def home_users(count: int, names: tuple[str, ...] = ()) -> Iterator[tuple[Path, list[TestUser]]]:
    """`count` accounts and a shared, world-readable directory (for configurations); `names`
    gives the first ones a configuration's own user name (an account of that name must not
    exist yet: it is removed afterwards)."""
    require_root_for("useradd, and setpriv to run kodos as the new user")
    require_tools("useradd", "userdel", "setpriv")
    base = Path(tempfile.mkdtemp(prefix="kodos-homes-"))
    base.chmod(0o755)
    made: list[TestUser] = []
    try:
        for _ in range(count):
            number = next(_numbers)
            name = (
                names[len(made)]
                if len(made) < len(names)
                else f"kodos-t{os.getpid() % 100000}-{number}"
            )
            if name in names and _account_exists(name):
                pytest.fail(f"an account {name!r} exists already; the test would remove it")
            home = base / name
            subprocess.run(["useradd", "-M", "-U", "-d", str(home), "-s", "/bin/sh", name],
                           check=True, capture_output=True)  # fmt: skip
            entry = pwd.getpwnam(name)
            made.append(TestUser(name, entry.pw_uid, entry.pw_gid, home))
            home.mkdir(mode=0o700)
            os.chown(home, entry.pw_uid, entry.pw_gid)
        yield base, made
    finally:
        for user in made:
            subprocess.run(["userdel", user.name], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def as_user(user: TestUser, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    # setpriv executes the command itself (not through `env`): this machine's Python lives
    # under /root, which only an exec made while dropping privileges can reach.
    drop = ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups"]
    env = {"PATH": PATH, "HOME": str(user.home), "USER": user.name, "LOGNAME": user.name}
    return subprocess.run([*drop, *map(str, argv)], capture_output=True, text=True,
                          check=False, cwd=REPO, env=env)  # fmt: skip


def kodos_as(user: TestUser, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return as_user(user, sys.executable, "-m", "kodos", *args)


def kodos_as_root(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """kodos run by root; with `--for`, it goes on as another user inside the same process,
    so it needs a Python whose standard library every user can read (`python_for_everyone`)."""
    return subprocess.run([*python_for_everyone(), *map(str, args)], capture_output=True,
                          text=True, check=False, cwd=REPO)  # fmt: skip


def python_for_everyone() -> list[str]:
    """`python -m kodos` with this interpreter, or — when its standard library is in a
    directory only root can enter (a pyenv build under /root) — with the system's Python of
    the same version and this environment's packages (its .pth files too, for the editable
    kodos): a process that drops root mid-way must still be able to import."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if all(os.stat(d).st_mode & 0o001 for d in [stdlib, *stdlib.parents]):
        return [sys.executable, "-m", "kodos"]
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.exists():
        pytest.fail(f"{stdlib} is root's alone and there is no {system}", pytrace=False)
    packages = sysconfig.get_paths()["purelib"]
    start = (
        f"import runpy, site, sys; site.addsitedir({packages!r}); sys.argv[0] = 'kodos'; "
        "runpy.run_module('kodos', run_name='__main__', alter_sys=True)"
    )
    return [str(system), "-c", start]


def home_tree(user: TestUser) -> dict[str, str]:
    """What the home holds, but kodos's state: path → content or link target."""
    found = {}
    for path in sorted(user.home.rglob("*")):
        relative = path.relative_to(user.home).as_posix()
        if relative.startswith((".local/state/kodos", ".cache")):
            continue
        if path.is_symlink():
            found[relative] = "-> " + os.readlink(path)
        elif path.is_file():
            found[relative] = path.read_text()
    return found
