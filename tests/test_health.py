"""Health, readiness and metrics endpoints for a load balancer and Prometheus (issue 19)."""

import pytest
from django.db import DatabaseError
from django.test import RequestFactory

from khabar import health

pytestmark = pytest.mark.django_db


def test_it_answers_healthz_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_it_is_ready_when_the_database_and_caches_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "cache": "ok", "page_cache": "ok"}


def test_it_is_not_ready_when_the_database_is_down(client, monkeypatch):
    def down():
        raise DatabaseError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "failed: DatabaseError"
    assert response.json()["cache"] == "ok"


def test_it_exposes_request_and_queue_metrics_to_prometheus(client):
    view = health.MetricsMiddleware(lambda request: health.healthz(request))
    view(RequestFactory().get("/healthz"))
    health.page_cache("hit")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        'khabar_http_requests_total{method="GET",status="2xx"}',
        "khabar_http_request_duration_seconds_bucket",
        'khabar_page_cache_requests_total{outcome="hit"}',
        'khabar_queue_length{queue="tasks"} 0.0',
        'khabar_queue_length{queue="photos"} 0.0',
        "khabar_outbox_depth 0.0",
        "khabar_replica_lag_seconds",
    ):
        assert name in text, name


@pytest.mark.django_db(transaction=True)
def test_it_counts_the_pages_the_page_cache_answers_before_django(settings, tmp_path, client):
    from test_pagecache import get

    from khabar.site import pagecache
    from khabar.test import make_article
    from khabar.wsgi import application

    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    try:
        story = make_article()

        def hits() -> float:
            text = client.get("/metrics").content.decode()
            line = next(
                (
                    x
                    for x in text.splitlines()
                    if x.startswith("khabar_page_cache_requests_total{") and 'outcome="hit"' in x
                ),
                "",
            )
            return float(line.rsplit(" ", 1)[1]) if line else 0.0

        before = hits()
        get(application, story.get_absolute_url())  # stored
        _status, headers, _body = get(application, story.get_absolute_url())
        assert headers.get("X-Cache") == "HIT"
        assert hits() == before + 1
    finally:
        pagecache.reset_store()
