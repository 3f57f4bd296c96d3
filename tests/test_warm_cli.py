"""The tests' commands run forked from a warm interpreter (tests/warm_cli.py): each must behave as
``python -m jobs.cli`` does in a fresh one: same output on both streams, same exit code."""
import os
import re
from pathlib import Path

import pytest

from tests import warm_cli
from tests.crawl_helpers import arshif, crawl_env
from tests.test_cli import _NoReplica, closed_port

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")      # a record's times
DUMP = Path(__file__).parent / "fixtures" / "dumps" / "rt_aggregator_box_trailing.txt"


@pytest.mark.parametrize("argv, extra", [
    (["extract", "--site", "rt_arabic", str(DUMP)], {}),                       # exit 0, a record and a note
    (["crawl"], {"ARSHIF_CRAWL__CONCURRENT_REQUESTS": "lots"}),                # exit 2, one line on stderr
    (["verify"], {}),                                                          # an empty archive
    (["extract", "--site", "rt_arabic", "/no/such/file.html"], {}),            # exit 2
])
def test_a_warm_command_prints_and_exits_as_a_fresh_one(tmp_path, argv, extra):
    env = crawl_env(_NoReplica(closed_port()), tmp_path, **extra)
    warm = arshif(*argv, env=env, cwd=tmp_path)
    fresh = arshif(*argv, env=env, cwd=tmp_path, fresh=True)
    same = [(r.returncode, STAMP.sub("<time>", r.stdout), STAMP.sub("<time>", r.stderr)) for r in (warm, fresh)]
    assert same[0] == same[1]
    assert warm.stdout or warm.stderr


def test_an_environment_that_changes_the_interpreter_s_start_needs_a_fresh_one():
    env = dict(os.environ)
    assert not warm_cli.needs_fresh(env)
    assert warm_cli.needs_fresh({**env, "PYTHONPATH": "/some/copy/of/the/project"})
    assert not warm_cli.needs_fresh({**env, "ARSHIF_ARCHIVE__URL": "file:///tmp/a"})
