"""The purge fence (khabar.site.dbrouting): a purge's readers never read a replica that has not
replayed what the purge was about, so nothing from before it is kept under its generations.

Found by withdrawing stories under anonymous readers while the replica's replay was held back
(issue 19, the fresh render's revert): readers were answered the withdrawn story with 200,
from an app process's shared copy or from the replica itself. The holes, each performed here:
a reader between a purge's generations (a story's moved, ANY_PURGE not yet); a fence taken at
the primary's WAL write position, which an asynchronous commit had not reached; and a
generation read after the router had chosen the replica, with another purge in between.
"""

from __future__ import annotations

import os
import signal

import pytest
from test_most_read import redis_url  # noqa: F401 - a real redis-server
from test_replica_postgres import connect, pair  # noqa: F401 - a primary and its replica

from khabar.site import dbrouting, pagecache
from ops.topology import wait_for


@pytest.fixture
def redis_pages(settings, redis_url):  # noqa: F811
    settings.REDIS_URL = redis_url
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_PROXY_PURGE_URLS = []
    pagecache.reset_store()
    yield pagecache.store()
    pagecache.reset_store()


def test_it_never_lets_a_reader_see_a_story_purged_before_any_purge_moves(
    redis_pages,
    redis_url,  # noqa: F811
    monkeypatch,
):
    reader = pagecache.RedisStore(redis_url)  # another process
    tags = ["a:19", pagecache.ANY_PURGE]
    before = reader.generations(tags)
    seen: list[list[int]] = []
    client = redis_pages.redis
    send = client.execute_command

    def between(*args, **options):
        result = send(*args, **options)
        seen.append(reader.generations(tags))  # a reader's request, after each command
        return result

    monkeypatch.setattr(client, "execute_command", between)
    pagecache.purge_keys(["a:19", "s:3", "rs:3"])
    after = reader.generations(tags)
    assert after == [before[0] + 1, before[1] + 1]
    assert seen  # the reader did read while the purge ran
    # Whoever sees the story's new generation sees the new ANY_PURGE with it (the router's
    # fence waits on that one), never the story's alone.
    assert all(story == before[0] or anything == after[1] for story, anything in seen), seen


@pytest.fixture
def fragments(settings, tmp_path):
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    yield pagecache.store()
    pagecache.reset_store()


def test_it_shares_nothing_read_from_a_replica_checked_before_a_later_purge(fragments):
    # A reader's story page; the router chose the replica, which had replayed every purge.
    memo = pagecache._request_generations.set({})
    fence = fragments.generations([pagecache.ANY_PURGE])[0]
    route = dbrouting._route.set(
        dbrouting.Route(replica_allowed=True, replica_chosen=True, fence=fence)
    )
    try:
        story = pagecache.stamp(["a:7"])
        assert story
        # Meanwhile another process withdraws a story of the section: the replica may not
        # have replayed it, so the related box this request renders from it may still list
        # the story, and must not be kept under the section's new generation.
        fragments.purge(["s:3", "rs:3", pagecache.ANY_PURGE])
        assert pagecache.stamp(["s:3", "rs:3"]) == ""
        assert pagecache.stamp(["a:7"]) == story  # read before the purge: still its own
    finally:
        dbrouting._route.reset(route)
        pagecache._request_generations.reset(memo)
    # The next request reads the primary, or a replica checked against the new purge.
    assert pagecache.stamp(["s:3", "rs:3"])


@pytest.mark.postgres
def test_the_fence_waits_for_a_commit_the_wal_writer_has_not_written_yet(pair):  # noqa: F811
    primary, replica = pair
    with connect(primary) as writer, connect(replica) as reader:
        writer.execute("CREATE TABLE story (status text)")
        writer.execute("INSERT INTO story VALUES ('published')")
        wait_for(
            lambda: (
                reader.execute("SELECT to_regclass('story') IS NOT NULL").fetchone()[0]
                and reader.execute("SELECT status FROM story").fetchall() == [("published",)]
            ),
            "the story on the replica",
        )
        written = writer.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        wait_for(
            lambda: reader.execute("SELECT pg_last_wal_replay_lsn() >= %s", [written]).fetchone()[
                0
            ],
            "the replica caught up",
        )
        wal_writer = writer.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'"
        ).fetchone()[0]
        # The WAL writer held still: an asynchronous commit stays in the WAL buffers, as it
        # does for up to wal_writer_delay (longer on a busy machine) after the commit returns.
        os.kill(wal_writer, signal.SIGSTOP)
        try:
            writer.execute("SET synchronous_commit = off")
            writer.execute("UPDATE story SET status = 'withdrawn'")
            # The withdrawal's purge goes out now; a reader's process takes the fence.
            wanted = dbrouting._lsn(writer.execute(dbrouting.PRIMARY_POSITION).fetchone()[0])
            replayed = dbrouting._lsn(
                reader.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]
            )
            alive_there = reader.execute("SELECT status FROM story").fetchone() == ("published",)
            assert not (replayed >= wanted and alive_there), (
                "the fence passed while the replica still had the story alive"
            )
        finally:
            os.kill(wal_writer, signal.SIGCONT)
        wait_for(
            lambda: reader.execute("SELECT status FROM story").fetchone() == ("withdrawn",),
            "the withdrawal on the replica",
        )
