"""The database router: readers read the replica, writers and what just wrote the primary.

The ``replica`` alias here is a second connection to the test database (a mirror, as Django
tests a replica): which connection a request's queries ran on shows where the router sent
them. The replica's health is set as the router would find it; the real replica (lag,
stopping it, read counters on the server) is tests/test_replica_topology.py.
"""

from __future__ import annotations

import copy
import json
import time

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from khabar.articles.models import Article
from khabar.site import dbrouting, pagecache
from khabar.test import make_article

LOGIN = "/desk/login/?next=/desk/"
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """A ``replica`` alias on the test database, as settings make one from
    DATABASE_REPLICA_URL (module scope: it must exist before the test's database setup)."""
    conf = copy.deepcopy(connections["default"].settings_dict)
    conf["TEST"] = {**conf.get("TEST", {}), "MIRROR": "default"}
    connections.settings[dbrouting.REPLICA] = conf
    yield dbrouting.REPLICA
    with django_db_blocker.unblock():
        connections[dbrouting.REPLICA].close()
    del connections[dbrouting.REPLICA]
    del connections.settings[dbrouting.REPLICA]


@pytest.fixture
def healthy(settings):
    """The replica as the router finds it when it streams and is caught up."""
    settings.KHABAR_REPLICA_CHECK_SECONDS = 3600
    replica = dbrouting.replica
    replica.ok, replica.lag, replica.reason = True, 0.0, "ok"
    replica.checked_at = time.monotonic()
    replica._fence = pagecache.store().generations([pagecache.ANY_PURGE])[0]
    yield replica
    replica.checked_at = float("-inf")


@pytest.fixture
def broken_replica():
    """A replica whose every connection fails (a folder that does not exist)."""
    conf = connections.settings[dbrouting.REPLICA]
    fresh_replica_connection({**conf, "NAME": "/nonexistent/khabar/replica.sqlite3"})
    yield
    fresh_replica_connection(conf)


def fresh_replica_connection(conf: dict) -> None:
    wrapper = connections[dbrouting.REPLICA]
    if wrapper.connection is not None:
        wrapper.connection.close()  # SQLite's close() keeps an in-memory database's open
    del connections[dbrouting.REPLICA]
    connections.settings[dbrouting.REPLICA] = conf


def selects(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")]


def load(client, path: str):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[dbrouting.REPLICA]) as replica,
    ):
        response = client.get(path)
    return response, selects(primary), selects(replica)


def test_it_reads_an_anonymous_story_page_from_the_replica(client, healthy):
    story = make_article(headline="خبر للقراء")
    response, primary, replica = load(client, story.get_absolute_url())
    assert response.status_code == 200
    assert "خبر للقراء" in response.content.decode()
    assert replica and primary == []
    assert dbrouting.PIN_COOKIE not in response.cookies


def sign_in_and_keep(client, cookie: str) -> None:
    """The editor signs in (a write: the session, the last login); only ``cookie`` is kept."""
    response = client.post(LOGIN, {"username": "editor", "password": "editor-Pass-1234!"})
    assert response.status_code == 302
    assert dbrouting.PIN_COOKIE in response.cookies
    for name in list(client.cookies):
        if name != cookie:
            del client.cookies[name]


def test_it_pins_a_client_that_wrote_to_the_primary(client, people, healthy):
    story = make_article(headline="خبر بعد الكتابة")
    sign_in_and_keep(client, dbrouting.PIN_COOKIE)
    response, primary, replica = load(client, story.get_absolute_url())
    assert response.status_code == 200 and "خبر بعد الكتابة" in response.content.decode()
    assert primary and replica == []
    # A pinned reader's pages are theirs alone: no shared cache keeps them.
    assert response["Cache-Control"] == "private, no-store"


def test_it_reads_from_the_primary_for_a_signed_in_editor(client, people, healthy):
    story = make_article(headline="خبر المحرر")
    sign_in_and_keep(client, "sessionid")
    response, primary, replica = load(client, story.get_absolute_url())
    assert response.status_code == 200
    assert primary and replica == []


def test_it_reads_the_replica_again_once_the_pin_window_is_over(client, people, healthy, settings):
    story = make_article()
    sign_in_and_keep(client, dbrouting.PIN_COOKIE)
    settings.KHABAR_REPLICA_PIN_SECONDS = 1
    time.sleep(2.1)  # the signature's timestamp has whole seconds
    _response, primary, replica = load(client, story.get_absolute_url())
    assert replica and primary == []


def test_it_does_not_pin_a_reader_whose_post_wrote_nothing(client, healthy):
    # The story page's read counter posts from every reader; it counts in the cache.
    story = make_article()
    response = client.post(f"/hit/{story.pk}")
    assert response.status_code == 204
    assert dbrouting.PIN_COOKIE not in response.cookies
    _response, primary, replica = load(client, story.get_absolute_url())
    assert replica and primary == []


def test_it_ignores_a_pin_cookie_it_did_not_sign(client, healthy):
    story = make_article()
    client.cookies[dbrouting.PIN_COOKIE] = "1:forged:signature"
    _response, primary, replica = load(client, story.get_absolute_url())
    assert replica and primary == []


