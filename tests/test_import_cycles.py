"""No import cycle in kodos: the data flows one way, and no layer reaches back into an earlier one.

A part is each top-level module or package of `kodos` (`kodos/plan`, `kodos/apply`,
`kodos/generations/history.py`, …) plus `providers` (kodos.providers) and `state` (kodos.state); no two
parts may import each other, directly or around a loop, and neither may two modules. Every
import counts wherever it stands — module level, inside a function, under TYPE_CHECKING — so a
lazy import cannot hide a cycle. The files are parsed with `ast`, never imported; relative
imports are resolved against the importing module, and `from a import b` names the module
`a.b` when there is one.
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Where each package of the installed `kodos` lives in this repository (pyproject.toml's
# package-dir), and which of them are parts of their own.
SOURCES = {
    "kodos": REPOSITORY / "kodos",
    "kodos.providers": REPOSITORY / "providers",
    "kodos.state": REPOSITORY / "state",
}
SEPARATE_PARTS = {"kodos.providers": "providers", "kodos.state": "state"}

# Imports from one part into another allowed to close a cycle, (importer, imported) → why.
# Empty, and meant to stay so: an entry is a debt for the re-layout (issue 10, item 2) to pay.
ALLOWED_BACK_EDGES: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True, slots=True)
class Import:
    """An import statement by which `importer` names `imported` (parts or modules)."""

    importer: str
    imported: str
    file: str
    line: int


Graph = dict[tuple[str, str], list[Import]]


def modules(sources: Mapping[str, Path]) -> dict[str, Path]:
    """Every module's dotted name and its file; a package is its `__init__.py`."""
    found = {}
    for package, directory in sources.items():
        for path in sorted(directory.rglob("*.py")):
            names = list(path.relative_to(directory).with_suffix("").parts)
            if names[-1] == "__init__":
                names.pop()
            found[".".join([package, *names])] = path
    return found


def imported_modules(
    tree: ast.Module, module: str, is_package: bool, known: set[str]
) -> Iterator[tuple[str, int]]:
    """The module each import statement anywhere in `tree` names, with its line."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:  # `from . import x`, `from ..a import y`
                base = package.rsplit(".", node.level - 1)[0]
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield (submodule if submodule in known else source), node.lineno


def import_graph(
    sources: Mapping[str, Path], node_of: Callable[[str], str | None], relative_to: Path
) -> Graph:
    """Every import between two nodes (`node_of` a module: its part, or itself; None for a
    module outside), grouped by (importer, imported), in file and line order."""
    found = modules(sources)
    known = set(found)
    edges: Graph = {}
    for module, path in found.items():
        importer = node_of(module)
        assert importer is not None, module
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        named = imported_modules(tree, module, path.name == "__init__.py", known)
        for name, line in sorted(set(named), key=lambda item: item[1]):
            imported = node_of(name)
            if imported is None or imported == importer:
                continue
            step = Import(importer, imported, str(path.relative_to(relative_to)), line)
            if step not in edges.setdefault((importer, imported), []):
                edges[importer, imported].append(step)
    return edges


def part_of(root: str, separate: Mapping[str, str]) -> Callable[[str], str | None]:
    """A module's part: a separate package's name, else the top-level module or package
    under `root` it belongs to (`root` itself for the root package)."""

    def part(module: str) -> str | None:
        for package, name in separate.items():
            if module == package or module.startswith(package + "."):
                return name
        if module == root:
            return root
        return module.split(".")[1] if module.startswith(root + ".") else None

    return part


def module_of(known: set[str]) -> Callable[[str], str | None]:
    return lambda module: module if module in known else None


def cycles(edges: Graph) -> list[list[Import]]:
    """A shortest cycle through each group of nodes that reach one another (each strongly
    connected component), as the imports that close it; none when every import is one-way."""
    following: dict[str, set[str]] = {}
    for importer, imported in edges:
        following.setdefault(importer, set()).add(imported)
        following.setdefault(imported, set())
    found: list[list[Import]] = []
    covered: set[str] = set()
    for start in sorted(following):
        way = None if start in covered else _shortest_way_back(start, following)
        if way is not None:
            covered |= _reaching_each_other(start, following)
            found.append([edges[step][0] for step in itertools.pairwise(way)])
    return found


def _shortest_way_back(start: str, following: Mapping[str, set[str]]) -> list[str] | None:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for following_node in sorted(following[node]):
            if following_node == start:
                way = [node]
                while way[-1] != start:
                    way.append(came_from[way[-1]])
                return [*reversed(way), start]
            if following_node not in came_from:
                came_from[following_node] = node
                queue.append(following_node)
    return None


def _reaching_each_other(start: str, following: Mapping[str, set[str]]) -> set[str]:
    preceding: dict[str, set[str]] = {node: set() for node in following}
    for node, targets in following.items():
        for target in targets:
            preceding[target].add(node)
    return _reachable(start, following) & _reachable(start, preceding)


def _reachable(start: str, graph: Mapping[str, set[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for node in graph[todo.pop()] - seen:
            seen.add(node)
            todo.append(node)
    return seen


def describe(cycle: list[Import], edges: Graph) -> str:
    """`plan → install → plan`, then each step with every import that makes it."""
    chain = " → ".join([cycle[0].importer, *(step.imported for step in cycle)])
    return chain + "".join(
        f"\n  {step.importer} → {step.imported}: "
        + ", ".join(f"{i.file}:{i.line}" for i in edges[step.importer, step.imported])
        for step in cycle
    )


def failure(edges: Graph) -> str:
    """The test's message: every cycle found, or "" for none."""
    found = cycles(edges)
    return (
        "\n".join(["import cycles:", *(describe(cycle, edges) for cycle in found)]) if found else ""
    )


