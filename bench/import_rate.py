"""How fast ``khabar import_wire --archive`` (or, ``--format ninjs``, ``khabar ingest
--archive``) and ``khabar reindex`` go (issue 19's targets:
1,000 stories/s into SQLite and 500/s into PostgreSQL, search index included).

    .venv/bin/python -m bench.import_rate [--files 10000] [--batch 1000]
        [--db sqlite,postgres] [--format wire|ninjs] [--profile FOLDER] [--keep]
    .venv/bin/python -m bench import [--no-write]   # both formats, into bench/RESULTS.md

``python -m bench import`` (and ``make bench``) runs the wire files and the same stories
as ninjs documents, both databases, and writes the "Import" section of bench/RESULTS.md
beside the rate of the day issue 19 was filed; ``python -m bench.import_rate`` prints.

Writes ``--files`` wire files (the demo story, each with its own headline and a few words
of its own) into a temporary folder, then for each database: migrates a fresh one
(SQLite in the work folder; PostgreSQL: a throwaway cluster of Debian's binaries started
as the ``postgres`` user by ``ops.postgres``, with its default durability settings),
imports the archive as published stories, imports it again (the resumed run: every story
already there), and rebuilds the search index. Each step runs in a process of its own, so
its peak resident memory (``wait4``'s ``ru_maxrss``) is its own; the rate is timed inside
the process around the command alone (Django's start-up and the migration are not
counted). After the import the step checks that every story is stored and indexed once.
``--profile FOLDER`` writes a cProfile of each step there (slower while it runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT, commit, write_section

START, END = "<!-- import:start -->", "<!-- import:end -->"
#: When issue 19 was filed: ``khabar import-wire`` took 2,000 real stories in 62 s, one
#: story at a time (SQLite).
FILED = "32 stories/s (wire, SQLite: 2,000 real stories in 62 s, one at a time)"
SAMPLE = ROOT / "khabar" / "data" / "demo" / "wire-ar-moscow-2342.txt"
WORDS = "مطار ميناء قمة اتفاق انتخابات برلمان زلزال فيضان جامعة مستشفى".split()


def write_archive(folder: Path, count: int, kind: str = "wire") -> None:
    """Wire files, or (``ninjs``) the same stories as ninjs documents with two tags each,
    for ``khabar ingest --archive``."""
    headline, rest = SAMPLE.read_text(encoding="utf-8").split("\n", 1)
    paragraphs = "".join(f"<p>{line.strip()}</p>" for line in rest.splitlines() if line.strip())
    for n in range(count):
        sub = folder / f"{n // 1000:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        words = (WORDS[n % len(WORDS)], WORDS[(n // 10) % len(WORDS)])
        title = f"{headline} {' '.join(words)} {n}"
        if kind == "wire":
            (sub / f"{n:07d}.txt").write_text(f"{title}\n{rest}", encoding="utf-8")
            continue
        document = {
            "uri": f"urn:bench:{n}",
            "version": "1",
            "type": "text",
            "language": "ar",
            "headlines": [{"role": "main", "value": title}],
            "bodies": [{"role": "main", "contenttype": "text/html", "value": paragraphs}],
            "versioncreated": "2023-10-26T10:00:00Z",
            "subjects": [{"name": word} for word in dict.fromkeys(words)],
        }
        (sub / f"{n:07d}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")


# --- one step, in its own process ------------------------------------------------------------


def step(
    name: str, work: Path, files: int, batch: int, profile: str, kind: str = "wire"
) -> dict[str, object]:
    import django

    django.setup()
    from django.core.management import call_command

    from khabar.articles.models import Article, Section
    from khabar.search.backends import get_backend

    if name == "migrate":
        call_command("migrate", verbosity=0, interactive=False)
        Section.objects.get_or_create(lang="ar", slug="world", defaults={"name": "دولي"})
        return {}
    if name == "import" and kind == "ninjs":
        args = ["ingest", "--archive", str(work / "archive")]
        args += ["--publish", "--batch", str(batch), "--no-progress"]
    elif name == "import":
        args = ["import_wire", "--archive", str(work / "archive"), "--year", "2023"]
        args += ["--publish", "--batch", str(batch), "--no-progress"]
    else:
        args = ["reindex", "--no-progress"]
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    server = server_cpu(work)
    helpers = children_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    call_command(*args, stdout=open(os.devnull, "w"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    helpers = children_cpu() - helpers
    server = server_cpu(work) - server
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    stored = Article.objects.count()
    distinct = Article.objects.values("source_id").distinct().count()
    indexed = get_backend().count()
    found = get_backend().search("موسكو", lang="ar", per_page=1).total
    return {
        "seconds": seconds,
        "rate": files / seconds,
        "cpu_ms_per_story": cpu * 1000 / files,
        "helper_cpu_ms_per_story": helpers * 1000 / files,
        "server_cpu_ms_per_story": server * 1000 / files,
        "load": os.getloadavg()[0],
        "stored": stored,
        "distinct": distinct,
        "indexed": indexed,
        "found": found,
    }


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the forked reader or analyser)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu(work: Path) -> float:
    """CPU seconds the PostgreSQL cluster has used so far (the postmaster, its live
    processes and those that have exited), or 0 without one."""
    pidfile = work / "pg" / "data" / "postmaster.pid"
    if not pidfile.exists():
        return 0.0
    master = int(pidfile.read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(master)  # from the state: utime is the 12th, cutime the 14th
    total = sum(int(v) for v in fields[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = stat(int(entry))
            except OSError:
                continue
            if int(fields[1]) == master:
                total += sum(int(v) for v in fields[11:13])
    return total / ticks


def run_step(name: str, env: dict[str, str], args: list[str]) -> dict[str, object]:
    """Run a step in a child process; its figures, with its peak RSS in MiB."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.import_rate", "--step", name, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"step {name} failed ({child.returncode})")
    figures: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    figures["rss_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    return figures


def measure(db: str, work: Path, options: argparse.Namespace) -> list[tuple[str, dict]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="khabar.settings",
        KHABAR_VAR_DIR=str(work / f"var-{db}"),
        KHABAR_PAGECACHE_PATH=str(work / f"pagecache-{db}.sqlite3"),
        SQLITE_PATH=str(work / "import.sqlite3"),
    )
    cluster = None
    if db == "postgres":
        from ops import postgres as pg

        if not pg.available():
            raise SystemExit(f"PostgreSQL server binaries missing in {pg.PG_BIN}")
        cluster = work / "pg"
        cluster.mkdir(mode=0o700)
        port = 25432 + os.getpid() % 1000
        pg.start(
            cluster / "data",
            socket_dir=cluster,
            port=port,
            log=cluster / "server.log",
            settings={"shared_buffers": "128MB"},
        )
        subprocess.run(
            pg.as_postgres(
                str(pg.PG_BIN / "createdb"), "-h", str(cluster), "-p", str(port), "khabar"
            ),
            check=True,
        )
        env["DATABASE_URL"] = f"postgres://postgres@localhost:{port}/khabar?host={cluster}"
    rows = []
    try:
        common = ["--work", str(work), "--files", str(options.files), "--batch", str(options.batch)]
        common += ["--format", options.format]
        run_step("migrate", env, common)
        for name, step_name in (("import", "import"), ("rerun", "import"), ("reindex", "reindex")):
            extra = []
            if options.profile:
                extra = ["--profile", str(Path(options.profile) / f"{db}-{name}.prof")]
            figures = run_step(step_name, env, common + extra)
            rows.append((name, figures))
            print(f"{db:8} {name:8} {json.dumps(figures)}", file=sys.stderr)
    finally:
        if cluster is not None:
            from ops import postgres as pg

            pg.stop(cluster / "data")
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_rate")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--db",
        default="sqlite,postgres",
        choices=["sqlite", "postgres", "sqlite,postgres", "postgres,sqlite"],
        help="sqlite, postgres, or both as a comma list (the default)",
    )
    parser.add_argument("--profile", default="", help="a folder for each step's cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--format",
        choices=["wire", "ninjs"],
        default="wire",
        help="wire files (import_wire --archive) or ninjs documents (ingest --archive)",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.step:
        figures = step(
            options.step,
            Path(options.work),
            options.files,
            options.batch,
            options.profile,
            options.format,
        )
        print(json.dumps(figures))
        return 0
    if options.profile:
        Path(options.profile).mkdir(parents=True, exist_ok=True)
    print("\n".join(table(options, measure_archive(options))))
    return 0


def measure_archive(options: argparse.Namespace) -> dict[str, list[tuple[str, dict]]]:
    """An archive of ``options.files`` written to a work folder, then each database's steps."""
    work = Path(tempfile.mkdtemp(prefix="khabar-import-"))
    os.chmod(work, 0o755)
    try:
        write_archive(work / "archive", options.files, options.format)
        return {db: measure(db, work, options) for db in options.db.split(",")}
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


def table(options: argparse.Namespace, results: dict[str, list[tuple[str, dict]]]) -> list[str]:
    loads = [float(f["load"]) for rows in results.values() for _name, f in rows]
    lines = [
        f"{options.files:,} {options.format} files, batch {options.batch}; "
        f"load average (1 min) after each step {min(loads):.1f}–{max(loads):.1f}",
        "",
        "| database | step | stories/s | seconds | CPU ms a story: this process "
        "| its helper | the server | all | peak RSS (MiB) | stored | indexed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db, rows in results.items():
        for name, f in rows:
            cpu = sum(float(f[k]) for k in ("cpu_ms_per_story", "helper_cpu_ms_per_story"))
            cpu += float(f["server_cpu_ms_per_story"])
            lines.append(
                f"| {db} | {name} | {f['rate']:,.0f} | {f['seconds']:.1f} | "
                f"{f['cpu_ms_per_story']:.2f} | {f['helper_cpu_ms_per_story']:.2f} | "
                f"{f['server_cpu_ms_per_story']:.2f} | "
                f"{cpu:.2f} | "
                f"{f['rss_mib']:.0f} | {f['stored']:,} | "
                f"{f['indexed']:,} |"
            )
    return lines


def run_all(argv: list[str]) -> int:
    """``python -m bench import [--files N] [--no-write]``: the wire files and the same
    stories as ninjs, both databases; the "Import" section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench import")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    options = parser.parse_args(argv)
    sections = []
    for kind in ("wire", "ninjs"):
        run = argparse.Namespace(
            files=options.files,
            batch=1000,
            db="sqlite,postgres",
            profile="",
            format=kind,
            keep=False,
        )
        results = measure_archive(run)
        command = "khabar import_wire --archive" if kind == "wire" else "khabar ingest --archive"
        lines = table(run, results)
        sections += [f"**{kind}** (`{command}`): {lines[0]}", "", *lines[2:], ""]
    body = "\n".join(sections)
    print(body)
    if not options.no_write:
        write_results(body)
    return 0


def write_results(body: str) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = "\n".join(
        [
            START,
            "## Import",
            "",
            f"`python -m bench import` (part of `make bench`), {when}, commit {commit()}: "
            "an archive of wire files, then the same stories as ninjs documents, imported "
            "into a fresh database (the resumed run: the same command again; then "
            "`khabar reindex`), each step in a process of its own. Stories/s timed around "
            "the command; CPU ms a story of this process, its reader processes and the "
            "PostgreSQL server; peak RSS of the step. Targets (issue 19): 1,000 stories/s "
            "into SQLite, 500/s into PostgreSQL, search index included, and the reindex at "
            f'the same pace. When issue 19 was filed: {FILED}. History: "Archive import '
            'and reindex (issue 19)" below.',
            "",
            body.rstrip("\n"),
            END,
        ]
    )
    write_section(START, END, section, before="## Archive import and reindex (issue 19)")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
