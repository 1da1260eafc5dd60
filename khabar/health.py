"""Health, readiness and metrics for load balancers and Prometheus.

``/healthz``: the process answers (no database, no cache: a load balancer may ask it every
second). ``/readyz``: this node can serve, the database and the caches answering; 503 with
what failed otherwise. ``/metrics``: the Prometheus text format, through prometheus-client
(the Prometheus project's own client): request rate and latency (``MetricsMiddleware``),
page cache hits and coalesced renders, and, read at each scrape, the task queue, the
distribution outbox, photos waiting for renditions and, on PostgreSQL, replica lag.

With several app processes (granian's workers), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory shared by them: each process writes its counters there and ``/metrics`` adds them
up (prometheus-client's multiprocess mode). ``KHABAR_METRICS_ALLOW`` is not needed: the
endpoints reveal no story and no reader, but nginx need not expose them to the world
(deploy/README.md).

Project wiring, like ``urls.py``: it reads the queues of several apps.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache import caches
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.cache import add_never_cache_headers
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "khabar_http_requests_total",
    "HTTP requests answered by Django, by method and status class",
    ["method", "status"],
)
LATENCY = Histogram(
    "khabar_http_request_duration_seconds",
    "Time Django took to answer a request",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
PAGE_CACHE = Counter(
    "khabar_page_cache_requests_total",
    "Reader pages asked of the page cache, by outcome (hit, miss)",
    ["outcome"],
)


class MetricsMiddleware:
    """Counts every request and times it (put it first in MIDDLEWARE). A page the page
    cache answered never reaches Django; the page cache counts those (``page_cache``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in ("GET", "HEAD", "POST") else "other"
        LATENCY.labels(method).observe(time.perf_counter() - started)
        REQUESTS.labels(method, f"{response.status_code // 100}xx").inc()
        if getattr(request, "cache_tags", None) and method in ("GET", "HEAD"):
            PAGE_CACHE.labels("miss").inc()
        return response


def page_cache(outcome: str) -> None:
    """Count a page cache answer (``hit``) given before Django builds a request."""
    PAGE_CACHE.labels(outcome).inc()


# --- read at each scrape ---------------------------------------------------------------------


def _count(label: str, query: Callable[[], int]) -> int | None:
    try:
        return query()
    except DatabaseError:
        logger.warning("metrics: could not count %s", label)
        return None


def _tasks_waiting() -> int:
    from django_tasks_db.models import DBTaskResult

    return int(DBTaskResult.objects.ready().count())


def _photos_waiting() -> int:
    from khabar.photos.models import Photo, RenderStatus

    return int(Photo.objects.filter(render_status=RenderStatus.PENDING).count())


def _outbox_depth() -> int:
    from khabar.distribution.models import Delivery

    return int(Delivery.objects.unfinished().count())


def _replica_lag() -> dict[str, float]:
    from khabar.site import dbrouting

    lags = {}
    for alias in connections:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        if alias == dbrouting.REPLICA:
            # What the router measured (at most every few seconds): a replica that does not
            # answer has no lag, and its gauge is missing rather than a scrape held waiting.
            lag = dbrouting.replica_status()["lag"]
            if lag is not None:
                lags[alias] = float(lag)
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN COALESCE(EXTRACT(EPOCH FROM "
                    "now() - pg_last_xact_replay_timestamp()), 0) ELSE 0 END"
                )
                lags[alias] = float(cursor.fetchone()[0])
        except Exception as error:  # a replica that is down: its gauge is missing, not /metrics
            logger.warning("replica lag of %s unknown: %s", alias, error)
    return lags


class QueueCollector(Collector):
    """Queue lengths and replica lag, counted when Prometheus scrapes (small indexed
    counts: the queues hold what is waiting, not their history)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering asks for the names; without this it would count the queues at import.
        yield GaugeMetricFamily("khabar_queue_length", "", labels=["queue"])
        yield GaugeMetricFamily("khabar_outbox_depth", "")
        yield GaugeMetricFamily("khabar_replica_lag_seconds", "", labels=["database"])
        yield GaugeMetricFamily("khabar_replica_reads", "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queues = GaugeMetricFamily(
            "khabar_queue_length", "Jobs waiting, by queue", labels=["queue"]
        )
        for name, query in (("tasks", _tasks_waiting), ("photos", _photos_waiting)):
            value = _count(name, query)
            if value is not None:
                queues.add_metric([name], value)
        yield queues
        depth = _count("outbox", _outbox_depth)
        if depth is not None:
            yield GaugeMetricFamily(
                "khabar_outbox_depth", "Deliveries not yet sent (pending or sending)", depth
            )
        lag = GaugeMetricFamily(
            "khabar_replica_lag_seconds",
            "How far a PostgreSQL database replays behind its primary (0 on a primary)",
            labels=["database"],
        )
        try:
            for alias, seconds in _replica_lag().items():
                lag.add_metric([alias], seconds)
        except DatabaseError:
            logger.warning("metrics: could not read replica lag")
        yield lag
        from khabar.site import dbrouting

        if dbrouting.replica_configured():
            yield GaugeMetricFamily(
                "khabar_replica_reads",
                "1 while readers' reads go to the replica, 0 while they fall back to the primary",
                1 if dbrouting.replica_status()["usable"] else 0,
            )


_queues = QueueCollector()
REGISTRY.register(_queues)


def _registry() -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    registry.register(_queues)
    return registry


# --- the endpoints ---------------------------------------------------------------------------


def _uncached(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _uncached(HttpResponse("ok\n", content_type="text/plain"))


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache = caches["default"]
    key = f"khabar:readyz:{os.getpid()}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")


def _check_page_cache() -> None:
    from khabar.site import pagecache

    if pagecache.store().generations([pagecache.ANY_PURGE]) == [-1]:
        raise RuntimeError("the page store does not answer")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "page_cache": _check_page_cache,
}


def readyz(request: HttpRequest) -> HttpResponse:
    results: dict[str, Any] = {}
    ready = True
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # any failure means "not ready", and says which
            ready = False
            results[name] = f"failed: {type(error).__name__}"
            logger.warning("readyz: %s failed: %s", name, error)
    from khabar.site import dbrouting

    if dbrouting.replica_configured():
        # Said, never counted against readiness: without the replica reads go to the primary.
        status = dbrouting.replica_status()
        results["replica"] = "ok" if status["usable"] else f"bypassed: {status['reason']}"
    return _uncached(JsonResponse({"ready": ready, **results}, status=200 if ready else 503))


def metrics(request: HttpRequest) -> HttpResponse:
    body = generate_latest(_registry())
    return _uncached(HttpResponse(body, content_type=CONTENT_TYPE_LATEST))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]
