"""Story linking across outlets (crawler/stories): Arabic normalization, scores on our evaluation set and the
replica's gold pairs, look-alikes kept apart, incremental update equal to a rebuild, ``arshif stories``, the
hook after a crawl."""
import gzip
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bench.stories import (NOW, SITES, archive_replica, candidate_pairs, eval_reports, evaluate, evaluate_set,
                           gold_pairs, record_of, score)
from crawler.archive.storage.keys import article_key
from crawler.archive.storage.local import LocalArchive
from crawler.config import load_settings
from crawler.extract.record import encode
from crawler.stories import LinkParams, list_stories, load_story_ids, pending, rebuild, update
from crawler.stories.features import article_terms
from crawler.stories.handoff import Handoff
from crawler.stories.link import Link, stories
from crawler.stories.normalize import normalize, terms
from jobs.cli import main as cli
from replica.corpus import build
from replica.server import ReplicaServer
from tests.crawl_helpers import arshif, crawl_env

PARAMS = LinkParams.from_settings(load_settings(environ={}))


def test_normalize_folds_spelling_variants_for_matching_only():
    assert normalize("أعلنَ إبراهيمُ آمالَ") == normalize("اعلن ابراهيم امال") == "اعلن ابراهيم امال"
    assert normalize("مستشفى الصحّة") == "مستشفي الصحه"                      # ى→ي, ة→ه, shadda gone
    assert normalize("الأهـــلي ٢٠٢٦، «الزمالك»!") == "الاهلي 2026 الزمالك"   # tatweel, digits, punctuation
    assert normalize("۱۴ مليون") == "14 مليون"
    assert normalize("خفض ٢٫٢ مليون برميل و1.4 مليار") == "خفض 2_2 مليون برميل و1_4 مليار"   # decimals whole
    assert terms("و1.4 مليار") == ["1_4", "مليار"]
    # stop words go, the article and clitics are stripped, numbers stay
    assert terms("وقال إن الوزير في موسكو والوزير بالقاهرة 14") == ["وزير", "موسكو", "وزير", "قاهر", "14"]   # ة→ه, then the ending goes


def test_spellings_numbers_and_clitics_of_one_event_meet():
    """What two outlets write differently for the same thing gives the same terms; names stay whole."""
    assert terms("الاحتياطي الفيدرالي الأمريكي") == terms("الاحتياطي الفدرالي الأميركي")
    assert terms("3.50%") == terms("3.5 بالمئة") == terms("٣٫٥٪") == ["3_5"]
    assert terms("٤١٬٩٢٠ جنيها") == terms("41,920 جنيها") and terms("4,0") == terms("4.00") == ["4"]
    assert terms("قتل ستة") == terms("قتل 6") and terms("فاز 2-1") == terms("فاز ٢ - ١") == ["فاز", "2x1"]
    assert terms("سيرغي لافروف في جوهانسبرغ") == terms("سيرجي لافروف في جوهانسبرج")
    assert terms("تأهل لنهائي الكأس بثنائية") == terms("تأهل النهائي الكأس ثنائية")
    assert terms("البنك يثبت الفائدة") == terms("والبنك تثبيت الفائدة")
    assert terms("الفلسطينيين فلسطين وفلسطيني") == ["فلسطين"] * 3             # one name, however it is bent
    assert terms("بدر عبد العاطي") != terms("خالد عبد الغفار")[1:]                 # عبد is not the name
    assert terms("عبد العاطي") == ["عبد_عاط"]


def test_our_evaluation_set_is_linked_with_real_dates_and_as_a_busy_day():
    """The evaluation set (tests/fixtures/stories/events.toml): precision ≥ 0.95 and recall ≥ 0.90 with the
    real dates, ≥ 0.95 and ≥ 0.85 with every event inside one window."""
    real, busy = evaluate_set(PARAMS), evaluate_set(PARAMS, busy=True)
    assert real.gold >= 40 and real.lookalikes >= 150
    assert real.precision >= 0.95 and real.recall >= 0.90, real
    assert busy.precision >= 0.95 and busy.recall >= 0.85, busy


def test_candidates_propose_every_gold_pair():
    """The candidate stage alone: a 40-word brief and a 250-word report of one event are neighbours."""
    for busy in (False, True):
        reports = eval_reports(busy=busy)
        gold = gold_pairs(reports)
        assert len(gold & candidate_pairs(reports, PARAMS)) >= 0.99 * len(gold)


