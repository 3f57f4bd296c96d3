"""The import graph of crawler/: no subpackage imports a module that leads back into it (no upward imports);
the stages (discover → fetch → extract → archive) know nothing of the run that drives them, and the storage
itself (backends, uploader, outbox) nothing of the index either."""
import grimp

from bench.upward_imports import upward_imports


def test_no_upward_imports_inside_crawler():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    packages = [m for m in graph.find_children("crawler") if graph.find_children(m)]
    assert "crawler.archive" in packages
    assert {p: upward_imports(graph, p) for p in packages} == {p: [] for p in packages}


def test_the_stages_do_not_reach_the_run():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    for stage in ("crawler.discover", "crawler.fetch", "crawler.extract", "crawler.archive"):
        assert not graph.chain_exists(importer=stage, imported="crawler.run", as_packages=True), stage


def test_the_storage_does_not_reach_the_index():
    graph = grimp.build_graph("crawler", cache_dir=None, exclude_type_checking_imports=True)
    for storage in ("base", "local", "s3", "store", "uploader", "outbox", "replay", "breaker"):
        assert not graph.chain_exists(importer=f"crawler.archive.{storage}", imported="crawler.archive.index"), storage