def test_kodos_parts_import_one_way() -> None:
    edges = import_graph(SOURCES, part_of("kodos", SEPARATE_PARTS), REPOSITORY)
    stale = [edge for edge in ALLOWED_BACK_EDGES if edge not in edges]
    assert not stale, f"allowed back edges no import makes any more: {stale}"
    assert failure({e: i for e, i in edges.items() if e not in ALLOWED_BACK_EDGES}) == ""


def test_kodos_modules_import_one_way() -> None:
    """Within a part too: `install/build.py` and `install/run.py` once imported each other."""
    known = set(modules(SOURCES))
    assert failure(import_graph(SOURCES, module_of(known), REPOSITORY)) == ""


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# A package with every way an import may hide: lazy in a function, relative, under
# TYPE_CHECKING, `from pkg import module`, a separately installed package; and `e`, which
# imports without closing a cycle.
HIDDEN_CYCLES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg.b.inner import helper\n",
    "pkg/b/__init__.py": "",
    "pkg/b/inner.py": "def helper():\n    from ..a import thing\n    return thing\n",
    "pkg/c.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import pkg.d\n",
    "pkg/d.py": "import json\n\n\ndef f():\n    from pkg import c\n",
    "pkg/e.py": "from pkg import a, c\nfrom pkg.d import f\n",
    "pkg/f.py": "from pkg.extra.reader import read\n",
    "extra/__init__.py": "",
    "extra/reader.py": "from . import rows\n",
    "extra/rows.py": "def rows():\n    from pkg.f import g\n",
}


def test_a_cycle_is_found_however_its_imports_are_written(tmp_path: Path) -> None:
    write(tmp_path, HIDDEN_CYCLES)
    sources = {"pkg": tmp_path / "pkg", "pkg.extra": tmp_path / "extra"}
    parts = import_graph(sources, part_of("pkg", {"pkg.extra": "extra"}), tmp_path)
    assert failure(parts) == (
        "import cycles:\n"
        "a → b → a\n"
        "  a → b: pkg/a.py:1\n"
        "  b → a: pkg/b/inner.py:2\n"
        "c → d → c\n"
        "  c → d: pkg/c.py:4\n"
        "  d → c: pkg/d.py:5\n"
        "extra → f → extra\n"
        "  extra → f: extra/rows.py:2\n"
        "  f → extra: pkg/f.py:1"
    )
    known = set(modules(sources))
    assert failure(import_graph(sources, module_of(known), tmp_path)) == (
        "import cycles:\n"
        "pkg.a → pkg.b.inner → pkg.a\n"
        "  pkg.a → pkg.b.inner: pkg/a.py:1\n"
        "  pkg.b.inner → pkg.a: pkg/b/inner.py:2\n"
        "pkg.c → pkg.d → pkg.c\n"
        "  pkg.c → pkg.d: pkg/c.py:4\n"
        "  pkg.d → pkg.c: pkg/d.py:5\n"
        "pkg.extra.reader → pkg.extra.rows → pkg.f → pkg.extra.reader\n"
        "  pkg.extra.reader → pkg.extra.rows: extra/reader.py:1\n"
        "  pkg.extra.rows → pkg.f: extra/rows.py:2\n"
        "  pkg.f → pkg.extra.reader: pkg/f.py:1"
    )


def test_one_way_imports_are_no_cycle(tmp_path: Path) -> None:
    write(tmp_path, {**HIDDEN_CYCLES, "pkg/b/inner.py": "", "pkg/d.py": "", "extra/rows.py": ""})
    sources = {"pkg": tmp_path / "pkg", "pkg.extra": tmp_path / "extra"}
    parts = import_graph(sources, part_of("pkg", {"pkg.extra": "extra"}), tmp_path)
    assert sorted(parts) == [
        ("a", "b"),
        ("c", "d"),
        ("e", "a"),
        ("e", "c"),
        ("e", "d"),
        ("f", "extra"),
    ]
    assert failure(parts) == ""


# The layers of docs/architecture.md: a part may import its own layer and those below, never
# one above. Keep the two in step.
LAYERS: Mapping[str, int] = {
    **dict.fromkeys(["kodos", "errors", "steps", "text", "secrets", "disklayout"], 0),
    **dict.fromkeys(["resources", "vm"], 0),
    "system": 1,
    **dict.fromkeys(["lua", "config", "pacman", "systemd", "state", "aur"], 2),
    **dict.fromkeys(["desired", "providers"], 3),
    **dict.fromkeys(["plan", "generations"], 4),
    **dict.fromkeys(["apply", "shell", "home"], 5),
    "install": 6,
    "commands": 7,
    **dict.fromkeys(["cli", "__main__"], 8),
}


def test_each_part_imports_only_its_layer_and_those_below() -> None:
    edges = import_graph(SOURCES, part_of("kodos", SEPARATE_PARTS), REPOSITORY)
    parts = {part for edge in edges for part in edge}
    assert sorted(parts - set(LAYERS)) == [], "a part docs/architecture.md does not place"
    upward = [
        f"{importer} (layer {LAYERS[importer]}) → {imported} (layer {LAYERS[imported]}): "
        f"{steps[0].file}:{steps[0].line}"
        for (importer, imported), steps in sorted(edges.items())
        if LAYERS[importer] < LAYERS[imported]
    ]
    assert upward == []
