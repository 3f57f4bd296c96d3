"""The import graph of crawler/: no subpackage imports a module that leads back into it (no upward imports);
in particular crawler.archive knows nothing of the index, the run or its report."""
import grimp

from bench.upward_imports import upward_imports


def test_no_upward_imports_inside_crawler():
    graph = grimp.build_graph("crawler", cache_dir=None)
    packages = [m for m in graph.find_children("crawler") if graph.find_children(m)]
    assert "crawler.archive" in packages
    assert {p: upward_imports(graph, p) for p in packages} == {p: [] for p in packages}


def test_the_archive_does_not_reach_the_run_state_or_report():
    graph = grimp.build_graph("crawler", cache_dir=None)
    for higher in ("crawler.state", "crawler.report", "crawler.run", "crawler.uploads"):
        assert not graph.chain_exists(importer="crawler.archive", imported=higher, as_packages=True), higher
