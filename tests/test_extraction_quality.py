"""Quality floor (like Trafilatura's eval gate): our cleaned text against the replica's gold text, per site."""
from functools import cache

import pytest

from bench.extraction import evaluate, replica_pages
from bench.quality import Score, tokens

# Pinned floors of token F1 (micro-averaged over the replica's article pages). Raise them when the
# extraction improves; a change that drops below them is a regression.
F1_FLOOR = {"rt_arabic": 0.97, "elbalad": 0.97}
MIN_PAGES = 30


@cache
def evaluated(site: str, layout: int = 1):
    """Each site and layout evaluated once per process, whatever order the tests run in (a param fixture is
    built again each time its param changes: 4 evaluations became 6)."""
    return evaluate(list(replica_pages(site, layout=layout)), layout=layout, warm_up=False)


@pytest.fixture(scope="module", params=sorted(F1_FLOOR))
def result(request):
    return evaluated(request.param)


def test_f1_floor(result):
    assert result.pages >= MIN_PAGES
    assert result.ours.f1 >= F1_FLOOR[result.site], f"{result.site}: F1 {result.ours.f1:.4f}, worst {result.worst[:3]}"


def test_better_than_plain_trafilatura(result):
    assert result.ours.f1 > result.plain.f1


def test_pages_without_an_article_are_rejected(result):
    assert result.not_articles >= 1
    assert result.rejected == result.not_articles


# The redesign (replica layout 2): only the generic fallbacks read it.
REDESIGN_F1_FLOOR = 0.95


@pytest.fixture(scope="module", params=sorted(F1_FLOOR))
def redesign(request):
    return evaluated(request.param, layout=2)


def test_f1_floor_on_the_redesign(redesign):
    assert redesign.pages >= MIN_PAGES
    assert redesign.ours.f1 >= REDESIGN_F1_FLOOR, \
        f"{redesign.site}: F1 {redesign.ours.f1:.4f}, worst {redesign.worst[:3]}"


def test_redesign_rejects_the_pages_without_an_article(redesign):
    assert redesign.not_articles >= 2 and redesign.rejected == redesign.not_articles
    assert redesign.ours.recall >= 0.99          # nothing of the articles is lost, only the box headlines stay


def test_tokens_split_on_white_space_and_punctuation_keep_marks():
    assert tokens("قال: «الأمنُ» أولاً، و(الحوار)... RT_Arabic 2026") == tokens("قال الأمنُ أولاً و الحوار RT Arabic 2026")
    assert "الأمنُ" in tokens("«الأمنُ»")


def test_score_counts_common_tokens():
    score = Score().add("أ ب ب ج", "أ ب د")
    assert (score.common, score.predicted, score.gold) == (2, 4, 3)
    assert score.precision == 0.5 and score.recall == pytest.approx(2 / 3)
    assert Score().add("", "أ").f1 == 0.0
