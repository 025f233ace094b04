"""`dotmgr.stow{source_dir, target_dir, repo_url}` / `configs.stow{...}`: dotfiles as GNU Stow
would link them, pinned to a commit.

With `repo_url`, the repository is fetched into kodos's cache (`cache_dir/dotfiles/`, never into
the home: planning changes nothing there) under `kodos/system/git.py`'s rules, with only the
http(s), ssh, git and file transports allowed, and the fetched commit is what the plan shows
(the remote's HEAD is listed on every plan; a commit the cache already holds is not fetched
again). The home generation gets that commit's files (`export`, a `HomeTree`) and the links
point into them (`@gen/tree/dotfiles/<package>/…`), so a rollback restores the dotfiles'
content, not only the links. `source_dir` is then not used (upstream cloned into it; kodos
keeps its own copy).

Without `repo_url`, `source_dir` is used as it is: the links point to it, and a rollback
restores the links only — the files are whatever the directory holds.

Which links: the packages that enabled `programs.NAME.deploy_config` and `deploy_configs`
name, stowed by the real `stow -n -v --no-folding` into an empty scratch target. Stow's own
rules decide (its ignore lists, `.stow-local-ignore`) and its conflicts (two packages with the
same file, an absolute symlink in a package) are reported. `--no-folding` makes a link per file,
never a link to a whole directory: files that programs create in `~/.config/nvim/` must not
land in a generation. Collisions with what is already in the home are judged by the home
activation, not by stow (stow would see kodos's own links as foreign).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kodos.config.types import home_relative
from kodos.errors import KodosError, Problem
from kodos.home.items import GENERATION_PREFIX, HomeLink, HomeTree, HomeWanted
from kodos.system.atomic import write_text_atomic
from kodos.system.git import GitRules
from kodos.system.jsonfile import FileFormatError, read_model
from kodos.system.runner import CommandFailed, last_error_line, run
from kodos.text.lazyregex import lazy
from kodos.text.shown import quoted

TREE_NAME = "dotfiles"
# The user's own git configuration is honoured (a private repository needs its credentials
# and ssh setup): kodos/system/git.py says what still cannot run. Batch mode: ssh must fail,
# not ask for a passphrase or a host key nobody is there to confirm. An askpass answering
# nothing makes git's own "Authentication failed for URL" the reason shown, rather than a
# failing askpass's.
_GIT = GitRules(
    transports=("https", "http", "ssh", "git", "file"),
    environment=(("GIT_SSH_COMMAND", "ssh -oBatchMode=yes"), ("GIT_ASKPASS", "true")),
)
_PACKAGE = lazy(r"[A-Za-z0-9_@+][A-Za-z0-9_.@+-]*")
# stow 2.4 may add "(duplicates previous action)" or "(reverts previous action)".
_STOW_LINK = lazy(
    r"^LINK: (?P<link>.+?) => (?P<target>.+?)(?: \((duplicates|reverts) previous action\))?$"
)
_COMMIT = lazy(r"[0-9a-f]{40}|[0-9a-f]{64}")
_STOW_CONFLICTS = lazy(r"^WARNING! stowing (?P<package>.+) would cause conflicts:$")


class StowError(KodosError):
    """The dotfile repository could not be fetched or exported."""


@dataclass(frozen=True)
class Package:
    """A stow package to deploy and the configuration path that names it."""

    name: str
    source: str


@dataclass
class Deployment(HomeWanted):
    """What the dotfile manager asks for in the home (its trees, links and notes), and the
    problems found."""

    problems: list[Problem] = field(default_factory=list)


def deploy(
    *,
    source_dir: str,
    target_dir: str,
    repo_url: str | None,
    packages: Sequence[Package],
    home: Path,
    cache_dir: Path,
    at: str,
) -> Deployment:
    """The tree and links for `packages`; `at` is the configuration path of the stow table."""
    done = Deployment()
    by_name: dict[str, str] = {}
    for package in packages:
        if not _PACKAGE.fullmatch(package.name):
            done.problems.append(
                Problem(package.source, f"{quoted(package.name)} is not a stow package name")
            )
        by_name.setdefault(package.name, package.source)
    if done.problems or not by_name:
        return done
    found = _stow_dir(source_dir, repo_url, home, cache_dir, at, done)
    if found is None:
        return done
    stow_dir, shown, link_base = found
    missing = [name for name in by_name if not _is_package(stow_dir, name)]
    done.problems.extend(
        Problem(by_name[name], f"the dotfiles have no stow package {quoted(name)} ({shown})")
        for name in missing
    )
    if missing:
        return done
    links, conflicts = _links(stow_dir, list(by_name), cache_dir if done.trees else None)
    done.problems.extend(
        Problem(by_name.get(package, at), f"stow would refuse package {quoted(package)}: {line}")
        for package, line in conflicts
    )
    target = _in_home(target_dir)
    prefix = "" if target == "." else target + "/"
    done.links.extend(
        HomeLink(prefix + link, link_base + rel, by_name[rel.split("/", 1)[0]])
        for link, rel in links
    )
    return done


def _stow_dir(
    source_dir: str, repo_url: str | None, home: Path, cache_dir: Path, at: str, done: Deployment
) -> tuple[Path, str, str] | None:
    """The directory stow reads, how messages name it, and what a link's target starts with:
    the fetched commit (its tree recorded in `done`) or `source_dir` itself."""
    if repo_url is not None:
        git_dir, commit = fetch(repo_url, cache_dir, at=f"{at}.repo_url")
        tree = HomeTree(TREE_NAME, git_dir, commit, at)
        done.trees.append(tree)
        done.notes.append(
            f"dotfiles: {repo_url} at {commit} (kept in {git_dir}; source_dir is not used)"
        )
        shown = f"{repo_url} at {commit[:12]}"
        return _planning_copy(tree, cache_dir), shown, f"{GENERATION_PREFIX}tree/{TREE_NAME}/"
    source = home / _in_home(source_dir)
    if not source.is_dir():
        done.problems.append(
            Problem(
                f"{at}.source_dir",
                f"{source} is not a directory (without repo_url the dotfiles are used "
                "where they are)",
            )
        )
        return None
    return source, str(source), f"{source}/"


class _StowAnswer(BaseModel):
    """What stow said for one commit and package list, kept in the cache (a commit's files do
    not change, so neither does the answer of the same stow): links and conflicts."""

    model_config = ConfigDict(extra="forbid")
    format_version: Literal["1"]
    stow: str  # the stow program's path, size and mtime: another stow may answer otherwise
    links: list[tuple[str, str]]
    conflicts: list[tuple[str, str]]


def _links(
    stow_dir: Path, packages: list[str], cache_dir: Path | None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """`stow_links`, answered from the cache for a fetched commit (`cache_dir` given) when
    the same stow answered it before; a cache file that is damaged is recomputed."""
    if cache_dir is None:
        return stow_links(stow_dir, packages)
    program = shutil.which("stow")
    found = os.stat(program) if program else None
    stow_id = f"{program}:{found.st_size}:{found.st_mtime_ns}" if found else "none"
    key = hashlib.sha256(json.dumps([stow_dir.name, packages, stow_id]).encode()).hexdigest()
    path = cache_dir / TREE_NAME / "links" / f"{key[:32]}.json"
    try:
        answer = read_model(path, _StowAnswer)
        if answer.stow == stow_id:
            return answer.links, answer.conflicts
    except (FileFormatError, OSError):
        pass
    links, conflicts = stow_links(stow_dir, packages)
    fresh = _StowAnswer(format_version="1", stow=stow_id, links=links, conflicts=conflicts)
    write_text_atomic(path, fresh.model_dump_json())
    return links, conflicts


def stow_links(
    stow_dir: Path, packages: Sequence[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What `stow --no-folding` would do for `packages` of `stow_dir` in an empty target:
    (link path, path in stow_dir it points to) pairs, and (package, conflict) pairs."""
    with tempfile.TemporaryDirectory(prefix="kodos-stow-") as scratch:
        done = run(
            [
                "stow",
                "-n",
                "-v",
                "--no-folding",
                "-d",
                str(stow_dir),
                "-t",
                scratch,
                "--",
                *packages,
            ],
            check=False,
        )
        links: list[tuple[str, str]] = []
        conflicts: list[tuple[str, str]] = []
        package = ""
        for line in done.stderr.splitlines():
            if match := _STOW_LINK.match(line):
                pointed = os.path.normpath(
                    os.path.join(scratch, os.path.dirname(match["link"]), match["target"])
                )
                links.append((match["link"], os.path.relpath(pointed, stow_dir)))
            elif match := _STOW_CONFLICTS.match(line):
                package = match["package"]
            elif line.startswith("  * "):
                conflicts.append((package, _in_stow_dir(line[4:], stow_dir)))
    if done.returncode != 0 and not conflicts:
        raise CommandFailed(done.args, done.returncode, done.stderr)
    return sorted(links), conflicts


