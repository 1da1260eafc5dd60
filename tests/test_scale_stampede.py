"""No stampede (issue 19): a purged page asked for by many readers at once is rendered once
per node, not once per reader; the others get the page that one render stored."""

import threading
import time

import pytest
from test_pagecache import cached, get  # noqa: F401 (a fixture)

from khabar.articles import views as article_views
from khabar.site import pagecache
from khabar.test import make_article

pytestmark = pytest.mark.django_db(transaction=True)

READERS = 24


def _count_renders(monkeypatch):
    renders = []
    real = article_views._home_data

    def slow_home(edition):
        renders.append(edition)
        time.sleep(0.3)  # a render slow enough for every reader to arrive during it
        return real(edition)

    monkeypatch.setattr(article_views, "_home_data", slow_home)
    return renders


def _readers_at_once(app, path, count=READERS):
    answers = []
    start = threading.Barrier(count)

    def read():
        start.wait()
        answers.append(get(app, path))

    threads = [threading.Thread(target=read) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_it_renders_a_purged_page_once_for_many_readers(cached, monkeypatch):  # noqa: F811
    story = make_article(headline="الخبر الأول")
    renders = _count_renders(monkeypatch)
    assert get(cached, "/ar/")[0] == 200
    assert len(renders) == 1

    for round_ in range(3):
        renders.clear()
        pagecache.purge_keys([f"h:{story.lang}"])
        answers = _readers_at_once(cached, "/ar/")
        assert [status for status, _h, _b in answers] == [200] * READERS
        assert all("الخبر الأول" in body for _s, _h, body in answers)
        assert len(renders) == 1, f"purge {round_ + 1}: {len(renders)} renders"


def test_it_lets_every_reader_render_a_page_no_purge_removed(cached, monkeypatch):  # noqa: F811
    # A page never stored (a cold start) takes no lock: only purged pages are coalesced,
    # so pages the cache never keeps do not queue their readers one behind another.
    make_article()
    _count_renders(monkeypatch)
    store = pagecache.store()
    key = pagecache.cache_key("127.0.0.1:8000", "/ar/", "")
    assert store.lock_render(key, 5) == pagecache.DIRECT


def test_it_renders_again_when_the_renderer_could_not_store_the_page(cached, monkeypatch):  # noqa: F811
    story = make_article()
    renders = _count_renders(monkeypatch)
    get(cached, "/ar/")
    pagecache.purge_keys([f"h:{story.lang}"])
    monkeypatch.setattr(pagecache.SqliteStore, "put", lambda *args, **kwargs: False)
    renders.clear()
    answers = _readers_at_once(cached, "/ar/", count=4)
    assert [status for status, _h, _b in answers] == [200] * 4
    # The first render stored nothing: the lock goes and the readers render for themselves.
    assert len(renders) >= 2


def test_it_frees_a_lock_whose_renderer_died(cached):  # noqa: F811
    store = pagecache.store()
    store._db().execute("INSERT INTO render_lock (key, until) VALUES ('k', 0)")
    assert store.lock_render("k", 0.05) == pagecache.RENDER
    assert store.lock_render("k", 0.05) == pagecache.WAIT
    time.sleep(0.1)
    assert store.lock_render("k", 0.05) == pagecache.RENDER
