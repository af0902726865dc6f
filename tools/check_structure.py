"""The structure rules `make lint` adds to import-linter's contracts (pyproject.toml).

- No source file under src/ is over 400 lines.
- No module reaches into a library's private parts: no import of an underscore module of another
  package (``from httpx._client import ...``, ``import aiohttp._http_parser``), no import of an
  underscore name from one (``from argparse import _SubParsersAction``) and no attribute
  ``module._name`` on an imported library module (``argparse._SubParsersAction``).

Known exceptions, each with the branch that removes it, are in tools/structure_allowlist.toml;
an entry that no longer matches anything is an error too, so the list only shrinks.
Run: ``python tools/check_structure.py`` (exit 1 on any finding).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "src"
OWN_PACKAGE = "ai_music"
MAX_LINES = 400
ALLOWLIST = Path(__file__).with_name("structure_allowlist.toml")
# Generated or declarative files the size rule does not apply to.
SIZE_EXEMPT = ("src/ai_music/migrations/versions/",)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def library_privates(path: Path, tree: ast.AST) -> Iterator[str]:
    """``file:line: text`` for each reach into another package's private modules or names."""
    relative = path.relative_to(ROOT).as_posix()
    library_modules: set[str] = set()  # local names bound to imported library modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == OWN_PACKAGE:
                    continue
                if any(is_private(part) for part in alias.name.split(".")):
                    yield f"{relative}:{node.lineno}: import {alias.name}"
                library_modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == OWN_PACKAGE:
                continue
            if any(is_private(part) for part in node.module.split(".")):
                yield f"{relative}:{node.lineno}: from {node.module} import ..."
            for alias in node.names:
                if is_private(alias.name):
                    yield f"{relative}:{node.lineno}: from {node.module} import {alias.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in library_modules
        ):
            yield f"{relative}:{node.lineno}: {node.value.id}.{node.attr}"


def findings() -> Iterator[tuple[str, str]]:
    """(rule, finding) pairs; the finding's text is what an allowlist entry names."""
    for path in sorted(SOURCES.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_LINES and not relative.startswith(SIZE_EXEMPT):
            yield "oversized", relative
        for finding in library_privates(path, ast.parse(text, filename=relative)):
            yield "library_private", finding


def main() -> int:
    allowed = tomllib.loads(ALLOWLIST.read_text(encoding="utf-8"))
    allowed_sizes = set(allowed.get("oversized", {}).get("files", []))
    allowed_privates = set(allowed.get("library_private", {}).get("modules", []))
    failures: list[str] = []
    allowed_seen: set[str] = set()
    for rule, finding in findings():
        if rule == "oversized":
            if finding in allowed_sizes:
                allowed_seen.add(finding)
                print(f"allowed for now: {finding} is over {MAX_LINES} lines")
                continue
            failures.append(f"{finding}: over {MAX_LINES} lines")
        else:
            module = finding.split(":", 1)[0]
            if module in allowed_privates:
                allowed_seen.add(module)
                print(f"allowed for now: {finding}")
                continue
            failures.append(f"{finding}: reaches into a library's private part")
    for stale in sorted((allowed_sizes | allowed_privates) - allowed_seen):
        failures.append(f"{ALLOWLIST.name}: {stale} no longer needs its entry; remove it")
    for failure in failures:
        print(failure)
    print(f"structure: {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
