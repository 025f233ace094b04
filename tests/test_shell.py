"""`kodos shell`: packages a root lacks run inside a throwaway environment, as root and as a
normal user, cold and warm, and the root (its files, its pacman database) stays byte-identical;
every refusal says exactly what is wrong."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kodos.config.types import ARCH_PACKAGE_RE
from kodos.shell.request import PACKAGE_NAME
from tests.support.catalog import base_packages
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import BUILD_DATE, Mirror, Pkg, build_mirror, pkginfo, write_pacman_conf
from tests.support.privilege import require_root_for
from tests.support.target import TargetRoot, make_root
from tests.support.tools import require_tools

USER_ID = 4242
"""The normal user's uid (and gid): not the overflow id 65534, which the system's root-owned
files show as inside, so that a file owned by the user is told apart from one nobody maps."""
OVERFLOW_ID = 65534

# Root's environments live in /var/cache/kodos/shell whatever its environment says: each root
# run gets a private mount namespace with a temporary directory bound over /var/cache, so tests
# never touch the machine's cache.
AS_ROOT = """\
import os, sys
from pathlib import Path
from kodos.shell import namespace
namespace.enter_as_root()
namespace.bind(Path(sys.argv[1]), Path("/var/cache"))
os.execv(sys.executable, [sys.executable, "-m", "kodos", *sys.argv[2:]])
"""


# A user namespace mapping 65536 ids (root writes the child's maps, as newuidmap would), whose
# user.max_user_namespaces is then set to 0; the command runs inside.
NO_USER_NAMESPACES = """\
import ctypes, os, sys
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(write)
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:
        os._exit(90)
    os.read(read, 1)  # the maps are written
    open("/proc/sys/user/max_user_namespaces", "w").write("0")
    os.execvp(sys.argv[1], sys.argv[1:])
import time
for _ in range(500):
    if os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user"):
        break
    time.sleep(0.01)
for name in ("uid_map", "gid_map"):
    with open(f"/proc/{pid}/{name}", "w") as handle:
        handle.write("0 0 65536")
