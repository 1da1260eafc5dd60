"""The one background worker: every job the site needs outside a request, in one process.

``khabar run_worker`` runs a single loop (``loop.Worker``) that, about once a second,

- publishes scheduled stories and lifts embargoes when their time comes (``jobs``),
- runs the periodic jobs of ``jobs.PERIODIC`` (large photos' renditions, purging old
  addresses, dropping old read counters) when each is due, and
- runs the tasks that requests queued through django-tasks (``@task`` functions such as the
  comment emails of ``khabar.comments.notify``), stored in the database by its
  ``django_tasks_db`` backend.

Every job is safe with two workers running: stories are published by compare-and-set,
photos and queued tasks are claimed before they run, and the periodic deletes are idempotent.
This package sits on top: it imports feature apps, and none of them imports it.
"""
