"""Settings: defaults, layers, environment overrides, and one clear line per mistake."""
import pytest

from crawler.config import SettingsError, load_settings, parse_duration


def load(env=None, tmp_path=None, text=None):
    path = None
    if text is not None:
        path = tmp_path / "user.toml"
        path.write_text(text, encoding="utf-8")
    return load_settings(path, environ=env or {})


def test_defaults_are_valid_and_complete():
    s = load()
    assert s.archive.url == "file://./archive"
    assert set(s.sites) == {"rt_arabic", "elbalad"}
    assert s.sites["elbalad"].every == 1800 and s.sites["elbalad"].cron is None
    assert s.sites["elbalad"].schedule_timezone == "Africa/Cairo"


def test_site_defaults_come_from_the_site_module():
    from crawler.sites import SITES

    s = load()
    for key, spec in SITES.items():
        assert s.sites[key].base_url == spec.default_base_url
        assert (s.sites[key].feeds, s.sites[key].sitemaps, s.sites[key].listings) == (
            list(spec.feeds), list(spec.sitemaps), list(spec.listings))
    assert s.sites["rt_arabic"].feeds == ["/rss/"]


def test_settings_override_only_what_they_set(tmp_path):
    s = load({"ARSHIF_SITES__ELBALAD__SITEMAPS": '["/other.xml"]'}, tmp_path,
             '[sites.elbalad]\nbase_url = "http://127.0.0.1:9000"\n')
    site = s.sites["elbalad"]
    assert site.base_url == "http://127.0.0.1:9000" and site.sitemaps == ["/other.xml"]
    assert site.feeds == ["/rss.aspx"] and site.listings[0] == "/category/2"


def test_the_old_timezone_key_is_refused_naming_the_new_one(tmp_path):
    with pytest.raises(SettingsError) as err:
        load(tmp_path=tmp_path, text='[sites.elbalad]\ntimezone = "Africa/Cairo"\n')
    assert str(err.value).startswith("settings: sites.elbalad.timezone: renamed to 'schedule_timezone'")
    assert "user.toml" in str(err.value)


def test_user_file_sets_only_what_it_changes(tmp_path):
    s = load(tmp_path=tmp_path, text='[sites.elbalad]\nbase_url = "http://127.0.0.1:9000"\n')
    assert s.sites["elbalad"].base_url == "http://127.0.0.1:9000"
    assert s.sites["elbalad"].url("/rss.aspx") == "http://127.0.0.1:9000/rss.aspx"
    assert s.sites["rt_arabic"].base_url == "https://arabic.rt.com"


def test_environment_overrides_file(tmp_path):
    s = load({"ARSHIF_SITES__ELBALAD__EVERY": "5s", "ARSHIF_CRAWL__RETRY_TIMES": "7",
              "ARSHIF_SITES__RT_ARABIC__FEEDS": '["/a", "/b"]'},
             tmp_path, '[crawl]\nretry_times = 3\n')
    assert s.sites["elbalad"].every == 5
    assert s.crawl.retry_times == 7
    assert s.sites["rt_arabic"].feeds == ["/a", "/b"]


def test_cron_in_a_higher_layer_replaces_the_default_interval():
    s = load({"ARSHIF_SITES__ELBALAD__CRON": "*/5 * * * *"})
    assert s.sites["elbalad"].cron == "*/5 * * * *" and s.sites["elbalad"].every is None


