"""Distribution: publish → delivered to 50 webhook subscribers, and the outbox's throughput.

On a throwaway SQLite database, 50 webhook receivers (real HTTP servers on loopback) each
subscribe to everything. Then:

- **latency**: the worker's loop runs in a thread with its outbox job (as ``khabar
  run_worker`` runs it: polled every 0.1 s); stories are published one at a time, and each
  receiver notes when the story arrived. p50/p95 of publish-commit → received, per delivery
  and for the last of the 50.
- **throughput**: stories queued while no worker runs, then the worker's sender alone drains
  the outbox: deliveries per second, each signed, sent, acknowledged and recorded.

Results go to the "Distribution" section of bench/RESULTS.md.
Run with ``python -m bench distribution [--subscribers 50 --stories 20 --backlog 40]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
WORK = ROOT / "var" / "bench"


def setup_django() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for leftover in WORK.glob("distribution.sqlite3*"):
        leftover.unlink()
    os.environ["SQLITE_PATH"] = str(WORK / "distribution.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench distribution")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--stories", type=int, default=20, help="published one at a time")
    parser.add_argument("--backlog", type=int, default=40, help="stories queued for throughput")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    setup_django()

    from django.db import transaction

    from khabar.distribution import actions
    from khabar.distribution.models import Delivery, DeliveryStatus
    from khabar.distribution.sender import OutboxSender
    from khabar.distribution.testing import Receiver
    from khabar.site import actors, hooks
    from khabar.test import make_article, make_section
    from khabar.worker.jobs import Periodic
    from khabar.worker.loop import Worker

    receivers = [Receiver().start() for _ in range(args.subscribers)]
    for n, receiver in enumerate(receivers):
        subscriber = actions.add_subscriber(f"bench-{n}", actor=actors.COMMAND_LINE)
        actions.add_destination(subscriber, actor=actors.COMMAND_LINE, url=receiver.url)
    section = make_section()

    def publish() -> tuple[int, float]:
        with transaction.atomic():
            article = make_article(section=section)
            hooks.story_changed(article, "published")  # idempotent once actions calls it
        return article.pk, time.time()

    def arrivals(pk: int) -> list[float]:
        prefix = f"khabar-{pk}-"
        out = []
        for receiver in receivers:
            with receiver.lock:
                out += [g.at for g in receiver.got if g.id.startswith(prefix)]
        return out

    # Latency, with the worker's own loop in a thread.
    sender = OutboxSender()
    worker = Worker(jobs=[Periodic("send-deliveries", 0.1, sender)])
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    each: list[float] = []
    last: list[float] = []
    for _ in range(args.stories):
        pk, committed = publish()
        deadline = time.monotonic() + 30
        while len(arrivals(pk)) < args.subscribers and time.monotonic() < deadline:
            time.sleep(0.005)
        times = arrivals(pk)
        each += [t - committed for t in times]
        last.append(max(times) - committed)
        time.sleep(0.2)
    worker.stopping.set()
    thread.join(10)
    sender.close()

    # Throughput: the sender alone drains a backlog.
    for _ in range(args.backlog):
        publish()
    backlog = Delivery.objects.filter(status=DeliveryStatus.PENDING).count()
    sender = OutboxSender()
    started = time.perf_counter()
    while Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists() or sender.busy:
        if not sender():
            time.sleep(0.002)
    took = time.perf_counter() - started
    sender.close()
    for receiver in receivers:
        receiver.stop()

    ms = 1000
    lines = [
        "## Distribution",
        "",
        f"{args.subscribers} webhook subscribers (HTTP servers on loopback, in the bench's "
        f"process), SQLite, {os.cpu_count()} CPUs; `python -m bench distribution`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| publish → delivered, each delivery, p50 | {statistics.median(each) * ms:.0f} ms |",
        f"| publish → delivered, each delivery, p95 | {percentile(each, 0.95) * ms:.0f} ms |",
        f"| publish → all {args.subscribers} delivered, p50 | "
        f"{statistics.median(last) * ms:.0f} ms |",
        f"| publish → all {args.subscribers} delivered, p95 | "
        f"{percentile(last, 0.95) * ms:.0f} ms |",
        f"| outbox throughput, worker's sender alone ({backlog} deliveries) | "
        f"{backlog / took:.0f} deliveries/s |",
        "",
        f"Latency over {args.stories} stories published one at a time; the worker polls the "
        "outbox every 0.1 s, so about 50 ms of the median is the wait for the next look.",
        "",
    ]
    section_text = "\n".join(lines)
    print(section_text)
    if not args.no_write:
        text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
        pattern = re.compile(r"^## Distribution\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(text):
            text = pattern.sub(lambda _m: section_text, text)
        else:
            text = text.rstrip("\n") + "\n\n" + section_text
        RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
