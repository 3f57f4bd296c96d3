"""``arshif verify`` on a local archive and on the real S3 server: clean archives pass, each kind of damage
is reported."""
from __future__ import annotations

import hashlib
import json

import pytest

from crawler.archive.storage.local import LocalArchive
from crawler.archive.storage.s3 import S3Archive
from crawler.archive.storage.store import plan_article, store_article
from crawler.verify import verify_archive
from crawler.extract.record import encode
from crawler.run.report import RunReport
from crawler.archive.state.index import Known
from tests.s3_server import s3_settings
from tests.test_outbox import make_record

JSON = "application/json; charset=utf-8"
DATE = "2026-11-20"


def fill(archive) -> dict:
    """Three articles, one edited once, and the run manifest listing what was written."""
    report = RunReport("20261120T090000Z-elbalad-0001", "elbalad", archive.url)
    keys = {}
    for n in range(3):
        rec = make_record(n)
        outcome, written, _ = store_article(archive, plan_article(rec, None, DATE))
        assert outcome == "new"
        keys[n] = written[0]
        report.keys_written += written
    rec = make_record(0)
    edited = make_record(0, "نص المقال صفر بعد التعديل.", hour=11)
    known = Known(rec["id"], rec["canonical_url"], keys[0], rec["content_sha256"], 1, None)
    outcome, written, _ = store_article(archive, plan_article(edited, known, DATE))
    assert outcome == "updated" and len(written) == 2
    report.keys_written += written
    report.finish("ok")
    archive.put(report.key, report.to_json(), content_type=JSON)
    return keys


@pytest.fixture(params=["local", "s3"])
def archive(request, tmp_path):
    if request.param == "local":
        yield LocalArchive(f"file://{tmp_path}/archive")
        return
    server = request.getfixturevalue("s3_server")
    url = request.getfixturevalue("s3_url")
    arc = S3Archive(url, s3_settings(server))
    yield arc
    arc.close()


def test_clean_archive(archive):
    fill(archive)
    result = verify_archive(archive)
    assert result.problems == []
    assert (result.counts["articles"], result.counts["versions"], result.counts["runs"]) == (3, 1, 1)
    assert result.counts["unlisted"] == 0


def test_damage_is_reported(archive):
    keys = fill(archive)
    # 1. the text was changed by hand: its hash no longer matches
    rec = json.loads(archive.get(keys[1]))
    archive.put(keys[1], encode({**rec, "text": rec["text"] + " زيادة"}), content_type=JSON)
    # 2. a record that breaks the schema
    rec2 = json.loads(archive.get(keys[2]))
    del rec2["title"]
    archive.put(keys[2], encode(rec2), content_type=JSON)
    # 3. the same article stored under a second date
    rec0 = json.loads(archive.get(keys[0]))
    twin = keys[0].replace(f"date={DATE}", "date=2026-11-21")
    archive.put(twin, archive.get(keys[0]), content_type=JSON)
    # 4. a manifest listing a key that is not there; an article no manifest lists
    report = RunReport("20261120T100000Z-elbalad-0002", "elbalad", archive.url)
    report.keys_written = ["articles/site=elbalad/date=2026-11-20/ffffffffffffffffffff.json"]
    archive.put(report.key, report.to_json(), content_type=JSON)
    new = make_record(9)
    store_article(archive, plan_article(new, None, DATE))
    # 5. not JSON at all
    archive.put("articles/site=elbalad/date=2026-11-20/eeeeeeeeeeeeeeeeeeee.json", b"{oops", content_type=JSON)

    result = verify_archive(archive)
    text = "\n".join(result.problems)
    assert f"{keys[1]}: text does not match content_sha256" in text
    assert f"{keys[2]}: schema: record: 'title' is a required property" in text
    assert f"article id {rec0['id']} is stored 2 times" in text
    assert "canonical URL stored under" not in text          # same id twice, not two ids
    assert ("manifest lists articles/site=elbalad/date=2026-11-20/ffffffffffffffffffff.json, which is not in "
            "the archive") in text
    assert "eeeeeeeeeeeeeeeeeeee.json: not valid JSON" in text
    assert result.counts["unlisted"] == 3                    # the twin, the new one, the broken one
    assert not result.ok


def test_articles_in_no_manifest_are_a_problem_that_repair_lists_in_a_recovery_manifest(archive):
    """The defect: a run killed after writing articles but before its report left them in no manifest, and
    verify called that clean; data teams following runs/ never saw them."""
    from jobs.verify import repair_manifests

    fill(archive)
    orphans = [store_article(archive, plan_article(make_record(n), None, DATE))[1][0] for n in (7, 8)]
    result = verify_archive(archive)
    assert not result.ok
    assert result.problems == [f"{key}: in no run manifest (written by a run that died before its report?); "
                               "`arshif verify --repair` lists it in a recovery manifest" for key in sorted(orphans)]
    written = repair_manifests(archive, result)
    assert len(written) == 1 and written[0].startswith("runs/site=elbalad/") and written[0].endswith("-recovery.json")
    manifest = json.loads(archive.get(written[0]))
    assert (manifest["kind"], manifest["result"], sorted(manifest["keys_written"])) == ("recovery", "ok", sorted(orphans))
    again = verify_archive(archive)
    assert again.problems == [] and again.counts["unlisted"] == 0 and again.counts["runs"] == 2


