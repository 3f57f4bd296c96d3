"""Articles deleted from the archive behind the crawler's back (``ArticleIndex.forget_gone``): the next run
fetches them again, once — the one a discovery document lists because only that document's validators were
forgotten (every other document still answers 304), the one only its own URL shows because its number is
probed again (its "archived" is forgotten in the id ledger)."""
from __future__ import annotations

from crawler.discover.ids import number_in
from crawler.sites import get_site
from replica.clock import Clock, Publish
from replica.server import ReplicaServer
from tests.crawl_helpers import PLAIN, archived, arshif, crawl_env, run_reports

SPEC = get_site("elbalad")
#: probes over the newly published numbers (consecutive, above the base corpus's: replica/clock.py)
PROBES = {"ARSHIF_SITES__RT_ARABIC__ENABLED": "false", "ARSHIF_SITES__ELBALAD__ID_PROBES": "60",
          "ARSHIF_SITES__ELBALAD__ID_WINDOW": "30", "ARSHIF_SITES__ELBALAD__ID_SPARSE_BELOW": "0.01"}


def test_articles_gone_from_the_archive_are_fetched_again_once_by_their_documents_and_their_numbers(tmp_path):
    clock = Clock(every=0.05, ticks=10, steps=[Publish(per_tick=1, hide_every=5, gap_every=0)])
    with ReplicaServer(plain=PLAIN, clock=clock) as replica:
        assert clock.done.wait(60)
        env = crawl_env(replica, tmp_path, **PROBES)
        first = arshif("crawl", "elbalad", env=env)
        assert first.returncode == 0, first.stderr[-3000:]
        records = archived(tmp_path / "archive")
        hidden = {str(n) for n in replica.unlisted("elbalad")}
        found = [r for r in records if str(number_in(r["canonical_url"], SPEC)) in hidden]
        assert found, (hidden, run_reports(tmp_path / "archive", "elbalad")[-1]["ids"], first.stderr[-2000:])
        probed = found[0]
        assert probed["discovered_by"] == "id_probe"
        listed = next(r for r in records if r["discovered_by"] in ("feed", "sitemap", "listing"))
        for rec in (probed, listed):
            [path] = (tmp_path / "archive" / "articles").rglob(f"{rec['id']}.json")
            path.unlink()
        second = arshif("crawl", "elbalad", env=env)
        assert second.returncode == 0, second.stderr[-3000:]
    report = run_reports(tmp_path / "archive", "elbalad")[-1]
    assert (report["counts"]["gone_from_archive"], report["counts"]["new"]) == (2, 2), report["counts"]
    again = {r["id"]: r for r in archived(tmp_path / "archive")}
    assert again[probed["id"]]["discovered_by"] == "id_probe"       # probed again: its number was forgotten
    assert again[listed["id"]]["discovered_by"] in ("feed", "sitemap", "listing")
    numbers = [number_in(r["canonical_url"], SPEC) for r in again.values()]
    assert len(numbers) == len(set(numbers)) == len(records)        # nothing archived twice, nothing lost
    # listed again by a document read in full (above), while the documents that did not list it kept their 304
    assert any(s["not_modified"] for s in report["sources"]), report["sources"]
