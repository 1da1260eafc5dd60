"""``khabar purge_ips``: forget client addresses older than KHABAR_IP_RETENTION_DAYS.

Run it daily (deploy/systemd/khabar-purge_ips.timer). Comments keep only a keyed hash of the
address, for grouping abuse; failed desk logins (django-axes) keep the address itself until
purged here.
"""

import datetime

from axes.models import AccessAttempt, AccessFailureLog
from django.core.management.base import BaseCommand
from django.utils import timezone

from khabar.comments.privacy import purge_addresses
from khabar.security import conf


class Command(BaseCommand):
    help = "Clear comment address hashes and failed-login records older than the retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days (default KHABAR_IP_RETENTION_DAYS).",
        )

    def handle(self, *args, **options):
        days = conf.IP_RETENTION_DAYS if options["days"] is None else options["days"]
        cutoff = timezone.now() - datetime.timedelta(days=days)
        comments = purge_addresses(older_than_days=days)
        attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
        failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
        self.stdout.write(
            f"cleared {comments} comment address(es), {attempts + failures} login record(s)"
            f" older than {days} day(s)"
        )
