"""The outbox sender: the worker's job that drains the deliveries.

Each call (the worker calls it every tick, and again at once while it finds work):

1. records the tries that finished since the last call (``actions.record_attempt``);
2. claims due deliveries, oldest first, and hands them to a pool of threads, at most
   KHABAR_DISTRIBUTION_CONCURRENCY in flight per destination, never a later version of a
   story before an earlier one reached that destination (a correction or a kill waits for
   the story), one probe at a time to a destination whose circuit opened, none to one that
   is paused;
3. now and then gives up deliveries that failed for too long and alerts the desk.

The threads only talk to the receivers; every database write happens in the worker's own
thread. A slow or hanging receiver holds one thread until its timeout, never the loop, so
the other destinations keep going. A worker killed mid-batch leaves claimed rows behind a
lease; once it expires they are sent again with the same ids.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from khabar.distribution import actions, conf
from khabar.distribution.formats import EXTENSIONS
from khabar.distribution.models import Delivery, DeliveryStatus, Destination
from khabar.distribution.transports import Outcome, Parcel, send

BATCH = 500
GIVE_UP_EVERY = 30.0


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries: exponential, capped, and with
    "equal jitter" so that destinations failing together do not retry together."""
    delay = min(conf.retry_max(), conf.retry_base() * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True)
class _Flight:
    delivery_id: int
    destination_id: int
    attempts: int


class OutboxSender:
    def __init__(self, *, threads: int = 64) -> None:
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="outbox")
        self.flights: dict[Future[Outcome], _Flight] = {}
        self.gave_up_at = float("-inf")

    def __call__(self) -> int:
        done = self.collect()
        if time.monotonic() - self.gave_up_at >= GIVE_UP_EVERY:
            self.gave_up_at = time.monotonic()
            done += actions.give_up_stale_deliveries(actor=actions.DISTRIBUTION)
        return done + self.dispatch()

    @property
    def busy(self) -> bool:
        return bool(self.flights)

    def collect(self) -> int:
        """Record the tries that have finished."""
        finished = [f for f in self.flights if f.done()]
        # One transaction for the lot: a commit per delivery would cap the rate on SQLite.
        with transaction.atomic():
            self._record(finished)
        return len(finished)

    def _record(self, finished: list[Future[Outcome]]) -> None:
        for future in finished:
            flight = self.flights.pop(future)
            outcome = future.result()
            actions.record_attempt(
                flight.delivery_id,
                actor=actions.DISTRIBUTION,
                destination_id=flight.destination_id,
                attempts=flight.attempts,
                outcome=outcome,
                retry_in=backoff(flight.attempts),
            )

    def dispatch(self) -> int:
        """Claim what may go now and start sending it; returns how many started."""
        now = timezone.now()
        mine = {f.delivery_id for f in self.flights.values()}
        due = (
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        ) & (Q(destination__paused_until__isnull=True) | Q(destination__paused_until__lte=now))
        candidates = list(
            Delivery.objects.filter(
                due, destination__active=True, destination__subscriber__active=True
            )
            .exclude(pk__in=mine)
            .order_by("pk")
            .values_list("pk", "destination_id", "article_id", "attempts")[:BATCH]
        )
        if not candidates:
            return 0
        # Per destination and story, only the oldest unfinished delivery may go.
        firsts = {
            (row["destination_id"], row["article_id"]): row["first"]
            for row in Delivery.objects.unfinished()
            .filter(article_id__in={c[2] for c in candidates})
            .values("destination_id", "article_id")
            .annotate(first=Min("pk"))
        }
        in_flight = Counter(
            Delivery.objects.filter(
                status=DeliveryStatus.SENDING, lease_until__gte=now
            ).values_list("destination_id", flat=True)
        )
        destinations = {
            d.pk: d for d in Destination.objects.filter(pk__in={c[1] for c in candidates})
        }
        lease = now + datetime.timedelta(seconds=conf.timeout() * 1.5 + 1)
        claimed: list[tuple[int, int, int]] = []
        # One transaction for every claim of this pass (a commit each would cap the rate).
        with transaction.atomic():
            for pk, destination_id, article_id, attempts in candidates:
                if firsts.get((destination_id, article_id)) != pk:
                    continue
                destination = destinations[destination_id]
                probing = destination.failures >= conf.circuit_failures()
                room = 1 if probing else conf.concurrency()
                if in_flight[destination_id] >= room:
                    continue
                if actions.claim_delivery(
                    pk, actor=actions.DISTRIBUTION, attempts=attempts, lease_until=lease
                ):
                    in_flight[destination_id] += 1
                    claimed.append((pk, destination_id, attempts + 1))
        rows = {
            d.pk: d
            for d in Delivery.objects.filter(pk__in=[c[0] for c in claimed]).select_related(
                "copy", "destination", "article"
            )
        }
        for pk, destination_id, attempts in claimed:
            future = self.pool.submit(send, self._parcel(rows[pk]))
            self.flights[future] = _Flight(pk, destination_id, attempts)
        return len(claimed)

    @staticmethod
    def _parcel(delivery: Delivery) -> Parcel:
        destination = delivery.destination
        body = bytes(delivery.copy.body)
        subject = delivery.article.headline
        if delivery.copy.content_type.startswith("text/plain"):
            subject = body.decode().split("\n", 1)[0]
        return Parcel(
            key=delivery.key,
            transport=destination.transport,
            url=destination.url,
            body=body,
            content_type=delivery.copy.content_type,
            extension=EXTENSIONS[delivery.copy.format],
            event=delivery.event,
            article_id=delivery.article_id,
            version=delivery.version,
            subject=subject,
            secrets=actions.signing_secrets(destination),
            ssh_key=destination.ssh_key,
            timeout=conf.timeout(),
        )

    def drain(self, *, seconds: float = 20.0) -> None:
        """Send until nothing is due or in flight (tests, the bench, ``deliveries --send``);
        AssertionError-free: it stops at the deadline whatever is left."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self() and not self.busy and not self._due_soon():
                return
            time.sleep(0.01)

    @staticmethod
    def _due_soon() -> bool:
        return (
            Delivery.objects.unfinished()
            .filter(next_attempt_at__lte=timezone.now() + datetime.timedelta(seconds=0.5))
            .exists()
        )

    def close(self) -> None:
        self.pool.shutdown(wait=True)