def test_settings_file_from_environment(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[logging]\nformat = "json"\n')
    assert load_settings(environ={"ARSHIF_SETTINGS": str(path)}).logging.format == "json"


@pytest.mark.parametrize("env, expected", [
    ({"ARSHIF_CRAWL__BOGUS": "1"}, "settings: crawl.bogus: unknown key (from environment variable ARSHIF_CRAWL__BOGUS)"),
    ({"ARSHIF_SITES__ELBALAD__BASE_URL": "ftp:/x"}, "settings: sites.elbalad.base_url: expected an http(s) URL"),
    ({"ARSHIF_CRAWL__RETRY_TIMES": "many"}, "settings: crawl.retry_times: Input should be a valid integer"),
    ({"ARSHIF_ARCHIVE__URL": "s3://Bad_Bucket/x"}, "settings: archive.url: bad bucket name 'Bad_Bucket'"),
    ({"ARSHIF_ARCHIVE__URL": "gopher://x"}, "settings: archive.url: expected file://PATH or s3://BUCKET/PREFIX"),
    ({"ARSHIF_SITES__ELBALAD__EVERY": "soon"}, "settings: sites.elbalad.every: expected a duration"),
    ({"ARSHIF_SITES__ELBALAD__CRON": "* * *"}, "settings: sites.elbalad.cron: expected a 5-field crontab"),
    ({"ARSHIF_SITES__ELBALAD__SCHEDULE_TIMEZONE": "Mars/Base"},
     "settings: sites.elbalad.schedule_timezone: unknown time zone"),
    ({"ARSHIF_SITES__NOWHERE__ENABLED": "true"}, "settings: sites: unknown site 'nowhere'"),
    ({"ARSHIF_LOGGING__FORMAT": "xml"}, "settings: logging.format: Input should be 'text' or 'json'"),
    ({"ARSHIF_SITES__ELBALAD__WATCH_EVERY": "-3m"}, "settings: sites.elbalad.watch_every:"),
    ({"ARSHIF_SITES__RT_ARABIC__WATCH_ID_PROBES": "-1"},
     "settings: sites.rt_arabic.watch_id_probes: Input should be greater than or equal to 0"),
    ({"ARSHIF_SITES__ELBALAD__REVISIT_AFTER": '["6h", "1h"]'},
     "settings: sites.elbalad.revisit_after: expected increasing delays"),
    ({"ARSHIF_SITES__ELBALAD__REVISIT_AFTER": '["1h", "later"]'}, "settings: sites.elbalad.revisit_after.1:"),
])
def test_bad_values_give_one_line_naming_the_key(env, expected):
    with pytest.raises(SettingsError) as err:
        load(env)
    message = str(err.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_both_schedules_in_one_file_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match=r"sites\.elbalad: .*exactly one of 'cron' or 'every'"):
        load(tmp_path=tmp_path, text='[sites.elbalad]\ncron = "* * * * *"\nevery = "5m"\n')


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl\n")
    with pytest.raises(SettingsError, match=r"bad\.toml: not valid TOML"):
        load_settings(bad, environ={})


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("45m", 2700), ("2h", 7200), (30, 30), ("250ms", 0.25)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


# ------------------------------------------------------------------ layering on pydantic-settings


def test_a_nested_environment_variable_changes_one_key_of_one_site(tmp_path):
    s = load({"ARSHIF_SITES__RT_ARABIC__BASE_URL": "http://127.0.0.1:8802/",
              "ARSHIF_SITES__RT_ARABIC__MAX_PAGES": "40"},
             tmp_path, '[sites.rt_arabic]\nlisting_pages = 1\n')
    rt = s.sites["rt_arabic"]
    assert rt.url(rt.feeds[0]) == "http://127.0.0.1:8802/rss/"   # the module's path, under the new base URL
    assert rt.max_pages == 40 and rt.listing_pages == 1 and rt.every == 1800
    assert s.sites["elbalad"].base_url == "https://www.elbalad.news" and s.sites["elbalad"].max_pages == 2000


def test_environment_values_are_read_as_toml_values():
    s = load({"ARSHIF_SITES__ELBALAD__LISTINGS": "['/category/2', \"/category/7\"]",   # TOML, not JSON
              "ARSHIF_ARCHIVE__URL": '"s3://news-archive/arshif"',                        # quotes removed
              "ARSHIF_CRAWL__OBEY_ROBOTS": "false", "ARSHIF_STATUS__MAX_SHORT_SHARE": "0.5",
              "ARSHIF_CRAWL__USER_AGENT": "probe/1 (a plain string)"})
    assert s.sites["elbalad"].listings == ["/category/2", "/category/7"]
    assert s.archive.url == "s3://news-archive/arshif"
    assert s.crawl.obey_robots is False and s.status.max_short_share == 0.5
    assert s.crawl.user_agent == "probe/1 (a plain string)"


def test_a_list_from_the_environment_replaces_the_files_list(tmp_path):
    s = load({"ARSHIF_SITES__ELBALAD__FEEDS": '["/b", "/c"]'}, tmp_path, '[sites.elbalad]\nfeeds = ["/a"]\n')
    assert s.sites["elbalad"].feeds == ["/b", "/c"]
    with pytest.raises(SettingsError) as err:
        load({"ARSHIF_SITES__ELBALAD__FEEDS": "/rss"})
    assert str(err.value) == ("settings: sites.elbalad.feeds: Input should be a valid list "
                              "(from environment variable ARSHIF_SITES__ELBALAD__FEEDS)")


def test_an_error_names_the_highest_layer_that_set_the_value(tmp_path):
    text = '[sites.elbalad]\nbase_url = "notaurl"\n'
    with pytest.raises(SettingsError) as err:
        load(tmp_path=tmp_path, text=text)
    assert str(err.value) == ("settings: sites.elbalad.base_url: expected an http(s) URL with a host, "
                              f"got 'notaurl' (from settings file {tmp_path / 'user.toml'})")
    # the environment fixes the file's mistake; the command line's mistake is named as the command line's
    assert load({"ARSHIF_SITES__ELBALAD__BASE_URL": "http://127.0.0.1:9"}, tmp_path, text).sites[
        "elbalad"].base_url == "http://127.0.0.1:9"
    with pytest.raises(SettingsError, match=r"^settings: archive\.url: bad bucket name 'A_B': .*\(from command line\)$"):
        load_settings(environ={"ARSHIF_ARCHIVE__URL": "s3://good-bucket/p"},
                      overrides={"archive": {"url": "s3://A_B/p"}})


def test_unknown_environment_variables_are_refused_naming_them():
    for env, expected in [
        ({"ARSHIF_BOGUS": "1"}, "settings: bogus: unknown key (from environment variable ARSHIF_BOGUS)"),
        ({"ARSHIF_SITES__ELBALAD__BOGUS": "1"},
         "settings: sites.elbalad.bogus: unknown key (from environment variable ARSHIF_SITES__ELBALAD__BOGUS)"),
        ({"ARSHIF_CRAWL____RETRY_TIMES": "1"},
         "environment variable ARSHIF_CRAWL____RETRY_TIMES: empty name part (use one '__' between keys)"),
    ]:
        with pytest.raises(SettingsError) as err:
            load(env)
        assert str(err.value) == expected


def test_secrets_never_appear_in_errors():
    with pytest.raises(SettingsError) as err:
        load({"ARSHIF_ARCHIVE__S3__SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret"})
    assert str(err.value).startswith("settings: archive.s3.secret_access_key: unknown key")
    assert "wJalrXUtnFEMI" not in str(err.value)


def test_a_table_where_a_value_belongs_names_the_key_not_a_lower_layer():
    with pytest.raises(SettingsError) as err:
        load({"ARSHIF_CRAWL__RETRY_TIMES__X": "1"})
    assert str(err.value).startswith("settings: crawl.retry_times: Input should be a valid integer")
    assert "default" not in str(err.value)


def test_the_schedule_comes_whole_from_the_highest_layer_that_sets_one(tmp_path):
    text = '[sites.elbalad]\ncron = "*/5 * * * *"\n'
    cfg = load(tmp_path=tmp_path, text=text).sites["elbalad"]
    assert cfg.cron == "*/5 * * * *" and cfg.every is None          # the file's cron replaces the default every
    cfg = load({"ARSHIF_SITES__ELBALAD__EVERY": "10m"}, tmp_path, text).sites["elbalad"]
    assert cfg.every == 600 and cfg.cron is None
    with pytest.raises(SettingsError, match=r"^settings: sites\.elbalad: set exactly one of 'cron' or 'every'"):
        load({"ARSHIF_SITES__ELBALAD__EVERY": "10m", "ARSHIF_SITES__ELBALAD__CRON": "0 * * * *"})


def test_settings_built_directly_read_the_process_environment(monkeypatch, tmp_path):
    from crawler.config import Settings

    path = tmp_path / "s.toml"
    path.write_text('[sites.elbalad]\nmax_pages = 7\n')
    monkeypatch.setenv("ARSHIF_SETTINGS", str(path))
    monkeypatch.setenv("ARSHIF_SITES__ELBALAD__EVERY", "5s")
    s = Settings()
    assert s.sites["elbalad"].max_pages == 7 and s.sites["elbalad"].every == 5
    assert s.sites["rt_arabic"].feeds == ["/rss/"]
