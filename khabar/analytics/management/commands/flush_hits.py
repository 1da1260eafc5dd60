"""``khabar flush_hits``: write this process's waiting reads and drop old hourly counters."""

from django.core.management.base import BaseCommand

from khabar.analytics.counter import backend, prune


class Command(BaseCommand):
    help = "Write waiting read counts and delete hourly counters older than the kept days."

    def handle(self, *args, **options):
        written = backend().flush()
        pruned = prune()
        self.stdout.write(f"wrote {written} counter(s), deleted {pruned} old counter(s)")
