"""Test only: a changed cleaning rule in every Python process started with this folder on PYTHONPATH.

Re-extraction runs the extractor in other processes (a forkserver pool, Dask worker processes), where a
monkeypatch of the test process does not reach. Python imports ``sitecustomize`` at start-up in every
process whose path has it, so each of them applies the same change: ``REEXTRACT_TEST_RULES`` is JSON
``{"<site>": ["<line>", ...]}`` — whole lines that become noise (dropped from the text and from authors)
for that site, with its ``rules_version`` bumped as a real rule change would.
"""
import dataclasses
import json
import os
import re

_RULES = json.loads(os.environ.get("REEXTRACT_TEST_RULES") or "{}")
if _RULES:
    from crawler import sites
    from crawler.extract.cleaning import Rules, whole_lines

    for _key, _lines in _RULES.items():
        _spec = sites.SITES[_key]
        _extraction = dataclasses.replace(
            _spec.extraction, rules_version=_spec.extraction.rules_version + "-test",
            rules=_spec.extraction.rules.extend(Rules(drop=whole_lines(*(re.escape(line) for line in _lines)))))
        sites.SITES[_key] = dataclasses.replace(_spec, extraction=_extraction)

# The seam to the datasets: ``REEXTRACT_TEST_DAYS`` names a file where each call of the re-compaction hook
# appends the days it was given (one JSON line); with ``REEXTRACT_TEST_DAYS_FAIL`` set the hook then fails.
_DAYS = os.environ.get("REEXTRACT_TEST_DAYS")
if _DAYS:
    import jobs.reextract

    def _recompact(settings, archive, days):
        with open(_DAYS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(sorted(days)) + "\n")
        if os.environ.get("REEXTRACT_TEST_DAYS_FAIL"):
            raise RuntimeError("the dataset bucket does not answer")

    jobs.reextract.RECOMPACT_DAYS = _recompact
