"""The package's layers: lower modules never import higher ones, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import auditpipe

PACKAGE = Path(auditpipe.__file__).parent

# Lower layers first; a module may import its own layer or any lower one.
LAYERS = [
    {"errors", "vocabulary"},
    {"config", "console", "db"},
    {"lake"},
    {
        "ingest",
        "detect",
        "report",
        "findings_view",
        "sql",
        "compact",
        "status",
        "penalty",
        "sources",
        "engines",
    },
    {"nightly"},
    {"cli"},
]


def _layer(top: str) -> int | None:
    return next((i for i, names in enumerate(LAYERS) if top in names), None)


def _imports(path: Path) -> set[str]:
    """The auditpipe modules ``path`` imports (absolute dotted names), at any depth."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found |= {target} | {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {f for f in found if f.startswith("auditpipe.")}


def _top(dotted: str) -> str:
    return dotted.split(".")[1]


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(path.relative_to(PACKAGE).parts[0].removesuffix(".py"))
        if own is None:
            continue
        for target in _imports(path):
            theirs = _layer(_top(target))
            if theirs is not None and theirs > own:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert wrong == []


def test_rules_do_not_import_the_session_they_are_checked_in() -> None:
    rules = _imports(PACKAGE / "detect" / "rules.py")
    assert not any(t.startswith("auditpipe.detect.session") for t in rules)


def test_compact_and_status_do_not_import_the_nightly_job() -> None:
    for name in ("compact.py", "status.py"):
        assert not any(_top(t) == "nightly" for t in _imports(PACKAGE / name)), name
