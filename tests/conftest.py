"""Shared by the whole suite: the session's S3 server (tests/s3_server.py) and the reliability table.

The reliability scenarios (tests/reliability/) each add a row to ``harness.ROWS``; the table is printed once
at the end of the run. Under pytest-xdist (``make test`` runs ``-n 2``) the rows are made in the workers: each
worker hands its rows to the controller when it finishes (xdist's ``workeroutput``) and the controller, which
collects no test, prints them."""
from __future__ import annotations

import dataclasses

import pytest

from tests.reliability.harness import ROWS, Row, table

pytest_plugins = ["tests.s3_server"]


@pytest.hookimpl(tryfirst=True)     # before xdist's own hook, which reads the marker into the node id
def pytest_collection_modifyitems(items):
    """``make test`` spreads tests over its workers one by one (``--dist loadgroup``), except that the tests of
    a module that share a module-scoped fixture (a crawled archive, most often) go to one worker together, so
    that the fixture is built once. (By whole files, one worker was left with the reliability scenarios
    while the other had finished.)"""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(d[-1].scope == "module" for d in defs if d):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    # The long tests first (those marked slow: whole crawls, services, fault scenarios), the hundreds of short
    # ones after them, to fill the workers' ends: in file order, a module of 30 s of crawls handed out last
    # kept one worker busy while the others had finished. Stable: the order within each part is unchanged.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:                        # an xdist worker: its rows go to the controller
        workeroutput["reliability_rows"] = [dataclasses.asdict(row) for row in ROWS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist's controller: a worker finished; keep the rows it made."""
    ROWS.extend(Row(**row) for row in getattr(node, "workeroutput", {}).get("reliability_rows", []))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if ROWS and not hasattr(config, "workeroutput"):
        terminalreporter.section("reliability: the archive after each scenario")
        terminalreporter.write_line(table(ROWS))
