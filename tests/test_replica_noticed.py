"""A stopped replica is noticed by the first request that finds it gone, whatever took the
request to it: a read, or the purge fence's check (issue 19: with a purge to wait for, no
read went to the replica, and metrics and readiness said it was in use until the next
check; the replica topology test "a stopped replica went unnoticed")."""

from __future__ import annotations

import pytest
from test_replica_routing import broken_replica, healthy, replica_alias  # noqa: F401

from khabar.site import dbrouting
from khabar.test import make_article

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_it_notices_a_stopped_replica_while_a_purge_waits_for_it(
    client,
    healthy,  # noqa: F811
    broken_replica,  # noqa: F811
    monkeypatch,
):
    story = make_article(headline="خبر والنسخة متوقفة")
    monkeypatch.setattr(healthy, "_fence", -2)  # a purge it has not been checked against
    monkeypatch.setattr(healthy, "_pending", None)
    # The primary's WAL position as PostgreSQL gives it (SQLite has no WAL functions).
    monkeypatch.setattr(dbrouting, "PRIMARY_POSITION", "SELECT '0/16B3748'")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200 and "خبر والنسخة متوقفة" in response.content.decode()
    assert not healthy.ok  # noticed at once: the next requests and /metrics know it
    assert "khabar_replica_reads 0.0" in client.get("/metrics").content.decode()