@pytest.mark.parametrize("busy", [False, True], ids=["real dates", "busy day"])
def test_hard_shapes_are_linked_and_lookalikes_kept_apart(busy):
    """A rate decision, its brief and the market's reaction the next morning (another angle, another day);
    a short brief against a long report with Arabic-Indic figures (٢١٫٠٠٪ / 21%); a death toll in words
    and in digits; the same jeweller's report on three days (same words, other prices); the same club's
    match and injury news."""
    events = {"fed-hold", "fed-minutes", "cbe-rates", "cbe-reserves", "gaza-strike", "gaza-aid", "gold-mon",
              "gold-tue", "gold-wed", "ahly-win", "ahly-injury", "egx-sun", "egx-mon"}
    result = evaluate_set(PARAMS, busy=busy, events=events)
    assert result.missed == [] and result.false_links == [], result


def test_one_false_link_never_chains_two_stories():
    """Two stories of two reports each and one look-alike link between them stay two stories."""
    first = {x: (float(n), x) for n, x in enumerate("abcd")}
    links = [Link("a", "b", 0.9), Link("c", "d", 0.8), Link("b", "c", 0.3)]
    assert stories(links, first) == {"a": "a", "b": "a", "c": "c", "d": "c"}
    links.append(Link("a", "d", 0.3))             # half the pairs between them linked: one story
    assert set(stories(links, first).values()) == {"a"}


def test_each_link_records_why(tmp_path):
    archive = LocalArchive(f"file://{tmp_path}/archive")
    archive_replica(archive, NOW)
    rebuild(archive, PARAMS)
    rows = [row for key in archive.list("stories/links/") for row in json.loads(archive.get(key))]
    assert rows and all(row["why"].startswith("cosine ") and "shared " in row["why"] for row in rows)


def test_features_of_an_older_version_are_made_again(tmp_path):
    """A stories state written by the first linker (terms of the old normalization and a MinHash, no
    version): the next update makes those features again from the articles, as a rebuild would."""
    archive = LocalArchive(f"file://{tmp_path}/archive")
    archive_replica(archive, NOW)
    rebuild(archive, PARAMS)
    expected = load_story_ids(archive)
    for key in archive.list("stories/features/"):
        rows = json.loads(gzip.decompress(archive.get(key)))
        old = {aid: {**{k: v for k, v in row.items() if k != "v"}, "terms": {"قديم": 1}, "minhash": [1] * 128}
               for aid, row in rows.items()}
        archive.put(key, gzip.compress(json.dumps(old).encode()), content_type="application/gzip")
    last = sorted(archive.list("articles/"))[-1]
    record = json.loads(archive.get(last))
    record["text"] += "\nوأضاف مصدر مطلع أن الاجتماع المقبل سيعقد في القاهرة."
    record["content_sha256"] = hashlib.sha256(record["text"].encode()).hexdigest()
    archive.put(last, encode(record), content_type="application/json")
    update(archive, PARAMS, [last])
    for key in archive.list("stories/features/"):
        rows = json.loads(gzip.decompress(archive.get(key)))
        assert all(row["v"] == 2 and "minhash" not in row and "قديم" not in row["terms"] for row in rows.values())
    assert load_story_ids(archive) == expected


def test_replica_pairs_scored_above_095():
    result = evaluate(PARAMS)
    assert result.precision >= 0.95 and result.recall >= 0.95, result


def _story_of(ids: dict[str, str], site: str, story: str) -> str:
    article = next(a for a in build(site, NOW) if a.story == story)
    return ids[record_of(site, article, NOW)["id"]]


def test_lookalikes_with_the_same_speaker_and_organization_stay_apart(tmp_path):
    """The replica's two Lavrov/CSTO events (Armenia leaving; no help asked for Ukraine) share speaker,
    alliance and much vocabulary: each links across the two sites, never with the other."""
    archive = LocalArchive(f"file://{tmp_path}/archive")
    archive_replica(archive, NOW)
    rebuild(archive, PARAMS)
    ids = load_story_ids(archive)
    armenia = {_story_of(ids, site, "lavrov-armenia-csto") for site in SITES}
    ukraine = {_story_of(ids, site, "lavrov-csto-ukraine-help") for site in SITES}
    assert len(armenia) == 1 and len(ukraine) == 1 and armenia != ukraine
    beijing = _story_of(ids, "rt_arabic", "lavrov-beijing-talks")
    assert beijing not in armenia | ukraine and list(ids.values()).count(beijing) == 1
    vaccine = {_story_of(ids, site, "polio-vaccination-campaign") for site in SITES}
    hospital = {_story_of(ids, site, "aswan-hospital-opening") for site in SITES}
    assert len(vaccine) == 1 and len(hospital) == 1 and vaccine != hospital
    # the story id is the id of its first article
    rt = next(a for a in build("rt_arabic", NOW) if a.story == "lavrov-armenia-csto")
    assert armenia == {record_of("rt_arabic", rt, NOW)["id"]}


