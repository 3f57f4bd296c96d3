"""The import graph of crawler/: no subpackage imports a module that leads back into it (no upward imports);
the stages (discover → fetch → extract → archive) know nothing of the run that drives them; inside the archive,
the storage (backends, keys, article writes) knows nothing of the delivery (uploader, outbox) or the state
(index, lease), the delivery nothing of the state, and no room of the archive anything of the dataset or of
``crawler.verify``, which sit above it. And the command layer (issue 23): no import cycle anywhere, no command
module imported by another module, ``jobs/`` importing only ``crawler`` and its own service layer. Outside
crawler/: bench/ never imports tests/ (tests may import bench), and the product (crawler/, jobs/, replica/)
imports neither."""
import ast
from pathlib import Path

import grimp

from bench.upward_imports import upward_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_upward_imports_inside_crawler():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    packages = [m for m in graph.find_children("crawler") if graph.find_children(m)]
    assert "crawler.archive" in packages
    assert {p: upward_imports(graph, p) for p in packages} == {p: [] for p in packages}


def test_the_stages_do_not_reach_the_run():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    for stage in ("crawler.discover", "crawler.fetch", "crawler.extract", "crawler.archive"):
        assert not graph.chain_exists(importer=stage, imported="crawler.run", as_packages=True), stage


def _chains(graph, importer: str, imported: str) -> list[tuple[str, ...]]:
    return sorted(graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True))


def test_the_storage_reaches_neither_the_delivery_nor_the_state():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    assert {"base", "local", "s3", "durable", "keys", "store"} <= {
        m.rsplit(".", 1)[1] for m in graph.find_children("crawler.archive.storage")}
    for room in ("crawler.archive.delivery", "crawler.archive.state"):
        assert _chains(graph, "crawler.archive.storage", room) == [], room


def test_the_delivery_does_not_reach_the_state():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    assert _chains(graph, "crawler.archive.delivery", "crawler.archive.state") == []


def _imported_by(path: Path) -> set[str]:
    """Every module ``path`` imports, in functions too (grimp does not see ``crawler/dataset``: it has no
    ``__init__``, so its modules are not in the graph)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_archive_reaches_neither_the_dataset_nor_verify():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    assert _chains(graph, "crawler.archive", "crawler.verify") == []
    # what the archive imports, and what those modules import in turn, is never the dataset or verify
    inside = graph.find_descendants("crawler.archive") | {"crawler.archive"}
    reached = inside | {m for importer in inside for m in graph.find_upstream_modules(importer)}
    root = Path(__file__).resolve().parent.parent
    found = {}
    for module in sorted(reached):
        path = root / (module.replace(".", "/") + ".py")
        path = path if path.exists() else root / module.replace(".", "/") / "__init__.py"
        hits = sorted(n for n in _imported_by(path) if n.startswith(("crawler.dataset", "crawler.verify")))
        if hits:
            found[module] = hits
    assert "crawler.archive.storage.store" in reached and found == {}


def _imported_roots(folder: str) -> dict[str, set[str]]:
    """The top-level packages each module of ``folder`` (the repository's) imports, wherever in the module
    (functions included), relative imports aside."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        if ".venv" in path.parts:
            continue
        roots: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = roots
    return found


def test_bench_never_imports_tests():
    """One way between the two: tests may import bench (the figure functions they check, the SeaweedFS
    server, the token score), bench never imports tests."""
    imports = _imported_roots("bench")
    assert "bench/extraction.py" in imports
    assert {path: sorted(roots) for path, roots in imports.items() if "tests" in roots} == {}


def test_the_product_imports_neither_bench_nor_tests():
    """crawler/, jobs/ and replica/ are what is installed (``pyproject.toml``): they hold product code only."""
    imports = {path: roots for folder in ("crawler", "jobs", "replica") for path, roots in _imported_roots(folder).items()}
    assert "crawler/extract/page.py" in imports
    assert {path: sorted(roots & {"bench", "tests"}) for path, roots in imports.items() if roots & {"bench", "tests"}} == {}


# -- the command layer (issue 23): jobs/ is parse, call, print, exit code ------------------------------------------

FIRST_PARTY = ("crawler", "jobs", "replica")
#: the commands whose subject is the replica itself may import it
REPLICA_COMMANDS = ("jobs.replica_command", "jobs.demo")


def _first_party_graph():
    return grimp.build_graph(*FIRST_PARTY, cache_dir=None, exclude_type_checking_imports=True)


def test_no_import_cycles():
    graph = _first_party_graph()
    cycles = sorted(f"{importer} -> {imported} -> … -> {importer}"
                    for importer in graph.modules for imported in graph.find_modules_directly_imported_by(importer)
                    if graph.chain_exists(importer=imported, imported=importer))
    assert cycles == []


def test_no_command_module_is_imported_by_another_module():
    """A command's module is the command line's alone (``jobs/cli.py`` imports the chosen one by name): what two
    commands share lives in ``crawler/``, ``jobs.service`` or a helper module of ``jobs/``."""
    from jobs.cli import COMMANDS

    graph = _first_party_graph()
    commands = {module for module, _ in COMMANDS.values()}
    assert commands <= graph.modules
    importers = {command: sorted(graph.find_modules_that_directly_import(command)) for command in sorted(commands)}
    assert importers == {command: [] for command in sorted(commands)}


def test_jobs_holds_commands_and_imports_only_crawler_and_its_service_layer():
    """``jobs/`` holds the commands, the command line (``cli``) and its two helpers (``options``: settings and
    sites from the arguments; ``bars``: progress bars), and ``jobs.service`` (serve's machinery). It imports
    ``crawler``, ``jobs.service``, those helpers and libraries; ``jobs.service`` imports ``crawler`` alone; only
    the replica's own commands import ``replica``."""
    from jobs.cli import COMMANDS

    graph = _first_party_graph()
    commands = {module for module, _ in COMMANDS.values()}
    helpers = {"jobs.cli", "jobs.options", "jobs.bars"}
    assert sorted(set(graph.find_children("jobs")) - commands - helpers) == ["jobs.service"]
    wrong = []
    for module in sorted(graph.find_descendants("jobs") | {"jobs"}):
        service = module.startswith("jobs.service")
        allowed = ("crawler.", "jobs.service") if service else ("crawler.", "jobs.service", *helpers)
        if module in REPLICA_COMMANDS:
            allowed += ("replica.",)
        wrong += [f"{module} -> {imported}" for imported in sorted(graph.find_modules_directly_imported_by(module))
                  if imported != "crawler" and not imported.startswith(allowed)]
    assert wrong == []