os.write(write, b"x")
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def packages() -> list[Pkg]:
    return [
        *base_packages(),
        Pkg("hello", "1.0-1", repo="extra", depends=["libgreet"],
            files={"usr/bin/hello": "#!/bin/sh\necho hello from $(cat /usr/share/libgreet/word)\n"}),
        Pkg("libgreet", "2.0-1", repo="extra", files={"usr/share/libgreet/word": "greet\n"}),
        Pkg("neovim", "0.10.2-1", repo="extra", files={"usr/bin/nvim": "#!/bin/sh\necho nvim\n"}),
        Pkg("booty", "1-1", repo="extra", files={"boot/vmlinuz-booty": "kernel\n"}),
        Pkg("quitter", "1-1", repo="extra", files={"usr/bin/quitter": "#!/bin/sh\nexit 42\n"}),
        Pkg("tools", "1-1", repo="extra", files={"opt/tools/bin/tool": "#!/bin/sh\necho tool\n",
                                                   "var/lib/tools/state": "fresh\n"}),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def shared_base() -> Iterator[Path]:
    """A directory every account may enter (pytest's tmp_path is root's alone)."""
    require_root_for("real pacman installs into real roots, and setpriv changes user")
    require_tools(*PACMAN_TOOLS, "busybox", "setpriv")
    with tempfile.TemporaryDirectory(prefix="kodos-shell-test-") as tmp:
        os.chmod(tmp, 0o755)
        yield Path(tmp)


def add_owned_package(mirror: Mirror) -> None:
    """`webapp`, whose /var/lib/webapp belongs to http (uid 33), as Arch's web apps' data
    does: tests.support.mirror makes every file root's, so this archive is written here and
    added with the real repo-add."""
    pkg = Pkg("webapp", "1-1", repo="extra")
    buffer = io.BytesIO()
    gz = gzip.GzipFile(fileobj=buffer, mode="wb", mtime=BUILD_DATE)
    with gz, tarfile.open(fileobj=gz, mode="w") as tar:
        members = [
            (".PKGINFO", pkginfo(pkg, 5).encode(), 0, 0o644),
            ("var/", None, 0, 0o755),
            ("var/lib/", None, 0, 0o755),
            ("var/lib/webapp/", None, 33, 0o750),
            ("var/lib/webapp/data", b"data\n", 33, 0o644),
        ]
        for name, data, uid, mode in members:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE if data is None else tarfile.REGTYPE
            info.mtime, info.mode, info.size = BUILD_DATE, mode, len(data or b"")
            info.uid = info.gid = uid
            info.uname = info.gname = "http" if uid else "root"
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    path = mirror.repo_dir("extra") / pkg.filename
    path.write_bytes(buffer.getvalue())
    db = mirror.repo_dir("extra") / "extra.db.tar.gz"
    subprocess.run(["repo-add", "--quiet", str(db), str(path)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def mirror(shared_base: Path) -> Mirror:
    built = build_mirror(shared_base / "mirror", packages())
    add_owned_package(built)
    return built


@pytest.fixture
def system(shared_base: Path, mirror: Mirror, tmp_path: Path) -> Path:
    """A root with `base` and synchronised databases, readable by everyone, writable by root."""
    root = make_root(Path(tempfile.mkdtemp(dir=shared_base)))
    root.chmod(0o755)
    conf = write_pacman_conf(root / "etc/pacman.conf", mirror)
    TargetRoot(root, conf).install("base")
    return root


@pytest.fixture
def upgradable(shared_base: Path, mirror: Mirror) -> Path:
    """A root with libgreet 1.0 (holding a file 2.0 no longer has), synchronised with the
    mirror that offers 2.0."""
    old = build_mirror(Path(tempfile.mkdtemp(dir=shared_base)), [
        *base_packages(),
        Pkg("libgreet", "1.0-1", repo="extra", files={"usr/share/libgreet/old": "old\n"}),
    ])  # fmt: skip
    root = make_root(Path(tempfile.mkdtemp(dir=shared_base)))
    root.chmod(0o755)
    target = TargetRoot(root, write_pacman_conf(root / "etc/pacman.conf", old))
    target.install("base", "libgreet")
    write_pacman_conf(root / "etc/pacman.conf", mirror)
    target.pacman("-Syy")  # both mirrors date their databases alike: force
    return root


@pytest.fixture
def root_cache(tmp_path: Path) -> Path:
    cache = tmp_path / "var-cache"
    cache.mkdir(mode=0o755)
    return cache


def as_root(
    cache: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", AS_ROOT, str(cache), *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/", env=env)


def as_user(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = ["setpriv", f"--reuid={USER_ID}", f"--regid={USER_ID}", "--clear-groups",
            sys.executable, "-m", "kodos", *map(str, args)]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env, cwd="/")


@pytest.fixture
def user_home(shared_base: Path) -> Path:
    home = Path(tempfile.mkdtemp(dir=shared_base))
    os.chown(home, USER_ID, USER_ID)
    return home


def snapshot(root: Path) -> dict[str, object]:
    """Every path under `root` with its type, mode, owner and content (links as targets)."""
    found: dict[str, object] = {}
    for directory, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            full = Path(directory, name)
            info = full.lstat()
            if full.is_symlink():
                what: object = ("link", os.readlink(full))
            elif full.is_file():
                what = hashlib.sha256(full.read_bytes()).hexdigest()
            else:
                what = "directory"
            found[str(full.relative_to(root))] = (what, info.st_mode, info.st_uid, info.st_gid)
    return found


def mounts_under(*paths: Path) -> list[str]:
    text = Path("/proc/self/mountinfo").read_text()
    return [line for line in text.splitlines() for p in paths if str(p) in line]


def shell(system: Path, *words: str, command: Sequence[str]) -> list[str]:
    argv = ["shell", "--root", str(system)]
    for word in words:
        argv += ["-p", word]
    return [*argv, "--", *command]


# ---- as root --------------------------------------------------------------------------------


@pytest.mark.system
def test_a_package_the_root_lacks_runs_inside_and_the_root_stays_byte_identical(
    system: Path, root_cache: Path
) -> None:
    before = snapshot(system)
    done = as_root(root_cache, *shell(system, "neovim", command=["nvim"]))
    assert (done.returncode, done.stdout) == (0, "nvim\n"), done.stderr
    assert "kodos shell: installing neovim into a new environment" in done.stderr
    assert snapshot(system) == before
    assert not (system / "usr/bin/nvim").exists()
    assert mounts_under(system, root_cache) == []


@pytest.mark.system
def test_dependencies_come_along_and_a_warm_start_only_mounts(
    system: Path, root_cache: Path
) -> None:
    before = snapshot(system)
    cold = as_root(root_cache, *shell(system, "hello", command=["hello"]))
    assert (cold.returncode, cold.stdout) == (0, "hello from greet\n"), cold.stderr
    warm = as_root(root_cache, *shell(system, "hello", command=["hello"]))
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, "hello from greet\n", "")
    listed = as_root(root_cache, "shell", "--list")
    assert listed.returncode == 0 and f"{system}  hello" in listed.stdout, listed.stdout
    assert snapshot(system) == before


@pytest.mark.system
def test_the_environment_shows_its_packages_and_session_writes_vanish(
    system: Path, root_cache: Path
) -> None:
    script = "echo $KODOS_SHELL; cat /var/lib/tools/state; /opt/tools/bin/tool; echo x > /usr/bin/scratch"
    done = as_root(root_cache, *shell(system, "tools", "hello", command=["sh", "-c", script]))
    assert (done.returncode, done.stdout) == (0, "tools hello\nfresh\ntool\n"), done.stderr
    again = as_root(
        root_cache, *shell(system, "hello", "tools", command=["ls", "/usr/bin/scratch"])
    )
    assert again.returncode == 1 and again.stdout == ""
    assert not (system / "usr/bin/scratch").exists() and not (system / "opt").exists()


@pytest.mark.system
def test_without_a_command_the_users_shell_runs(system: Path, root_cache: Path) -> None:
    env = {**os.environ, "SHELL": "/usr/bin/hello"}  # a "shell" only the environment has
    done = as_root(root_cache, "shell", "--root", system, "-p", "hello", env=env)
    assert (done.returncode, done.stdout) == (0, "hello from greet\n"), done.stderr


@pytest.mark.system
def test_a_failing_command_passes_its_exit_status_through(system: Path, root_cache: Path) -> None:
    done = as_root(root_cache, *shell(system, "quitter", command=["quitter"]))
    assert done.returncode == 42, done.stderr
    missing = as_root(root_cache, *shell(system, "quitter", command=["no-such-program"]))
    assert missing.returncode == 127
    assert missing.stderr == "error: no-such-program: command not found in the environment\n"


@pytest.mark.system
def test_two_shells_at_once_build_once_and_both_run(system: Path, root_cache: Path) -> None:
    argv = [sys.executable, "-c", AS_ROOT, str(root_cache),
            *shell(system, "hello", command=["hello"])]  # fmt: skip
    running = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    results = [process.communicate() for process in running]
    assert [process.returncode for process in running] == [0, 0], results
    assert [out for out, _ in results] == ["hello from greet\n"] * 2
    builds = sum("installing hello" in err for _, err in results)
    assert builds == 1, results
    assert len(list((root_cache / "kodos/shell").glob("*.lock"))) == 1


@pytest.mark.system
def test_a_warm_start_runs_while_pacman_holds_the_systems_lock(
    system: Path, root_cache: Path
) -> None:
    """A shell never needs the system's pacman lock (an apply or a pacman may hold it)."""
    assert as_root(root_cache, *shell(system, "neovim", command=["true"])).returncode == 0
    lock = system / "var/lib/pacman/db.lck"
    lock.touch()
    packages = TargetRoot(system, system / "etc/pacman.conf").query("-Q")
    done = as_root(root_cache, *shell(system, "neovim", command=["nvim"]))
    assert (done.returncode, done.stdout) == (0, "nvim\n"), done.stderr
    assert lock.read_bytes() == b""
    lock.unlink()
    assert TargetRoot(system, system / "etc/pacman.conf").query("-Q") == packages


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether `condition` holds within `seconds` (processes start and end asynchronously)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def processes_running(*argv: str) -> list[int]:
    wanted = "\0".join(argv).encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == wanted:
                found.append(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return found


@pytest.mark.system
def test_killing_kodos_leaves_no_process_and_no_mount(system: Path, root_cache: Path) -> None:
    marker = ["sleep", f"1{os.getpid()}.5"]  # this run's own, whatever else runs
    script = f"echo up; exec {' '.join(marker)}"
    argv = [sys.executable, "-c", AS_ROOT, str(root_cache),
            *shell(system, "neovim", command=["sh", "-c", script])]  # fmt: skip
    running = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert running.stdout is not None
        assert running.stdout.readline() == "up\n"
        assert wait_for(lambda: len(processes_running(*marker)) == 1)
    finally:
        running.kill()
        running.communicate(timeout=30)  # the pipe closes once the killed kodos's child is gone
    assert wait_for(lambda: processes_running(*marker) == [])
    assert mounts_under(system, root_cache) == []


@pytest.mark.system
def test_gc_keeps_an_environment_in_use(system: Path, root_cache: Path) -> None:
    argv = [sys.executable, "-c", AS_ROOT, str(root_cache),
            *shell(system, "neovim", command=["sh", "-c", "echo up; read line"])]  # fmt: skip
    running = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert running.stdout is not None and running.stdin is not None
    assert running.stdout.readline() == "up\n"
    gc = as_root(root_cache, "shell", "--gc")
    running.stdin.write("done\n")
    running.communicate()
    key = next(path.name for path in (root_cache / "kodos/shell").iterdir() if "." not in path.name)
    assert gc.stdout == "removed 0 environment(s) from /var/cache/kodos/shell\n"
    assert gc.stderr == f"kept {key}: a shell is using it\n"


@pytest.mark.system
def test_a_cache_others_can_write_is_refused(system: Path, user_home: Path) -> None:
    cache = user_home / ".cache"
    cache.mkdir()
    os.chown(cache, USER_ID, USER_ID)
    cache.chmod(0o777)
    done = as_user(user_home, *shell(system, "hello", command=["hello"]))
    assert (done.returncode, done.stderr) == (
        1,
        f"error: cache {cache}: writable by others (mode 0777)\n",
    )
    assert list(cache.iterdir()) == []


@pytest.mark.system
def test_gc_removes_the_cache(system: Path, root_cache: Path) -> None:
    assert as_root(root_cache, *shell(system, "neovim", command=["true"])).returncode == 0
    done = as_root(root_cache, "shell", "--gc")
    assert done.returncode == 0 and "removed 1 environment(s)" in done.stdout
    assert list((root_cache / "kodos/shell").iterdir()) == []
    listed = as_root(root_cache, "shell", "--list")
    assert listed.stdout == f"no environments cached in {Path('/var/cache/kodos/shell')}\n"


# ---- as a normal user -----------------------------------------------------------------------


@pytest.mark.system
def test_a_normal_user_gets_a_shell_over_a_root_it_cannot_write(
    system: Path, user_home: Path
) -> None:
    before = snapshot(system)
    script = "hello; id -u; echo $KODOS_SHELL"
    done = as_user(user_home, *shell(system, "hello", command=["sh", "-c", script]))
    assert (done.returncode, done.stdout) == (0, f"hello from greet\n{USER_ID}\nhello\n"), (
        done.stderr
    )
    warm = as_user(user_home, *shell(system, "hello", command=["hello"]))
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, "hello from greet\n", "")
    status = as_user(user_home, *shell(system, "hello", command=["sh", "-c", "exit 3"]))
    assert status.returncode == 3
    assert snapshot(system) == before
    assert mounts_under(system, user_home) == []
    gc = as_user(user_home, "shell", "--gc")
    assert gc.returncode == 0, gc.stderr
    assert list((user_home / ".cache/kodos/shell").iterdir()) == []


UPGRADED = "ls /usr/share/libgreet; ls /var/lib/pacman/local | grep libgreet"


@pytest.mark.system
@pytest.mark.parametrize("who", ["root", "user"])
def test_an_upgrade_inside_hides_the_old_files(
    who: str, upgradable: Path, root_cache: Path, user_home: Path
) -> None:
    def kodos(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return as_root(root_cache, *args) if who == "root" else as_user(user_home, *args)

    before = snapshot(upgradable)
    done = kodos(*shell(upgradable, "libgreet", command=["sh", "-c", UPGRADED]))
    assert (done.returncode, done.stdout) == (0, "word\nlibgreet-2.0-1\n"), done.stderr
    warm = kodos(*shell(upgradable, "libgreet", command=["sh", "-c", UPGRADED]))
    assert warm.stdout == "word\nlibgreet-2.0-1\n"
    assert snapshot(upgradable) == before


OWNERS = "stat -c '%u %n' /var/lib/webapp /var/lib/webapp/data"


@pytest.mark.system
def test_files_packages_give_to_others_keep_their_owner_as_root(
    system: Path, root_cache: Path
) -> None:
    done = as_root(root_cache, *shell(system, "webapp", command=["sh", "-c", OWNERS]))
    assert (done.returncode, done.stdout) == (0, "33 /var/lib/webapp\n33 /var/lib/webapp/data\n")


@pytest.mark.system
def test_files_packages_give_to_others_belong_to_a_normal_user_inside(
    system: Path, user_home: Path
) -> None:
    owners = OWNERS + " /usr/bin/busybox"
    done = as_user(user_home, *shell(system, "webapp", command=["sh", "-c", owners]))
    expected = (
        f"{USER_ID} /var/lib/webapp\n{USER_ID} /var/lib/webapp/data\n"
        f"{OVERFLOW_ID} /usr/bin/busybox\n"
    )
    assert (done.returncode, done.stdout) == (0, expected), done.stderr


@pytest.mark.system
def test_without_unprivileged_user_namespaces_the_refusal_suggests_root(
    system: Path, user_home: Path
) -> None:
    """Inside a user namespace whose user.max_user_namespaces is 0, as a normal user there."""
    env = {**os.environ, "HOME": str(user_home), "XDG_CACHE_HOME": str(user_home / ".cache")}
    inner = ["setpriv", f"--reuid={USER_ID}", f"--regid={USER_ID}", "--clear-groups",
             sys.executable, "-m", "kodos", *shell(system, "hello", command=["hello"])]  # fmt: skip
    argv = [sys.executable, "-c", NO_USER_NAMESPACES, *inner]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, cwd="/")
    assert done.returncode == 1
    assert done.stderr.endswith(
        "error: this kernel does not let normal users create user namespaces "
        "(user.max_user_namespaces is 0), which kodos shell needs without root: "
        "run it as root (sudo kodos shell ...)\n"
    ), done.stderr


# ---- refusals -------------------------------------------------------------------------------


@pytest.mark.system
def test_refusals_say_exactly_what_is_wrong(system: Path, root_cache: Path) -> None:
    cases = {
        ("helo",): 'error: no package or group named "helo" in the repositories (core, extra); '
        'did you mean "hello"?\n',
        ("aur:smem",): 'error: -p "aur:smem": AUR packages are not supported by kodos shell yet '
        "(they come with issue 13, which builds AUR packages); use a repository package\n",
        ("flatpak:org.gnome.Maps",): 'error: -p "flatpak:org.gnome.Maps": kodos shell installs '
        "pacman packages only; run a Flatpak app without installing it for good with "
        "`flatpak run org.gnome.Maps` after `flatpak install --user`, or declare it in the "
        "configuration\n",
        ("Bad Name",): 'error: -p "Bad Name": not a package name\n',
    }
    before = snapshot(system)
    for words, message in cases.items():
        done = as_root(root_cache, *shell(system, *words, command=["true"]))
        assert (done.returncode, done.stderr) == (1, message), words
    nothing = as_root(root_cache, "shell", "--root", system)
    assert nothing.stderr == "error: kodos shell needs at least one package: -p NAME\n"
    assert snapshot(system) == before
    assert not list((root_cache / "kodos/shell").glob("*/"))


@pytest.mark.system
def test_a_package_writing_outside_the_overlays_fails_the_build_and_changes_nothing(
    system: Path, root_cache: Path
) -> None:
    (system / "boot").mkdir()
    before = snapshot(system)
    done = as_root(root_cache, *shell(system, "booty", command=["true"]))
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        1,
        "error: pacman could not install booty: warning given when extracting "
        "/boot/vmlinuz-booty (Could not unlink)",
    )
    assert snapshot(system) == before
    assert list((root_cache / "kodos/shell").glob("*/")) == []


@pytest.mark.system
def test_without_sync_databases_the_refusal_says_how_to_get_them(
    shared_base: Path, root_cache: Path
) -> None:
    bare = make_root(Path(tempfile.mkdtemp(dir=shared_base)))
    done = as_root(root_cache, *shell(bare, "hello", command=["true"]))
    assert (done.returncode, done.stderr) == (
        1,
        f"error: no sync databases in {bare}/var/lib/pacman/sync: kodos shell installs from "
        "the repositories the system has synchronised; download them first with "
        "`pacman -Sy` (as root)\n",
    )


def test_package_names_follow_the_configurations_rule() -> None:
    assert PACKAGE_NAME.pattern == ARCH_PACKAGE_RE
