"""The distribution settings, read lazily so that ``override_settings`` reaches them."""

from __future__ import annotations

import datetime

from django.conf import settings


def timeout() -> float:
    """Seconds a receiver may take before the try counts as failed."""
    return float(settings.KHABAR_DISTRIBUTION_TIMEOUT)


def concurrency() -> int:
    """Deliveries in flight at once to one destination."""
    return max(1, int(settings.KHABAR_DISTRIBUTION_CONCURRENCY))


def retry_base() -> float:
    """Seconds before the first retry; each later one waits twice as long (with jitter)."""
    return settings.KHABAR_DISTRIBUTION_RETRY_BASE_MS / 1000


def retry_max() -> float:
    return float(settings.KHABAR_DISTRIBUTION_RETRY_MAX)


def dead_after() -> datetime.timedelta:
    """How long a delivery keeps being retried before it is given up (and the desk told)."""
    return datetime.timedelta(seconds=settings.KHABAR_DISTRIBUTION_DEAD_AFTER)


def circuit_failures() -> int:
    """Consecutive failures after which a destination is paused."""
    return max(1, int(settings.KHABAR_DISTRIBUTION_CIRCUIT_FAILURES))


def circuit_pause() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.KHABAR_DISTRIBUTION_CIRCUIT_PAUSE)


def secret_overlap() -> datetime.timedelta:
    """How long a rotated-out secret still signs beside the new one."""
    return datetime.timedelta(seconds=settings.KHABAR_DISTRIBUTION_SECRET_OVERLAP)