def test_it_reads_from_the_primary_when_the_replica_lags_or_is_down(client, healthy):
    story = make_article()
    healthy.ok, healthy.reason = False, "lags 12.0s"
    response, primary, replica = load(client, story.get_absolute_url())
    assert response.status_code == 200
    assert primary and replica == []


def test_it_reads_from_the_primary_after_a_purge_the_replica_may_not_have(client, healthy):
    story = make_article()
    healthy._fence = -2  # the purge generation it verified is an old one
    # The router compares the primary's WAL position with the replica's: PostgreSQL's
    # functions, which a SQLite test database lacks, so the comparison fails and the
    # request plays safe.
    response, primary, replica = load(client, story.get_absolute_url())
    assert response.status_code == 200
    assert primary and replica == []


def test_it_answers_from_the_primary_when_the_replica_fails_under_a_request(
    client, healthy, broken_replica
):
    story = make_article(headline="خبر رغم العطل")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "خبر رغم العطل" in response.content.decode()
    assert not healthy.ok  # noticed: the next requests go to the primary at once
    with CaptureQueriesContext(connections["default"]) as primary:
        response = client.get(story.get_absolute_url())
    assert response.status_code == 200 and selects(primary)


def test_it_says_ready_while_the_replica_is_down(client, broken_replica, settings):
    settings.KHABAR_REPLICA_CHECK_SECONDS = 0
    response = client.get("/readyz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["ready"] is True and body["database"] == "ok"
    assert body["replica"].startswith("bypassed: does not answer")
    metrics = client.get("/metrics").content.decode()
    assert "khabar_replica_reads 0.0" in metrics


def test_it_reads_from_the_primary_inside_a_transaction_and_after_a_write(healthy):
    router = dbrouting.ReplicaRouter()
    token = dbrouting._route.set(dbrouting.Route(replica_allowed=True))
    try:
        with transaction.atomic():
            assert router.db_for_read(Article) == "default"
        assert router.db_for_read(Article) == "replica"
        assert router.db_for_write(Article) == "default"
        with connections["default"].execute_wrapper(dbrouting._note_writes):
            Article.objects.using("default").filter(pk=0).update(headline="-")
        assert router.db_for_read(Article) == "default"
    finally:
        dbrouting._route.reset(token)


def test_it_reads_from_the_primary_outside_a_request(healthy):
    # The worker and management commands: no request, no replica.
    router = dbrouting.ReplicaRouter()
    assert router.db_for_read(Article) == "default"
    assert router.db_for_write(Article) == "default"
    assert router.allow_migrate("replica", "articles") is False


@pytest.mark.parametrize(
    "headers",
    [
        # comments.js reloads the thread right after a post, with the new comment's edit
        # token; it fetches with credentials "omit", so the pin cookie never comes back.
        {"HTTP_X_KHABAR_READER": "reader-1234", "HTTP_X_KHABAR_TOKENS": "1.secret"},
        # A partner's program that just sent a story keeps no cookie either.
        {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"},
    ],
)
def test_it_reads_from_the_primary_for_a_writer_that_keeps_no_cookie(client, healthy, headers):
    story = make_article()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[dbrouting.REPLICA]) as replica,
    ):
        client.get("/api/v1/comments", {"thread": f"article:{story.pk}"}, **headers)
    assert selects(primary) and selects(replica) == []


def test_it_reads_the_widget_of_a_reader_who_never_wrote_from_the_replica(client, healthy):
    story = make_article()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[dbrouting.REPLICA]) as replica,
    ):
        response = client.get(
            "/api/v1/comments",
            {"thread": f"article:{story.pk}"},
            HTTP_X_KHABAR_READER="reader-1234",
        )
    assert response.status_code == 200
    assert selects(replica) and selects(primary) == []


def test_a_quiet_replica_is_not_taken_for_a_lagging_one(monkeypatch):
    # The lag is how long the replica has held WAL it did not replay, not the age of the
    # last transaction it replayed: after a quiet hour, the first write it is replaying
    # when the router looks must not turn readers away for an hour's "lag".
    clock = [1000.0]
    monkeypatch.setattr(dbrouting.time, "monotonic", lambda: clock[0])
    health = dbrouting.ReplicaHealth()
    assert health._replay_lag(received=500, replayed=500) == 0.0
    clock[0] += 3600  # an hour without a write; then one arrives, not replayed yet
    assert health._replay_lag(received=900, replayed=500) == 0.0
    clock[0] += 1  # replayed by the next look, while the next write streams in
    assert health._replay_lag(received=1200, replayed=950) == 0.0
    clock[0] += 1
    assert health._replay_lag(received=1200, replayed=1200) == 0.0
    # Replay held back (paused, or a long query on the replica): the lag grows with the clock.
    assert health._replay_lag(received=1500, replayed=1200) == 0.0
    clock[0] += 4
    assert health._replay_lag(received=1700, replayed=1300) == 4.0
    clock[0] += 3
    assert health._replay_lag(received=1900, replayed=1400) == 7.0
    clock[0] += 1  # caught up with what it held 8 s ago: the clock restarts at the newer WAL
    assert health._replay_lag(received=2000, replayed=1500) == 0.0
