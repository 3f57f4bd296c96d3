"""Upward imports inside ``crawler/``: an import from a subpackage (``crawler.archive``…) of a module outside
it that itself leads back into that subpackage — a lower layer reaching up into the code that uses it.

    .venv/bin/python bench/upward_imports.py            # one line per upward import, then a count

Reads the import graph with grimp (no code is run). Exit code 0 always: a figure, not a test
(``tests/test_layers.py`` holds the rule for ``crawler.archive``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = "crawler"


def upward_imports(graph: grimp.ImportGraph, package: str) -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import from ``package`` to a module outside it that has a chain
    of imports back into ``package``."""
    found = []
    inside = graph.find_descendants(package) | {package}
    for importer in sorted(inside):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported in inside or not imported.startswith(ROOT + "."):
                continue
            if any(graph.chain_exists(imported=target, importer=imported) for target in inside):
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    found.append((importer, imported, detail["line_number"]))
    return found


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    graph = grimp.build_graph(ROOT, cache_dir=None, exclude_type_checking_imports=True)
    packages = sorted(m for m in graph.find_children(ROOT) if graph.find_children(m))
    total = 0
    for package in packages:
        for importer, imported, line in upward_imports(graph, package):
            print(f"{package}: {importer}:{line} imports {imported}")
            total += 1
    print(f"{total} upward imports in {', '.join(packages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