def _snapshot(root) -> dict[str, object]:
    """Every links and ids file of the stories state (features are the same bytes by construction)."""
    out = {}
    for path in sorted((root / "stories").rglob("*.json")):
        out[str(path.relative_to(root))] = json.loads(path.read_text("utf-8"))
    return out


def _features(root) -> dict[str, bytes]:
    """Every features file of the stories state, its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted((root / "stories").rglob("*.json.gz"))}


def _rebuilt(tmp_path, archive) -> Path:
    """The root of a copy of ``archive``'s articles whose stories were rebuilt from them alone."""
    full = LocalArchive(f"file://{tmp_path}/rebuilt")
    for key in archive.list("articles/"):
        full.put(key, archive.get(key), content_type="application/json")
    rebuild(full, PARAMS)
    return full.root


class CountingArchive(LocalArchive):
    """A local archive that counts the reads of articles (``articles/`` keys) made through it."""

    article_reads = 0

    def get(self, key: str) -> bytes | None:
        if key.startswith("articles/"):
            self.article_reads += 1
        return super().get(key)


def test_incremental_update_equals_rebuild(tmp_path):
    inc = LocalArchive(f"file://{tmp_path}/inc")
    full = LocalArchive(f"file://{tmp_path}/full")
    # run 1: RT Arabic alone; run 2: El Balad's older half; run 3: the rest; run 4: an edited article
    rt = archive_replica(inc, NOW, sites=("rt_arabic",))
    update(inc, PARAMS, [k for k in inc.list("articles/")])
    elbalad = [a for a in build("elbalad", NOW) if a.kind != "not_article"]
    half = len(elbalad) // 2
    for batch in (elbalad[half:], elbalad[:half]):         # the newer half first: late arrivals after
        keys = []
        for article in batch:
            record = record_of("elbalad", article, NOW)
            day = (article.published or NOW).astimezone(NOW.tzinfo).date().isoformat()
            keys.append(article_key("elbalad", day, record["id"]))
            inc.put(keys[-1], encode(record), content_type="application/json")
        result = update(inc, PARAMS, keys)
        assert result.articles > 0
    edited_key = next(k for k in inc.list("articles/site=elbalad/"))
    record = json.loads(inc.get(edited_key))
    record["text"] += "\nوأضاف مصدر مطلع أن الاجتماع المقبل سيعقد في القاهرة."
    record["content_sha256"] = hashlib.sha256(record["text"].encode()).hexdigest()
    inc.put(edited_key, encode(record), content_type="application/json")
    assert update(inc, PARAMS, [edited_key]).articles == 1
    assert update(inc, PARAMS, [edited_key]).articles == 0          # nothing new: nothing rewritten

    for key in inc.list("articles/"):
        full.put(key, inc.get(key), content_type="application/json")
    rebuild(full, PARAMS)
    assert load_story_ids(inc) == load_story_ids(full)
    assert _snapshot(inc.root) == _snapshot(full.root)
    rebuild(full, PARAMS, days_per_update=1)                # a rebuild a day at a time: the same again
    assert _snapshot(inc.root) == _snapshot(full.root)
    assert len(load_story_ids(inc)) == len(rt) + len(elbalad)
    assert score(load_story_ids(inc), {**rt, **{record_of("elbalad", a, NOW)["id"]: ("elbalad", a)
                                                 for a in elbalad}}, NOW).recall == 1.0


