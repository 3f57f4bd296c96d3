"""Each discovery source's outcome, and which validators a run keeps: only a document dealt with in full keeps
its own; a failed child, a failed or left-over article forgets the validators of the documents that led to it."""
from __future__ import annotations

from crawler.discover.candidates import Candidates
from crawler.discover.sources import DocState, Source, SourceOutcome, failure_line, validator_changes

BASE = "https://arabic.rt.com"


def read(doc, validators=("W/\"1\"", None)):
    doc.state, doc.validators = DocState.READ, validators
    return doc


def test_a_failed_child_sitemap_fails_its_source_and_forgets_the_index_not_the_other_sources():
    feed = Source("feed", "/rss/", BASE + "/rss/")
    read(feed.root)
    index = Source("sitemap", "/sitemap.xml", BASE + "/sitemap.xml")
    read(index.root)
    good, bad = read(index.root.child(BASE + "/sitemap_2026.xml")), index.root.child(BASE + "/sitemap_2025_2.xml")
    bad.fail("HTTP 503")
    assert feed.outcome() == (SourceOutcome.OK, None)
    assert index.outcome() == (SourceOutcome.FAILED, f"{BASE}/sitemap_2025_2.xml: HTTP 503")
    keep, forget = validator_changes([feed, index])
    # the index would answer 304 next time and skip the child that failed: its validators go, the good child's stay
    assert set(keep) == {feed.root.url, good.url}
    assert set(forget) == {index.root.url, bad.url}
    assert failure_line([feed, index]) == ("discovery lost 1 of 2 sources: sitemap /sitemap.xml: "
                                           f"{BASE}/sitemap_2025_2.xml: HTTP 503")


def test_a_document_whose_article_failed_or_waits_keeps_no_validators_but_is_not_a_lost_source():
    failed, waiting, answered = (Source("feed", f"/rss/{n}/", f"{BASE}/rss/{n}/") for n in range(3))
    for source in (failed, waiting, answered):
        read(source.root)
        source.root.outstanding = 1
    Candidates.answered(failed.root, lost=True)
    Candidates.answered(answered.root)
    keep, forget = validator_changes([failed, waiting, answered])
    assert set(keep) == {answered.root.url} and set(forget) == {failed.root.url, waiting.root.url}
    assert {s.outcome()[0] for s in (failed, waiting, answered)} == {SourceOutcome.OK}


def test_a_304_is_not_modified_and_a_document_left_unread_by_the_page_cap_is_backlog():
    unchanged = Source("sitemap", "/sitemap.xml", BASE + "/sitemap.xml")
    unchanged.root.state = DocState.NOT_MODIFIED
    listing = Source("listing", "/l/{page}", BASE + "/l/0", numbered=True)
    read(listing.root, None)
    listing.root.child(BASE + "/l/1", page=1)                 # asked for, never answered: the run stopped
    assert unchanged.outcome() == (SourceOutcome.NOT_MODIFIED, None)
    assert listing.outcome() == (SourceOutcome.OK, None)
    keep, forget = validator_changes([unchanged, listing])
    assert keep == {} and set(forget) == {BASE + "/l/0", BASE + "/l/1"}
    assert unchanged.to_json()["outcome"] == "not_modified" and listing.to_json()["documents"] == 2
