"""Check the project's structure: run by `make test`, and so by CI.

Fails (exit 1, one line per problem) on:

- an import cycle between the project's modules;
- a first-party import inside a function body, outside the exceptions below;
- an app importing an app above it on the ladder, or product code importing
  the Stripe sandbox;
- a product module over MAX_LINES lines (migrations excluded).

Imports under `if TYPE_CHECKING:` never run, so they count for nothing here.
"""

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The apps in ladder order: an app may import those before it, never after.
LADDER = [
    "organizers",
    "webinars",
    "payments",
    "registrations",
    "recordings",
    "api",
]
# Packages that are not apps: config sits above every app (it holds the URLs
# and settings); stripe_sandbox is a development tool that imports no app.
PACKAGES = [*LADDER, "config", "stripe_sandbox"]
# The only product module that may import the sandbox: the embedded default's
# URL configuration mounts it.
SANDBOX_MOUNTS = {"config.urls", "stripe_sandbox.django_mount"}
MAX_LINES = 500

# Function-level first-party imports allowed, with the reason for each,
# keyed by (module, function name).
ALLOWED_FUNCTION_IMPORTS: dict[tuple[str, str], str] = {}
# Functions of an app's apps.py may import first-party modules: Django builds
# the app registry before it calls AppConfig.ready(), the one place where an
# app imports its models, views and handlers to plug them into the hooks of
# the apps below it (a module-level import there would load models too early).
APP_CONFIG_MODULE = ".apps"


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)
    function_imports: set[tuple[int, str, str]] = field(default_factory=set)
    lines: int = 0


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def iter_sources(root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        base = root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def first_party(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


class ImportVisitor(ast.NodeVisitor):
    """Collect a module's imports: at module level, and inside functions."""

    def __init__(self, module: Module, known: set[str]) -> None:
        self.module = module
        self.known = known
        self.functions: list[str] = []

    def resolve(self, node: ast.ImportFrom) -> list[str]:
        base = node.module or ""
        if node.level:
            package = self.module.name.split(".")
            if self.module.path.name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        targets = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            targets.append(candidate if candidate in self.known else base)
        return targets

    def add(self, targets: list[str], lineno: int) -> None:
        for target in targets:
            if not first_party(target):
                continue
            if self.functions:
                self.module.function_imports.add((lineno, self.functions[-1], target))
            else:
                self.module.imports.add(target)

    def visit_Import(self, node: ast.Import) -> None:
        self.add([alias.name for alias in node.names], node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.add(self.resolve(node), node.lineno)

    def visit_If(self, node: ast.If) -> None:
        if is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef


def load(root: Path = ROOT) -> dict[str, Module]:
    """Read every first-party module below `root`, with its imports."""
    modules = {
        module_name(path, root): Module(module_name(path, root), path)
        for path in iter_sources(root)
    }
    known = set(modules)
    for module in modules.values():
        text = module.path.read_text(encoding="utf-8")
        module.lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        ImportVisitor(module, known).visit(ast.parse(text, str(module.path)))
        module.imports = {
            target if target in known else closest(target, known)
            for target in module.imports
        } - {"", module.name}
    return modules


def closest(name: str, known: set[str]) -> str:
    """Return the nearest enclosing known module (a.b.c -> a.b)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Return the strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(name: str) -> None:
        nonlocal counter
        index[name] = low[name] = counter
        counter += 1
        stack.append(name)
        on_stack.add(name)
        for target in sorted(modules[name].imports):
            if target not in modules:
                continue
            if target not in index:
                connect(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == name:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for name in sorted(modules):
        if name not in index:
            connect(name)
    return found


def rung(name: str) -> int | None:
    top = name.split(".")[0]
    return LADDER.index(top) if top in LADDER else None


def problems(modules: dict[str, Module], root: Path = ROOT) -> list[str]:
    """Return one line per structure problem, sorted."""
    found = []
    for component in cycles(modules):
        found.append("import cycle: " + " -> ".join(component))
    for module in modules.values():
        where = module.path.relative_to(root)
        for lineno, function, target in sorted(module.function_imports):
            if module.name.endswith(APP_CONFIG_MODULE):
                continue
            if (module.name, function) in ALLOWED_FUNCTION_IMPORTS:
                continue
            found.append(
                f"{where}:{lineno}: first-party import of {target} inside "
                f"{function}() (import at module level, or fix the cycle)"
            )
        for target in module.imports:
            if target.startswith("stripe_sandbox") and not (
                module.name.startswith("stripe_sandbox")
                or module.name in SANDBOX_MOUNTS
            ):
                found.append(f"{where}: product code imports {target}")
            if module.name.startswith("stripe_sandbox") and rung(target) is not None:
                found.append(f"{where}: the sandbox imports the app module {target}")
            mine, theirs = rung(module.name), rung(target)
            if mine is not None and theirs is not None and theirs > mine:
                found.append(
                    f"{where}: {module.name} imports {target}, higher on the ladder "
                    f"({' < '.join(LADDER)})"
                )
        if module.lines > MAX_LINES:
            found.append(f"{where}: {module.lines} lines (at most {MAX_LINES})")
    return sorted(found)


def main() -> int:
    modules = load()
    found = problems(modules)
    for line in found:
        print(line)
    print(
        f"structure: {len(modules)} modules checked, {len(found)} problem(s)",
        file=sys.stderr,
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
