"""How fast ``khabar import_wire --archive`` and ``khabar reindex`` go (issue 19's target:
1,000 stories/s into SQLite, search index included).

    .venv/bin/python -m bench.import_rate [--files 10000] [--batch 1000]

Writes ``--files`` wire files (the demo story, each with its own headline) into a
temporary folder, imports them as published stories into a fresh SQLite database, then
rebuilds the search index, and prints stories per second for each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "khabar" / "data" / "demo" / "wire-ar-moscow-2342.txt"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_rate")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="khabar-import-"))
    headline, rest = SAMPLE.read_text(encoding="utf-8").split("\n", 1)
    files = work / "archive"
    for n in range(options.files):
        folder = files / f"{n // 1000:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{n:07d}.txt").write_text(f"{headline} {n}\n{rest}", encoding="utf-8")
    os.environ["SQLITE_PATH"] = str(work / "import.sqlite3")
    os.environ["KHABAR_PAGECACHE_PATH"] = str(work / "pagecache.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from khabar.articles.models import Section

    call_command("migrate", verbosity=0, interactive=False)
    Section.objects.get_or_create(lang="ar", slug="world", defaults={"name": "دولي"})
    started = time.perf_counter()
    call_command(
        "import_wire", "--archive", str(files), "--year", "2023", "--publish",
        "--batch", str(options.batch), "--no-progress",
    )  # fmt: skip
    imported = time.perf_counter() - started
    started = time.perf_counter()
    call_command("reindex", "--no-progress")
    reindexed = time.perf_counter() - started
    print(f"import_wire --archive: {options.files / imported:,.0f} stories/s ({imported:.1f} s)")
    print(f"reindex:               {options.files / reindexed:,.0f} stories/s ({reindexed:.1f} s)")
    print(f"(work folder {work}; remove it when done)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
