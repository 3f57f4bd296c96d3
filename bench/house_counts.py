"""The house's structure in figures (issue "The house, second pass"): what makes the code hard to see and to
change, counted the same way before and after a refactor. Reads the source only (ast + grimp), runs nothing.

    .venv/bin/python bench/house_counts.py            # one line per figure
    .venv/bin/python bench/house_counts.py --list     # and where each counted thing is

Figures:
- ``function imports in jobs/``: import statements inside a function body in ``jobs/`` (``if TYPE_CHECKING``
  blocks excluded).
- ``key prefixes outside keys.py``: string literals (f-string parts included, docstrings excluded) in
  ``crawler/`` and ``jobs/`` outside the key module that spell an archive key layout: one of the archive's
  top-level prefixes followed by ``/`` or a Hive partition (``site=``/``date=``).
- ``record string-key reads``: ``x["field"]`` / ``x.get("field")`` in ``crawler/`` and ``jobs/`` where
  ``field`` is a top-level property of the article record's JSON Schema (any ``x``: an over-count where another
  dict shares a name such as ``site``, the same over-count before and after).
- ``import cycles``: strongly connected groups of modules among ``crawler``, ``jobs`` (and whatever package
  the commands moved to), from grimp's graph.
- ``command modules imported by another module``: a module named in ``jobs/cli.py``'s command table that some
  other first-party module imports.
- ``SiteRun attributes``: the public attributes and properties of ``crawler/run/site_run.py``'s ``SiteRun``
  (``self.<name> = …`` in any of its methods, ``@property``).
- ``run.report reaches``: ``run.report`` / ``self.run.report`` in ``crawler/`` and ``jobs/`` (any use: counting,
  errors, keys written…); ``run.report.count calls``: those that count through the report.
- ``classes reading settings by more than one route``: classes in ``crawler/`` that read arshif's settings by
  more than one of the run's ``settings``, ``cfg`` (``base_url`` too), ``spec`` and the site's one ``config``
  (Scrapy's own settings, ``crawler.settings``, are not counted: they are Scrapy's).

    .venv/bin/python bench/house_counts.py --root /work/main     # the figures of another checkout (before)
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = ("articles", "versions", "warc", "runs", "datasets", "leases", "stories", "outbox")
PREFIX_RE = re.compile(r"(^|\^)(%s)(/|$)" % "|".join(PREFIXES))
HIVE_RE = re.compile(r"(^|/)(site|date)=")
FIRST_PARTY = ("crawler", "jobs", "service", "replica")


def py_files(*folders: str):
    for folder in folders:
        base = ROOT / folder
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*.py") if ".venv" not in p.parts)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def function_imports(files) -> list[str]:
    hits = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))

        def visit(node, in_function=False, in_type_checking=False):
            for child in ast.iter_child_nodes(node):
                fn = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                tc = in_type_checking or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
                if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function and not in_type_checking:
                    hits.append(f"{path.relative_to(ROOT)}:{child.lineno}")
                visit(child, fn, tc)

        visit(tree)
    return hits


def key_literals(files) -> list[str]:
    hits = []
    for path in files:
        if path.name == "keys.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        docs = _docstring_nodes(tree)
        docs |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                text = "{}".join(parts)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
            else:
                continue
            if PREFIX_RE.search(text) and ("/" in text or HIVE_RE.search(text)):
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno} {text[:60]!r}")
    return sorted(hits)


def record_reads(files) -> list[str]:
    schema = json.loads((ROOT / "crawler/schema/article.schema.json").read_text()) \
        if (ROOT / "crawler/schema/article.schema.json").exists() else {"properties": {}}
    fields = set(schema.get("properties", {})) or {"text", "title", "content_sha256", "published_at", "url"}
    hits = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                key = node.slice.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                key = node.args[0].value
            if isinstance(key, str) and key in fields:
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno} {key}")
    return hits


def graph_figures() -> tuple[list[list[str]], list[str]]:
    import grimp

    sys.path.insert(0, str(ROOT))
    packages = [p for p in FIRST_PARTY if (ROOT / p / "__init__.py").exists()]
    graph = grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    # Tarjan's strongly connected components, iteratively
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter[0]; counter[0] += 1; stack.append(root); on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]; counter[0] += 1; stack.append(nxt); on.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, []))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop(); on.discard(member); group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        out.append(sorted(group))
    commands = _command_modules()
    imported = sorted(f"{c} <- {importer}" for c in commands if c in graph.modules
                      for importer in graph.find_modules_that_directly_import(c) if importer != "jobs.cli")
    return out, imported


def _command_modules() -> list[str]:
    cli = ROOT / "jobs/cli.py"
    return sorted(set(re.findall(r'\(\s*"((?:jobs|service)\.[a-z_.]+)"', cli.read_text()))) if cli.exists() else []


def _is_run(node: ast.AST) -> bool:
    """``run`` or ``self.run``."""
    return (isinstance(node, ast.Name) and node.id == "run") or (isinstance(node, ast.Attribute) and node.attr == "run")


def site_run_attributes() -> list[str]:
    path = ROOT / "crawler/run/site_run.py"
    tree = ast.parse(path.read_text(), str(path))
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SiteRun"]
    names = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) \
                and node.value.id == "self" and not node.attr.startswith("_"):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef) and any(isinstance(d, ast.Name) and d.id == "property"
                                                        for d in node.decorator_list):
            names.add(node.name)
    return sorted(names)


def report_reaches(files, count_only: bool = False) -> list[str]:
    hits = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr == "report" and _is_run(node.value)):
                continue
            if count_only:
                continue
            hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if count_only:
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "count"
                        and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "report"
                        and _is_run(node.func.value.value)):
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return hits


def settings_routes(files) -> list[str]:
    hits = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            routes = set()
            for node in ast.walk(cls):
                if isinstance(node, ast.Attribute) and _is_run(node.value) and node.attr in (
                        "settings", "cfg", "spec", "base_url"):
                    routes.add("run." + {"base_url": "cfg"}.get(node.attr, node.attr))
                elif (isinstance(node, ast.Attribute) and node.attr == "config") or (
                        isinstance(node, ast.Name) and node.id == "config"):
                    routes.add("config")
            if len(routes) > 1:
                hits.append(f"{path.relative_to(ROOT)}:{cls.lineno} {cls.name}: {', '.join(sorted(routes))}")
    return hits


def main() -> int:
    global ROOT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print where each counted thing is")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to count (default: this one)")
    args = parser.parse_args()
    ROOT = args.root.resolve()
    figures = {
        "function imports in jobs/": function_imports(py_files("jobs")),
        "key prefixes outside keys.py": key_literals(py_files("crawler", "jobs", "service")),
        "record string-key reads": record_reads(py_files("crawler", "jobs", "service")),
    }
    cycles, command_imports = graph_figures()
    figures["import cycles"] = [" -> ".join(c) for c in cycles]
    figures["command modules imported by another module"] = command_imports
    figures["SiteRun attributes"] = site_run_attributes()
    figures["run.report reaches"] = report_reaches(py_files("crawler", "jobs"))
    figures["run.report.count calls"] = report_reaches(py_files("crawler", "jobs"), count_only=True)
    figures["classes reading settings by more than one route"] = settings_routes(py_files("crawler"))
    for name, hits in figures.items():
        print(f"{name}: {len(hits)}")
        if args.list:
            for hit in hits:
                print(f"    {hit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
