"""A rebuild of the search index swaps in the new one in memory that does not grow with
the index (issue 19: ``khabar reindex`` with memory flat whatever the archive's size).

Debian's SQLite zeroes every page a ``DROP TABLE`` frees (``secure_delete`` on), and a
transaction keeps every page it wrote: dropping the old index at the swap took as much
memory as the index (320 MB at 30,000 stories, about ten times that at a million). Run in a
process of its own on a file database, as an operator runs the command; the process's own
memory (``RssAnon``) is sampled while the swap runs."""

from __future__ import annotations

from test_archive_import_speed import in_own_process

SCRIPT = """
import datetime, json, sys, threading, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0, interactive=False)
from khabar.search.backends import get_backend
from khabar.search.documents import SearchDocument

sample = "khabar/data/demo/wire-ar-moscow-2342.txt"
text = open(sample, encoding="utf-8").read().split("\\n", 1)[1]
T0 = datetime.datetime(2023, 10, 26, 12, tzinfo=datetime.UTC)


def docs(start, count):
    return [
        SearchDocument(id=n, lang="ar", section_id=1, published_at=T0,
                       headline=f"مباحثات رقم {n}", body=f"{text} {n} {n * 7}")
        for n in range(start, start + count)
    ]


def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024


backend = get_backend()
count = int(sys.argv[1])
for start in range(1, count + 1, 500):
    backend.add_bulk(docs(start, 500))
backend.start_rebuild()
for start in range(1, count + 1, 500):
    backend.add_new(docs(start, 500))
with connection.cursor() as cursor:
    cursor.execute("PRAGMA secure_delete")
    secure_delete = cursor.fetchone()[0]
    cursor.execute(
        "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search\\\\_fts%' ESCAPE '\\\\' "
        "AND name NOT LIKE '%next%'"
    )
    old_index = cursor.fetchone()[0]
peak, before, done = [0], anon(), threading.Event()


def watch():
    while not done.is_set():
        peak[0] = max(peak[0], anon())
        time.sleep(0.005)


watcher = threading.Thread(target=watch)
watcher.start()
try:
    backend.swap(lambda table: None)
finally:
    done.set()
    watcher.join()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA secure_delete")
    after_setting = cursor.fetchone()[0]
print(json.dumps({
    "indexed": backend.count(), "old_index": old_index, "growth": peak[0] - before,
    "secure_delete": [secure_delete, after_setting],
}))
"""


def test_the_swap_drops_the_old_index_without_holding_it_in_memory(tmp_path):
    found = in_own_process(SCRIPT, tmp_path, "3000")
    assert found["indexed"] == 3000
    # The old index is tens of megabytes; the swap's memory grows by a small part of it.
    assert found["old_index"] > 20 * 2**20, found
    assert found["growth"] < found["old_index"] / 5, found
    # And the setting is the connection's own again after the swap.
    assert found["secure_delete"][0] == found["secure_delete"][1], found