def _in_stow_dir(message: str, stow_dir: Path) -> str:
    """Stow's message with its paths into the stow directory (relative to a scratch target)
    shown as paths inside it: `../../x/trees/<commit>/zsh/.hostname` → `zsh/.hostname`."""
    marker = f"/{stow_dir.name}/"
    words = [word.partition(marker)[2] if marker in word else word for word in message.split(" ")]
    return " ".join(words)


def fetch(url: str, cache_dir: Path, *, at: str) -> tuple[Path, str]:
    """The cache's bare repository for `url`, updated from it, and the commit of its HEAD."""
    git_dir = cache_dir / TREE_NAME / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
    if not (git_dir / "HEAD").is_file():
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        run(_GIT.argv(["init", "-q", "--bare", str(git_dir)]), env=_GIT.env())
    else:
        cached = _cached_head(url, git_dir)
        if cached is not None:
            return git_dir, cached
    fetched = run(
        _GIT.argv(
            ["--git-dir", str(git_dir), "fetch", "-q", "--no-tags", "--no-recurse-submodules",
             "--depth=1", "--", url, "+HEAD:refs/kodos/head"]
        ),
        env=_GIT.env(),
        check=False,
    )  # fmt: skip
    if fetched.returncode != 0:
        raise StowError(f"{at}: cannot fetch {url}: {_git_reason(fetched.stderr)}")
    commit = run(
        _GIT.argv(["--git-dir", str(git_dir), "rev-parse", "--verify", "refs/kodos/head^{commit}"]),
        env=_GIT.env(),
    ).stdout.strip()
    return git_dir, commit


