"""The package's folders are its layers: imports go down, never up, and never round in a cycle.

Every ``import`` in every module counts, including the ones inside functions that keep start-up
cheap: a lazy import upward is still an upward dependency. ``schedopt/__init__.py`` is the
facade (it only re-exports, lazily) and is outside the layers.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "schedopt"

# Bottom to top. A module may import from its own layer and the layers below it.
LAYERS = (
    ("foundation", ("schedopt._validation", "schedopt._result", "schedopt._sums",
                    "schedopt._memory",
                    "schedopt._closed_forms", "schedopt._lazy", "schedopt._threads",
                    "schedopt._units", "schedopt._lr_units", "schedopt._search")),
    ("bounds", ("schedopt.bounds",)),
    ("solvers", ("schedopt.solvers",)),
    ("schedules", ("schedopt.schedules",)),
    ("theory", ("schedopt.theory",)),
    ("adapters", ("schedopt.adapters", "schedopt.torch")),
    ("calibration", ("schedopt.calibration",)),
    ("report", ("schedopt.report",)),
    ("cli", ("schedopt.cli", "schedopt.__main__")),
)
FACADE = "schedopt"

# Size limits of docs/contributing.md (a function's docstring does not count); a longer module
# or function says why in its docstring with the words "long because".
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    best, index = "", None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, index = prefix, i
    return index


def _facade_table() -> dict:
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_EXPORTS"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


FACADE_EXPORTS = _facade_table()


def _resolve(importer: str, node) -> list[str]:
    """The package modules an import statement depends on."""
    found = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = importer if MODULES.get(importer, PACKAGE).name == "__init__.py" \
                else importer.rsplit(".", 1)[0]
            for _ in range(node.level - 1):
                package = package.rsplit(".", 1)[0]
            base = f"{package}.{base}" if base else package
        names = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in MODULES:
                names.append(sub)
            elif base == FACADE and alias.name in FACADE_EXPORTS:
                names.append(FACADE_EXPORTS[alias.name])
            else:
                names.append(base)
    for name in names:
        if name == FACADE or not (name == FACADE or name.startswith(FACADE + ".")):
            continue
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != FACADE:
            found.append(name)
    return found


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update(_resolve(module, node))
    out.discard(module)
    return out


GRAPH = {m: _imports(m) for m in MODULES if m != FACADE}


def test_every_module_has_a_layer():
    assert [m for m in GRAPH if layer_of(m) is None] == []


def test_no_import_goes_up_a_layer():
    upward = [f"{m} ({LAYERS[layer_of(m)][0]}) imports {d} ({LAYERS[layer_of(d)][0]})"
              for m, deps in GRAPH.items() for d in sorted(deps)
              if layer_of(d) is not None and layer_of(d) > layer_of(m)]
    assert upward == []


def test_no_import_cycle():
    # Tarjan's strongly connected components; any component of two or more is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v, counter=[0]):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
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

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_facade_only_points_at_layers():
    assert FACADE_EXPORTS, "schedopt/__init__.py must list its exports in _EXPORTS"
    assert [m for m in FACADE_EXPORTS.values() if layer_of(m) is None] == []


def _docstring_lines(node) -> int:
    """Lines of a function's docstring: the formula and its references do not count."""
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
            and isinstance(first.value.value, str):
        return first.end_lineno - first.lineno + 1
    return 0


def _long(text: str | None) -> bool:
    return text is not None and "long because" in text


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_modules_and_functions_stay_small_or_say_why(module):
    source = MODULES[module].read_text()
    tree = ast.parse(source)
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES or _long(ast.get_docstring(tree)), \
        f"{module} has {lines} lines; split it or say why in its docstring ('long because')"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1 - _docstring_lines(node)
            assert length <= MAX_FUNCTION_LINES or _long(ast.get_docstring(node)), \
                f"{module}.{node.name} has {length} lines; split it or say why in its docstring"


def test_a_planted_upward_import_is_caught(tmp_path):
    """The checker itself can fail: a bounds module importing the report is flagged."""
    node = ast.parse("from schedopt.report import write_report").body[0]
    deps = _resolve("schedopt.bounds._bounds", node)
    assert deps and layer_of(deps[0]) > layer_of("schedopt.bounds._bounds")
