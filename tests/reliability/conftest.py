"""The reliability suite's table: every scenario adds a row (harness.ROWS), printed once at the end."""
from __future__ import annotations

from tests.reliability.harness import ROWS, table


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if ROWS:
        terminalreporter.section("reliability: the archive after each scenario")
        terminalreporter.write_line(table(ROWS))
