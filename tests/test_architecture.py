"""The package tree states the architecture: which package may import which, and no import cycle.

Every ``import`` in simulator/ counts, at module level or inside a function
(an import inside a function hides a cycle, it does not remove it). The rule
is the table below, the same as docs/architecture.md's; a new import that
breaks it, or a new cycle, fails here with the line that did it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulator"

# Each part of the tree, bottom to top, and the parts it may import. Every
# part may also import the package root (``simulator.__version__``).
FOUNDATION = {"paths", "i18n", "validate"}
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "i18n": set(),
    "validate": set(),
    "mail": FOUNDATION,
    "protocols": {"mail"} | FOUNDATION,
    "store": {"protocols", "mail"} | FOUNDATION,
    "lab": {"store", "protocols", "mail"} | FOUNDATION,
    "journey": {"lab", "store", "protocols", "mail"} | FOUNDATION,
    "course": {"lab", "store", "protocols", "mail"} | FOUNDATION,
    "quiz": {"course", "lab", "store", "protocols", "mail"} | FOUNDATION,
    "app": {"journey", "course", "quiz", "lab", "store", "protocols", "mail"} | FOUNDATION,
    "web": {"app", "journey", "course", "quiz", "lab", "store", "protocols", "mail"} | FOUNDATION,
    "cli": {"web", "app", "journey", "course", "quiz", "lab", "store", "protocols", "mail"} | FOUNDATION,
    "__main__": {"cli"},
}


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


MODULES = {module_name(p)[0]: p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """``(module, line)`` for every simulator module this file imports, wherever the import is."""
    name, is_pkg = module_name(path)
    package = name if is_pkg else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module or ""
            # `from pkg import mod` imports the module pkg.mod
            targets = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in MODULES else base_name
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != name:
                found.append((target, node.lineno))
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def test_every_part_of_the_tree_is_in_the_rule():
    assert {part_of(m) for m in MODULES} - {""} == set(ALLOWED)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_the_parts_below_it(module):
    mine = part_of(module)
    if not mine:
        return  # the package root (__version__) imports nothing
    wrong = [f"{MODULES[module].relative_to(ROOT)}:{line}: imports {target}"
             for target, line in GRAPH[module]
             if part_of(target) and part_of(target) != mine and part_of(target) not in ALLOWED[mine]]
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle():
    edges = {m: sorted({t for t, _ in targets}) for m, targets in GRAPH.items()}
    # Tarjan's strongly connected components: any with two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_every_package_says_what_it_is_for_and_what_it_may_import():
    for path in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert len(doc) > 80, f"{path.relative_to(ROOT)}: a package needs a docstring saying what it is for"
        if path.parent != PACKAGE:
            assert "import" in doc, f"{path.relative_to(ROOT)}: the docstring must say what the package may import"


def test_the_tests_mirror_the_packages():
    """tests/<package>/ for each package's tests; e2e/ (pages) and js/ (the front end) beside them."""
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders - {"e2e", "js"} <= packages, folders - {"e2e", "js"} - packages
    loose = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    # only what belongs to no package stays at the top: the tree itself, the CLI, the catalogues, the shared checks
    assert loose == ["test_architecture.py", "test_cli.py", "test_i18n.py", "test_validate.py"], loose


def _tool(name: str) -> list[str]:
    """A tool of the test environment (beside this Python), as the README's command installs it."""
    import shutil
    import sys
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: pip install -e '.[test]'")
    return [found]


def test_ruff_finds_nothing_wrong():
    """pyproject.toml's [tool.ruff]: pyflakes, pycodestyle, import order, bugbear, on the whole repository."""
    import subprocess
    done = subprocess.run(_tool("ruff") + ["check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_mypy_finds_no_type_error_in_simulator():
    """pyproject.toml's [tool.mypy]: the level chosen there, on simulator/."""
    import subprocess
    done = subprocess.run(_tool("mypy") + ["--no-incremental"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout[-6000:] + done.stderr[-2000:]
