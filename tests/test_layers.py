"""The layers of the platform, read from the code's own imports (see README, Architecture).

From the bottom up: the ground (surveyplatform's settings and helpers, outbox, ratelimits,
audit), the domain (experiments, panel, accounts), the analysis (analysis, exports), and
the front ends (the console, the API, Django admin, the respondent pages). Each layer may
import only those below it; front ends never import each other, and nothing imports them.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GROUND = ("surveyplatform", "outbox", "ratelimits", "audit")
DOMAIN = ("experiments", "panel", "accounts")
ANALYSIS = ("analysis", "exports")
FRONT_ENDS = ("console", "api")
# (The statistics import no model: tests/analysis/test_layers.py imports them without Django.)
# Wiring and tools above every layer: the URL map, the demo seeder, the benchmarks.
ABOVE_ALL = {"surveyplatform/urls.py", "surveyplatform/celery.py", "experiments/demo.py"}


def modules():
    for package in GROUND + DOMAIN + ANALYSIS + FRONT_ENDS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path.relative_to(ROOT).as_posix(), path


def imported(path: Path) -> set[str]:
    """Return every project module the file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def layer(package: str) -> int | None:
    for level, group in enumerate((GROUND, DOMAIN, ANALYSIS, FRONT_ENDS)):
        if package in group:
            return level
    return None


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for name, path in modules():
        if name in ABOVE_ALL or name.startswith(("experiments/management", "bench/")):
            continue
        own = top(name.replace("/", "."))
        for target in imported(path):
            other = top(target)
            if other == own or layer(other) is None:
                continue
            if layer(other) > layer(own) or (layer(other) == 3 and other != own):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_respondent_pages_import_no_other_front_end():
    views = ROOT / "experiments" / "respondent" / "views.py"
    assert {top(name) for name in imported(views)} & set(FRONT_ENDS) == set()


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_front_ends_neither_audit_nor_open_transactions_themselves(front_end):
    found = []
    for path in sorted((ROOT / front_end).rglob("*.py")):
        if "migrations" in path.parts or "management" in path.parts:
            continue
        text = path.read_text()
        for needle in ("record_action(", "transaction.atomic", "from audit.log import"):
            if needle in text:
                found.append(f"{path.relative_to(ROOT)}: {needle}")
    assert found == []


def test_no_two_modules_import_each_other_in_a_circle():
    graph: dict[str, set[str]] = {}
    known = {name[:-3].replace("/", ".").removesuffix(".__init__") for name, _ in modules()}
    for name, path in modules():
        module = name[:-3].replace("/", ".").removesuffix(".__init__")
        graph[module] = {target for target in imported(path) if target in known} - {module}

    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def strongly_connected(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                strongly_connected(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongly_connected(node)
    assert cycles == []
