"""The package's layout (docs/architecture.md): layers, no cycles, no private names across them.

The checks read the source with :mod:`ast` (every ``import`` and ``from ... import``, also those
inside functions and ``if TYPE_CHECKING`` blocks), so they see what a reader of the code sees.
Each is shown failing on a planted package first, so it cannot pass by accident.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).parents[1] / "warmtegis"

#: The layers, lowest first: a module may import from its own layer and from lower ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("warmtegis.settings", "warmtegis.units", "warmtegis.core"),
    ("warmtegis.params",),
    ("warmtegis.storage",),
    ("warmtegis.inputs",),
    ("warmtegis.economics",),
    ("warmtegis.buildings",),
    ("warmtegis.corridors",),
    ("warmtegis.network",),
    ("warmtegis.mini_nets",),
    ("warmtegis.pipeline",),
    ("warmtegis.outputs",),
    ("warmtegis.national",),
    ("warmtegis.datasets", "warmtegis.cli", "warmtegis.__main__", "warmtegis"),
)
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
#: A function longer than MAX_FUNCTION_LINES says why at its top, in a comment starting so.
LONG_MARK = "# Long function:"


@dataclass(frozen=True)
class Import:
    """One imported name: the importing module, the module it comes from, the name."""

    importer: str
    module: str
    name: str | None  # None for ``import x`` and for a submodule


def _modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        out[name] = path
    return out


def _imports(root: Path) -> list[Import]:
    mods = _modules(root)
    found = []
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [Import(name, a.name, None) for a in node.names if a.name in mods]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                if target not in mods:
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    found.append(
                        Import(name, sub, None) if sub in mods else Import(name, target, a.name)
                    )
    return found


def _layer(module: str, layers: tuple[tuple[str, ...], ...]) -> int:
    best = None
    for rank, members in enumerate(layers):
        for m in members:
            inside = module == m or module.startswith(m + ".")
            if inside and (best is None or len(m) > best[1]):
                best = (rank, len(m))
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")
    return best[0]


def _component(module: str, layers: tuple[tuple[str, ...], ...]) -> str:
    """The layer member a module belongs to (a subpackage, or a top-level module)."""
    return max(
        (m for members in layers for m in members if module == m or module.startswith(m + ".")),
        key=len,
    )


def cycles(root: Path) -> list[list[str]]:
    """Every import cycle between modules (each as a list of module names)."""
    graph = nx.DiGraph()
    graph.add_edges_from((i.importer, i.module) for i in _imports(root) if i.importer != i.module)
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def upward(root: Path, layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """Every import from a lower layer into a higher one."""
    return sorted(
        f"{i.importer} -> {i.module}"
        for i in _imports(root)
        if _layer(i.importer, layers) < _layer(i.module, layers)
    )


def private_across(root: Path, layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """Every private name imported from another subpackage (or top-level module)."""
    return sorted(
        f"{i.importer} imports {i.module}.{i.name}"
        for i in _imports(root)
        if i.name is not None
        and i.name.startswith("_")
        and not i.name.startswith("__")
        and _component(i.importer, layers) != _component(i.module, layers)
    )


def long_functions(root: Path) -> list[str]:
    """Functions over MAX_FUNCTION_LINES lines of code that do not say why at their top.

    The lines of the signature and body count, the docstring's do not (a full Parameters and
    Examples section should not push a function over).
    """
    out = []
    for name, path in _modules(root).items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            has_doc = ast.get_docstring(node) is not None and len(node.body) > 1
            first = node.body[1] if has_doc else node.body[0]
            # the code's lines: the signature and the body, without the docstring
            doc = (node.body[0].end_lineno or 0) - node.body[0].lineno + 1 if has_doc else 0
            n = (node.end_lineno or node.lineno) - node.lineno + 1 - doc
            if n <= MAX_FUNCTION_LINES:
                continue
            top = lines[node.lineno - 1 : first.lineno - 1]  # signature, docstring, comments
            if not any(line.strip().startswith(LONG_MARK) for line in top):
                out.append(f"{name}.{node.name} ({n} lines)")
    return sorted(out)


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "warmtegis"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ------------------------------------------------------------------ the checks fail when they must
def test_a_planted_cycle_is_found(tmp_path):
    root = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/a.py": "from warmtegis.core.b import x\n",
            "core/b.py": "def x():\n    from warmtegis.core import a\n",
        },
    )
    assert cycles(root) == [["warmtegis.core.a", "warmtegis.core.b"]]


def test_a_planted_upward_import_and_private_name_are_found(tmp_path):
    root = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/log.py": "from warmtegis.corridors.analysis import _secret\n",
            "corridors/__init__.py": "",
            "corridors/analysis.py": "_secret = 1\n",
        },
    )
    assert upward(root) == ["warmtegis.core.log -> warmtegis.corridors.analysis"]
    assert private_across(root) == [
        "warmtegis.core.log imports warmtegis.corridors.analysis._secret"
    ]


def test_a_planted_long_function_without_its_reason_is_found(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    root = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/a.py": f'def f():\n    """Doc."""\n{body}\n\ndef g():\n    """Doc."""\n'
            f"    {LONG_MARK} one table, row by row\n{body}",
        },
    )
    assert long_functions(root) == [f"warmtegis.core.a.f ({MAX_FUNCTION_LINES + 1} lines)"]


# -------------------------------------------------------------------------------- the package
def test_no_import_cycles():
    assert cycles(ROOT) == []


def test_no_import_from_a_lower_layer_into_a_higher_one():
    assert upward(ROOT) == []


def test_no_private_names_across_subpackages():
    assert private_across(ROOT) == []
    # stricter than the rule: within a subpackage too, what another module uses is public
    within = [
        f"{i.importer} imports {i.module}.{i.name}"
        for i in _imports(ROOT)
        if i.name and i.name.startswith("_") and not i.name.startswith("__")
    ]
    assert within == []


def test_every_module_belongs_to_a_layer_and_declares_its_public_names():
    missing = []
    for name, path in _modules(ROOT).items():
        _layer(name, LAYERS)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AugAssign)
            for t in ([node.target] if isinstance(node, ast.AugAssign) else node.targets)
            if isinstance(t, ast.Name)
        }
        if "__all__" not in names and path.name != "__main__.py":
            missing.append(name)
    assert missing == []


def test_every_public_function_and_class_is_in_its_modules_all():
    """``__all__`` follows the code: a public def or class left out of it is an error."""
    left_out = []
    for name, path in _modules(ROOT).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                declared |= set(ast.literal_eval(node.value))
        defined = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
        }
        left_out += [f"{name}.{n}" for n in sorted(defined - declared)]
    assert left_out == []


def test_no_module_over_700_lines():
    over = {
        name: n
        for name, path in _modules(ROOT).items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert over == {}


def test_no_long_function_without_its_reason():
    assert long_functions(ROOT) == []


@pytest.mark.parametrize("layer", [m for members in LAYERS for m in members])
def test_every_layer_member_exists(layer):
    mods = _modules(ROOT)
    assert layer in mods, f"LAYERS names {layer}, which is no module of the package"


def test_the_architecture_doc_names_every_subpackage():
    doc = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for members in LAYERS:
        for m in members:
            short = m.removeprefix("warmtegis.") if m != "warmtegis" else "warmtegis"
            assert re.search(rf"`{re.escape(short)}[`/]", doc), f"{short} missing in the doc"


def test_every_exported_function_and_class_has_a_running_example():
    """Each name of ``warmtegis.__all__`` shows its use; pytest runs the examples as doctests."""
    import inspect

    import warmtegis

    missing = []
    for name in warmtegis.__all__:
        obj = getattr(warmtegis, name)
        documented = "Examples\n--------" in (inspect.getdoc(obj) or "")
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and not documented:
            missing.append(name)
    assert missing == []