def _cached_head(url: str, git_dir: Path) -> str | None:
    """The remote's HEAD commit when the cache already holds it as `refs/kodos/head`, else
    None (then `fetch` fetches, and reports any error). The remote is still asked every time
    (a plan must notice it moved), but `git ls-remote` only lists refs: no pack is built,
    sent or unpacked, and no `rev-parse` follows. A ref that git packed away reads as None."""
    listed = run(
        _GIT.argv(["--git-dir", str(git_dir), "ls-remote", "--", url, "HEAD"]),
        env=_GIT.env(),
        check=False,
    )
    if listed.returncode != 0:
        return None
    # The pattern also matches refs/remotes/*/HEAD: only the line for HEAD itself counts.
    remote = next(
        (sha for sha, _, ref in (line.partition("\t") for line in listed.stdout.splitlines())
         if ref == "HEAD"),
        None,
    )  # fmt: skip
    try:
        local = (git_dir / "refs" / "kodos" / "head").read_text().strip()
    except OSError:
        return None
    return remote if remote is not None and remote == local and _COMMIT.fullmatch(remote) else None


def _git_reason(stderr: str) -> str:
    """git's first `fatal:`/`error:` line says why (the lines after it say "Could not read
    from remote repository" whatever the reason)."""
    for line in stderr.splitlines():
        head, colon, reason = line.partition(": ")
        if colon and head in ("fatal", "error"):
            return reason.strip()
    return last_error_line(stderr, "git")


def export(tree: HomeTree, dest: Path) -> None:
    """Exactly the files of `tree.commit` into `dest` (created; expected empty): git's own
    checkout of that tree, through a private index, so the repository is not changed."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kodos-index-") as scratch:
        env = {**_GIT.env(), "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        where = ["--git-dir", str(tree.git_dir), "--work-tree", str(dest)]
        try:
            run(_GIT.argv([*where, "read-tree", tree.commit]), env=env)
            run(_GIT.argv([*where, "checkout-index", "-a", "-f"]), env=env)
        except CommandFailed as err:
            raise StowError(
                f"cannot export {tree.commit} of {tree.git_dir}: {err.message}"
            ) from err


def _planning_copy(tree: HomeTree, cache_dir: Path) -> Path:
    """The commit's files in the cache, exported once, for stow to read while planning."""
    copy = cache_dir / TREE_NAME / "trees" / tree.commit
    if copy.is_dir():
        return copy
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=copy.parent.parent))
    try:
        export(tree, building)
        copy.parent.mkdir(parents=True, exist_ok=True)
        os.rename(building, copy)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return copy


def _is_package(stow_dir: Path, name: str) -> bool:
    path = stow_dir / name
    return path.is_dir() and not path.is_symlink()


def _in_home(path: str) -> str:
    """A home path of the model (`~/`, `~/sub`, `sub`) as a home-relative path, "." for the
    home itself."""
    return home_relative(path) or "."
