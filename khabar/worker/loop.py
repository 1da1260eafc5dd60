"""The worker's loop: periodic jobs and queued django-tasks, in one process, one thread.

A tick (about once a second) runs the periodic jobs that are due, then the queued tasks that
are ready, a few at a time so that a long queue never delays a scheduled story by more than
a task or two. SIGTERM or SIGINT ends the loop after the job or task in hand; a second one
ends it at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from django.db import DatabaseError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as TaskRunner
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from khabar.worker.jobs import Periodic, periodic_jobs

log = logging.getLogger("khabar.worker")

TICK_SECONDS = 1.0
#: Queued tasks run per tick before the periodic jobs get their turn again.
TASKS_PER_TICK = 10


class Worker:
    def __init__(
        self,
        *,
        jobs: list[Periodic] | None = None,
        tick: float = TICK_SECONDS,
        backend: str = "default",
    ) -> None:
        self.jobs = periodic_jobs() if jobs is None else jobs
        self.tick = tick
        self.backend = backend
        self.worker_id = get_random_string(32)
        self.next_run = {job.name: 0.0 for job in self.jobs}
        self.stopping = threading.Event()
        # django-tasks-db's own runner: it runs a claimed task and records its result.
        self.runner = TaskRunner(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=backend,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )

    # -- the loop ------------------------------------------------------------------------
    def run(self, *, once: bool = False) -> None:
        """Tick until stopped; with ``once``, until no job and no task finds work."""
        log.info("worker %s started: %s", self.worker_id[:8], ", ".join(self.next_run))
        while not self.stopping.is_set():
            close_old_connections()
            busy = self.run_due_jobs(every_job=once) + self.run_queued_tasks()
            if once and not busy:
                break
            if not busy:
                self.stopping.wait(self._sleep())
        close_old_connections()
        log.info("worker %s stopped", self.worker_id[:8])

    def stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        if self.stopping.is_set():
            raise SystemExit(1)  # asked twice: do not wait for the task in hand
        log.info("worker %s: %s, stopping", self.worker_id[:8], signal.strsignal(signum))
        self.stopping.set()
        self.runner.running = False

    def handle_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _sleep(self) -> float:
        soonest = min(self.next_run.values(), default=time.monotonic() + self.tick)
        return max(0.0, min(self.tick, soonest - time.monotonic()))

    # -- periodic jobs -------------------------------------------------------------------
    def run_due_jobs(self, *, every_job: bool = False) -> int:
        """Run each periodic job whose time has come; returns how many things they did."""
        did = 0
        for job in self.jobs:
            if self.stopping.is_set():
                break
            if not every_job and time.monotonic() < self.next_run[job.name]:
                continue
            done = self._run_job(job)
            # A job that found work looks again at once: a backlog drains without waiting.
            self.next_run[job.name] = time.monotonic() + (0 if done else job.every)
            did += done
        return did

    def _run_job(self, job: Periodic) -> int:
        started = time.monotonic()
        try:
            done = job.run()
        except DatabaseError as error:
            # A database that is down or restarting: one line a tick, and a new connection.
            log.warning("job %s: database error: %s", job.name, error)
            self._drop_broken_connections()
            return 0
        except Exception:
            # A bad row must not stop the other jobs.
            log.exception("job %s failed", job.name)
            return 0
        if done:
            took = time.monotonic() - started
            log.info("%s: %d done in %.2fs", job.name, done, took)
        return done

    # -- queued tasks --------------------------------------------------------------------
    def run_queued_tasks(self, limit: int = TASKS_PER_TICK) -> int:
        """Claim and run up to ``limit`` ready tasks; returns how many ran."""
        ran = 0
        while ran < limit and not self.stopping.is_set():
            try:
                claimed = self._claim()
            except DatabaseError as error:
                log.warning("could not fetch queued tasks: %s", error)
                self._drop_broken_connections()
                break
            if claimed is None:
                break
            # django-tasks logs each task's start and end (logger "django_tasks").
            self.runner.running = True
            self.runner.run_task(claimed)
            ran += 1
        return ran

    def _claim(self) -> DBTaskResult | None:
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend)
        # A plain read first: most ticks find nothing and need no write lock.
        if not ready.exists():
            return None
        try:
            with exclusive_transaction(ready.db):
                task = ready.get_locked()
                if task is not None:
                    task.claim(self.worker_id)  # another worker now skips it
                return task
        except DatabaseError as error:
            if is_locked_database_exception(error):
                return None
            raise

    @staticmethod
    def _drop_broken_connections() -> None:
        for connection in connections.all(initialized_only=True):
            if connection.in_atomic_block:
                continue
            connection.close_if_unusable_or_obsolete()
