"""The archive's key layout is built and parsed in one module (``crawler/archive/storage/keys.py``): every
key a builder makes lies under the prefixes that list it and parses back to what it was built from."""
from crawler.archive.storage import keys as k

SITE, DAY, ART, SHA = "elbalad", "2024-05-01", "0123456789abcdef0123", "ab" * 32


def test_every_key_lies_under_the_prefixes_that_list_it_and_parses_back():
    article = k.article_key(SITE, DAY, ART)
    assert article.startswith(k.articles_prefix(SITE, DAY)) and article.startswith(k.articles_prefix(SITE))
    assert article.startswith(k.articles_prefix()) and not article.startswith(k.articles_prefix("rt_arabic"))
    assert k.parse_article_key(article) == {"site": SITE, "date": DAY, "id": ART}
    version = k.version_key(SITE, DAY, ART, SHA)
    assert version.startswith(k.versions_prefix(SITE))
    assert k.parse_version_key(version) == {"site": SITE, "date": DAY, "id": ART, "sha": SHA}
    warc = k.warc_key(SITE, DAY, "run-00001.warc.gz")
    assert warc.startswith(k.warc_prefix(SITE))
    assert k.parse_warc_key(warc) == {"site": SITE, "date": DAY, "name": "run-00001.warc.gz"}
    assert k.parse_warc_key(k.cdxj_key(warc)) == {"site": SITE, "date": DAY, "name": "run-00001.cdxj"}
    run = k.run_key(SITE, DAY, "20240501T000000Z-ab12")
    assert run.startswith(k.runs_prefix(SITE)) and k.parse_run_key(run)["site"] == SITE
    part = k.dataset_day_prefix(SITE, DAY) + "part-1.parquet"
    assert k.parse_dataset_key(part) == {"site": SITE, "date": DAY, "name": "part-1.parquet"}
    for key in (article, version, warc, run, part):
        assert k.key_date(key) == DAY and k.top_prefix(key) in k.KNOWN_PREFIXES
    for key in (k.story_features_key(DAY), k.story_links_key(DAY), k.story_ids_key(DAY)):
        assert k.key_date(key) == DAY and k.top_prefix(key) == k.STORIES
    assert k.top_prefix(k.lease_key(SITE)) == k.LEASES and k.lease_lock_key(SITE).startswith(k.LEASES + ".")
    assert k.key_date(k.lease_key(SITE)) is None


def test_a_parser_refuses_the_keys_of_another_kind():
    article = k.article_key(SITE, DAY, ART)
    assert k.parse_version_key(article) is None and k.parse_run_key(article) is None
    assert k.parse_warc_key(article) is None and k.parse_dataset_key(article) is None
    assert k.parse_article_key(article + ".tmp") is None