def test_stories_command_lists_one_line_per_story(tmp_path, capsys):
    url = f"file://{tmp_path}/archive"
    archive_replica(LocalArchive(url), NOW)
    since = (NOW - timedelta(days=3)).date().isoformat()
    assert cli(["stories", "--archive", url, "--rebuild", "--since", since]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("stories rebuilt from ")
    both = [line for line in lines[1:] if "elbalad,rt_arabic" in line]
    titles = {a.title for site in SITES for a in build(site, NOW) if a.story}
    assert {line.split("  ")[-1] for line in both} & titles           # event pairs show as 2-site stories
    assert any("لافروف: خروج أرمينيا" in line and "  2  " in line for line in both)
    assert cli(["stories", "--archive", url, "--since", "2099-01-01"]) == 0
    assert capsys.readouterr().out == ""
    with pytest.raises(SystemExit):
        cli(["stories", "--archive", url, "--since", "yesterday"])
    capsys.readouterr()
    LocalArchive(url).put(next(LocalArchive(url).list("stories/features/")), b"{", content_type="application/gzip")
    assert cli(["stories", "--archive", url, "--since", since]) == 1
    assert "stories state unreadable" in capsys.readouterr().err


@pytest.mark.slow
def test_a_crawl_links_the_stories_of_what_it_archived(tmp_path):
    """``arshif crawl`` of the replica: the hook links the extracted articles, with the features its extraction
    workers computed (none read back from the archive), as a rebuild from the archive does; the gold pairs
    hold."""
    with ReplicaServer(port=0) as replica:
        env = crawl_env(replica, tmp_path, after_run=True, ARSHIF_LOGGING__LEVEL="INFO")
        result = arshif("crawl", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        linked = re.search(r"stories: (\d+) articles linked, .*; (\d+) articles read from the archive", result.stderr)
        assert linked, result.stderr[-3000:]
        by_url = {replica.base_urls[site] + a.url_path: (site, a) for site in SITES
                  for a in replica.articles(site)}
    archive = LocalArchive(f"file://{tmp_path}/archive")
    articles = {}
    for key in archive.list("articles/"):
        record = json.loads(archive.get(key))
        articles[record["id"]] = by_url[record["canonical_url"]]
    assert (int(linked[1]), int(linked[2])) == (len(articles), 0)
    rebuilt = _rebuilt(tmp_path, archive)
    assert _snapshot(archive.root) == _snapshot(rebuilt) and _features(archive.root) == _features(rebuilt)
    ids = load_story_ids(archive)
    assert set(ids) == set(articles)
    crawled = score(ids, articles, NOW)        # article ids and gold pairs do not depend on the replica's clock
    assert crawled.precision >= 0.95 and crawled.recall >= 0.95, crawled
    assert list_stories(archive, (NOW - timedelta(days=400)).date()) != []


def test_stories_on_s3_match_the_local_archive(tmp_path, s3_server, s3_url):
    from crawler.archive.storage.s3 import S3Archive
    from tests.s3_server import s3_settings

    s3 = S3Archive(s3_url, s3_settings(s3_server))
    local = LocalArchive(f"file://{tmp_path}/archive")
    try:
        for archive in (s3, local):
            archive_replica(archive, NOW)
        update(s3, PARAMS, list(s3.list("articles/site=rt_arabic/")))      # incremental on S3…
        update(s3, PARAMS, list(s3.list("articles/site=elbalad/")))
        rebuild(local, PARAMS)                                              # …equals a local rebuild
        assert load_story_ids(s3) == load_story_ids(local)
        assert list_stories(s3, (NOW - timedelta(days=3)).date()) == list_stories(local, (NOW - timedelta(days=3)).date())
    finally:
        s3.close()


def test_articles_the_run_did_not_name_are_found_on_their_day(tmp_path):
    """An article archived without the update hearing of it (an outbox flush, a skipped update) is picked up
    by the next update that scans its day."""
    archive = LocalArchive(f"file://{tmp_path}/archive")
    archived = archive_replica(archive, NOW, sites=("rt_arabic",))
    keys = list(archive.list("articles/site=rt_arabic/"))
    day = keys[-1].split("date=")[1][:10]
    result = update(archive, PARAMS, pending(archive, [keys[-1]], scan_sites=["rt_arabic"], scan_days=0))
    on_day = [k for k in keys if f"date={day}/" in k]
    assert result.articles == len(on_day) > 1
    ids = load_story_ids(archive, days=[day])
    assert set(ids) == {k.rsplit("/", 1)[1][:-5] for k in on_day}
    assert set(load_story_ids(archive)) == set(ids) < set(archived)
    assert pending(archive, [], scan_sites=["rt_arabic"], scan_days=0) == set()     # today: nothing archived
    assert pending(archive, [keys[-1]], scan_sites=["rt_arabic"], scan_days=0) == {keys[-1]}


def test_the_hook_links_waits_its_turn_and_never_fails_the_crawl(tmp_path, caplog):
    from crawler.run.report import RunReport, new_run_id
    from crawler.run.lock import SiteLock
    from crawler.run.after_run import link_stories

    url = f"file://{tmp_path}/archive"
    archive = LocalArchive(url)
    archive_replica(archive, NOW, sites=("elbalad",))
    settings = load_settings(environ={}, overrides={"archive": {"url": url, "state_dir": str(tmp_path / "state")}})
    report = RunReport(new_run_id("elbalad"), "elbalad", url)
    report.keys_written = list(archive.list("articles/"))
    with SiteLock(settings, "stories"):                     # another update holds the lock: skipped
        assert link_stories(archive, settings, [report]) is None
    assert "another update is running" in caplog.text and load_story_ids(archive) == {}
    off = load_settings(environ={"ARSHIF_STORIES__ENABLED": "false"}, overrides={"archive": {"url": url}})
    assert link_stories(archive, off, [report]) is None and load_story_ids(archive) == {}
    result = link_stories(archive, settings, [report])
    assert result.articles == len(report.keys_written) and result.changed_days
    assert len(load_story_ids(archive)) == len(report.keys_written)
    report.keys_written = []                                # a run that archived nothing: nothing to do
    assert link_stories(archive, settings, [report]).articles == 0
    report.keys_written = list(archive.list("articles/"))
    first_day = report.keys_written[0].split("date=")[1][:10]         # a damaged state file: one error line
    archive.put(f"stories/features/date={first_day}.json.gz", b"not gzip", content_type="application/gzip")
    caplog.clear()
    assert link_stories(archive, settings, [report]) is None
    assert "stories state unreadable" in caplog.text and "--rebuild" in caplog.text


def test_the_features_handed_by_the_crawl_are_not_read_again(tmp_path):
    """The features the extraction workers computed reach the linker through the hand-off (as the crawl's
    pipelines give them): the linker reads none of those articles from the archive, reads those it was not
    handed (a record written otherwise than extracted, a key written twice), and links exactly as a rebuild
    from the archive does."""
    from crawler.run.after_run import link_stories
    from crawler.run.report import RunReport, new_run_id

    url = f"file://{tmp_path}/archive"
    archive = CountingArchive(url)
    archive_replica(archive, NOW)
    keys = sorted(archive.list("articles/"))
    handoff = Handoff()
    for n, key in enumerate(keys):                 # what the extraction and archive pipelines do, page by page
        record = json.loads(archive.get(key))
        handoff.extracted(record["id"], record["title"], record["content_sha256"],
                          article_terms(record["title"], record["text"]))
        if n == 0:                                 # the record written is not the one the terms are of
            record = {**record, "title": record["title"] + " (محدث)"}
        handoff.archived(key, record, handoff.take(record["id"]))
        if n == 1:                                 # written twice in one crawl: which came last is the archive's
            handoff.archived(key, record, (record["title"], record["content_sha256"], []))
    assert len(handoff.features) == len(keys) - 2
    settings = load_settings(environ={}, overrides={"archive": {"url": url, "state_dir": str(tmp_path / "state")}})
    report = RunReport(new_run_id("elbalad"), "elbalad", url)
    report.keys_written = keys
    archive.article_reads = 0
    result = link_stories(archive, settings, [report], handoff)
    assert archive.article_reads == result.read == 2
    assert result.articles == len(keys)
    rebuilt = _rebuilt(tmp_path, archive)
    assert _snapshot(archive.root) == _snapshot(rebuilt)
    assert _features(archive.root) == _features(rebuilt)


def test_the_stories_listing_keeps_its_columns(tmp_path, capsys):
    """The count column stands in the same place on every line, after one site or both ('elbalad,rt_arabic'
    is wider than the column was)."""
    url = f"file://{tmp_path}/archive"
    archive_replica(LocalArchive(url), NOW)
    since = (NOW - timedelta(days=3)).date().isoformat()
    assert cli(["stories", "--archive", url, "--rebuild", "--since", since]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    assert any("elbalad,rt_arabic" in line for line in lines) and any(",rt_arabic" not in line for line in lines)
    columns = {re.search(r"Z  \S+ +\d+  ", line).end() for line in lines}
    assert len(columns) == 1, lines[:5]