def test_one_text_under_several_ids_is_a_problem(archive):
    """A page standing in for articles (an access-denied page in the site's layout) archived under each id
    it answered for: verify said all was well (issue 20)."""
    keys = fill(archive)
    first, third = json.loads(archive.get(keys[1])), json.loads(archive.get(keys[2]))
    third.update(text=first["text"], content_sha256=first["content_sha256"])
    archive.put(keys[2], encode(third), content_type=JSON)
    assert verify_archive(archive).problems == [
        f"text {first['content_sha256'][:12]}: the same text is the article of 2 ids: "
        f"{', '.join(sorted([first['id'], third['id']]))} (a page that stood in for them? fetch them again with "
        "`arshif refetch`)"]


def test_a_garbled_article_is_a_problem(archive):
    keys = fill(archive)
    rec = json.loads(archive.get(keys[2]))
    bad = rec["text"].encode("utf-8").decode("cp1256")            # UTF-8 read as Arabic Windows: mojibake
    rec.update(text=bad, content_sha256=hashlib.sha256(bad.encode()).hexdigest())
    archive.put(keys[2], encode(rec), content_type=JSON)
    assert verify_archive(archive).problems == [
        f"{keys[2]}: garbled text (mojibake): fetch it again with `arshif refetch {rec['id']}`"]


def test_version_problems(archive):
    keys = fill(archive)
    rec = make_record(5)
    orphan = f"versions/site=elbalad/date={DATE}/{rec['id']}/{rec['content_sha256']}.json"
    archive.put(orphan, encode(rec), content_type=JSON)
    current = json.loads(archive.get(keys[1]))
    same = f"versions/site=elbalad/date={DATE}/{current['id']}/{current['content_sha256']}.json"
    archive.put(same, encode(current), content_type=JSON)
    problems = "\n".join(verify_archive(archive).problems)
    assert f"{orphan}: past version of an article that is not in articles/" in problems
    assert f"{same}: past version identical to the article's current text" in problems


def test_unexpected_keys_under_each_prefix_are_named_with_the_key_expected_there_and_left_out_of_repair(archive):
    """Keys no parser recognises under articles/, versions/ and runs/: each a problem naming the key expected
    there, none counted, none in a recovery manifest (``--repair`` filed ``versions/x.json`` under a site
    ``x.json``)."""
    fill(archive)
    stray = {"articles": "articles/site=elbalad/notes.txt", "versions": "versions/x.json",
             "runs": "runs/site=elbalad/oops.txt"}
    for key in stray.values():
        archive.put(key, b"{}", content_type=JSON)
    result = verify_archive(archive)
    assert result.problems == [
        f"{stray['articles']}: unexpected key under articles/ (expected articles/site=S/date=D/<id>.json)",
        f"{stray['versions']}: unexpected key under versions/ (expected versions/site=S/date=D/<id>/<sha256>.json)",
        f"{stray['runs']}: unexpected key under runs/ (expected runs/site=S/date=D/<run id>.json)"]
    assert (result.counts["articles"], result.counts["versions"], result.counts["runs"]) == (3, 1, 1)
    assert result.unlisted == [] and result.counts["unlisted"] == 0


def test_s3_metadata_must_agree(s3_server, s3_url):
    arc = S3Archive(s3_url, s3_settings(s3_server))
    keys = fill(arc)
    data = arc.get(keys[2])
    arc.put(keys[2], data, content_type=JSON, metadata={"content-sha256": "0" * 64})
    assert verify_archive(arc).problems == [f"{keys[2]}: object metadata content-sha256 differs from the record's"]


def test_cli_verify(s3_server, s3_url, capsys):
    from jobs.cli import main

    arc = S3Archive(s3_url, s3_settings(s3_server))
    keys = fill(arc)
    args = ["verify", "--archive", s3_url]
    env_settings = {"ARSHIF_ARCHIVE__S3__ENDPOINT_URL": s3_server.endpoint,
                    "ARSHIF_ARCHIVE__S3__ADDRESSING_STYLE": "path"}
    with pytest.MonkeyPatch.context() as mp:
        for k, val in env_settings.items():
            mp.setenv(k, val)
        assert main(args) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"verify {s3_url}: 3 articles, 1 past versions, 1 run manifests") and "0 problems" in out
        arc.put(keys[1], b"[]", content_type=JSON)
        assert main(args) == 1
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].endswith("1 problems") and lines[1].startswith(f"problem: {keys[1]}: ")

        # configuration errors: one line on stderr, exit 2, no secret
        assert main(["verify", "--archive", "s3://no-such-bucket-x/p"]) == 2
        err = capsys.readouterr().err
        assert err == "arshif: archive s3://no-such-bucket-x/p: bucket 'no-such-bucket-x' does not exist\n"
        mp.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-" + "z" * 20)
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "credentials refused (SignatureDoesNotMatch; credentials from env)" in err
        assert "not-the-secret-" not in err and s3_server.secret_key not in err and s3_server.access_key not in err
        assert main(["verify", "--archive", "s3://Bad_Name/p"]) == 2
        assert "bad bucket name 'Bad_Name'" in capsys.readouterr().err


def test_cli_verify_repair_writes_the_recovery_manifest_then_verifies_clean(tmp_path, capsys):
    from jobs.cli import main

    arc = LocalArchive(f"file://{tmp_path}/archive")
    fill(arc)
    orphan = store_article(arc, plan_article(make_record(7), None, DATE))[1][0]
    args = ["verify", "--archive", arc.url]
    assert main(args) == 1
    assert f"problem: {orphan}: in no run manifest" in capsys.readouterr().out
    assert main([*args, "--repair"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("repaired: recovery manifest runs/site=elbalad/") and out[0].endswith("-recovery.json")
    assert "0 articles in no manifest," in out[1] and out[1].endswith(" 0 problems")
    assert main(args) == 0
