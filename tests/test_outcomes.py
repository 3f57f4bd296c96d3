"""One vocabulary of outcomes (``crawler/outcomes.py``): the code counts, compares and reports enum members,
never bare strings, and every count it can put in a run report is documented in README's report fields."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from crawler.outcomes import Count, Health, PageOutcome, RunKind, RunResult
from crawler.run.report import RunReport

ROOT = Path(__file__).resolve().parent.parent
ENUMS = {e.__name__: e for e in (Count, Health, PageOutcome, RunKind, RunResult)}
WORDS = {m.value for e in ENUMS.values() for m in e}


def sources():
    for folder in ("crawler", "jobs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "replica" in path.parts or path.name == "outcomes.py":
                continue
            yield path, ast.parse(path.read_text("utf-8"), str(path))


def _is_report(node: ast.AST) -> bool:
    """``report``, ``run.report``, ``self.run.report``…"""
    return (isinstance(node, ast.Name) and node.id == "report") or (isinstance(node, ast.Attribute)
                                                                   and node.attr == "report")


def _counts(node: ast.AST) -> bool:
    """``counts``, ``report.counts``, ``counts[key]``, ``c`` (a Counter of the counts)…"""
    if isinstance(node, ast.Subscript):
        return _counts(node.value)
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in ("counts", "c")


REPORT_COUNT = "report.count at "


def counted_names():
    """Every ``report.count(<name>)``, ``count(stats, <name>)`` and ``self.count(<name>)`` (a crawl's counters:
    ``crawler.components.count``, ``counter``), ``counts[<name>]`` and ``counts.get(<name>)`` in the code: (where,
    the name's node). Other counters (``arshif verify``'s) may use their own words, never an outcome's."""
    for path, tree in sources():
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "count" \
                    and len(node.args) >= 2:
                yield REPORT_COUNT + where, node.args[1]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                if node.func.attr == "count" and (_is_report(node.func.value) or (
                        isinstance(node.func.value, ast.Name) and node.func.value.id == "self")):
                    yield REPORT_COUNT + where, node.args[0]
                elif node.func.attr == "get" and _counts(node.func.value):
                    yield where, node.args[0]
            elif isinstance(node, ast.Subscript) and _counts(node.value) and not isinstance(node.slice, ast.Name):
                yield where, node.slice


def test_the_code_counts_enum_members_never_bare_strings():
    bare, unknown, members = [], [], set()
    for where, name in counted_names():
        if isinstance(name, ast.Constant) and isinstance(name.value, str) and (
                name.value in WORDS or where.startswith(REPORT_COUNT)):
            bare.append(f"{where}: {name.value!r}")
        elif isinstance(name, ast.Attribute) and isinstance(name.value, ast.Name) and name.value.id in ENUMS:
            if name.attr not in ENUMS[name.value.id].__members__:
                unknown.append(f"{where}: {name.value.id}.{name.attr}")
            members.add(ENUMS[name.value.id][name.attr])
    assert not bare, "counts named by a bare string: " + ", ".join(bare)
    assert not unknown, "no such member: " + ", ".join(unknown)
    # the scan does see the counting (the spider, the pipelines, the run's end, re-extraction)
    assert {Count.DISCOVERED, Count.FETCHED, Count.BACKLOG, Count.NOT_MODIFIED, Count.SKIPPED_NOT_ARTICLE,
            Count.THROTTLED, Count.ROBOTS_FORBIDDEN, Count.UNDATED, Count.SHORT_TEXT, Count.CAPTURES, Count.PAGES,
            Count.OLDER, PageOutcome.FAILED, PageOutcome.SKIPPED} <= members


def test_no_outcome_word_is_compared_or_returned_as_a_bare_string():
    """``result == "ok"``, ``return "unchanged", …``, ``state = "failing"``: each must be the enum member."""
    found = []
    for path, tree in sources():
        enum_members = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                        and any(isinstance(b, ast.Name) and b.id == "StrEnum" for b in c.bases)
                        for n in ast.walk(c)}       # another enum (freshness.Decision) may share a word
        for node in ast.walk(tree):
            values = []
            if id(node) in enum_members:
                continue
            if isinstance(node, ast.Compare):
                values = [node.left, *node.comparators]
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                values = node.value.elts[:1]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant):
                values = [node.value]
            elif isinstance(node, ast.keyword) and node.arg in ("kind", "result", "outcome", "state"):
                values = [node.value]
            found += [f"{path.relative_to(ROOT)}:{v.lineno}: {v.value!r}" for v in values
                      if isinstance(v, ast.Constant) and v.value in WORDS]
    assert not found, "bare outcome words: " + ", ".join(found)


def _readme_report_fields() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("Report fields: `")
    return readme[start:readme.index("`", start + len("Report fields: `"))]


def test_every_count_and_result_is_documented_in_the_readme_report_fields():
    fields = _readme_report_fields()
    counts = fields[fields.index("counts{"):fields.index("}, errors")]
    words = set(re.findall(r"[a-z_]+", counts))
    missing = [m.value for m in (*PageOutcome, *Count) if m.value not in words]
    assert not missing, f"counts missing from README's report fields: {missing}"
    for result in RunResult:
        assert f'"{result}"' in fields


def test_the_report_json_keeps_its_field_names_and_plain_values():
    """What data teams read: the same counts, in the same order, and plain strings for result and kind."""
    report = RunReport("20261203T000000Z-rt_arabic-0a0b", "rt_arabic", "file:///archive")
    report.count(Count.DISCOVERED, 3)
    report.count(PageOutcome.NEW, 2)
    report.count(Count.BACKLOG, 0)
    report.finish(RunResult.DEGRADED, "some pages failed")
    doc = json.loads(report.to_json())
    assert list(doc["counts"]) == ["discovered", "fetched", "new", "updated", "unchanged", "skipped", "not_article",
                                   "invalid", "failed", "pending", "undated", "short_text", "robots_forbidden",
                                   "throttled", "backlog"]
    assert doc["counts"]["discovered"] == 3 and doc["counts"]["new"] == 2
    assert doc["result"] == "degraded" and doc["kind"] == "crawl"
    again = RunReport.from_json(report.to_json())
    assert again.result is RunResult.DEGRADED and again.kind is RunKind.CRAWL and again.counts == doc["counts"]
    assert "new 2" in again.summary() and "not article 0" in again.summary()
