"""Where a story page's fresh render spends its CPU: the web benchmark's ``fresh`` server
(``KHABAR_PAGECACHE=0``, production settings, SQLite, the bench's seeded content) rendered
in this process, through the whole WSGI application (the page cache's wrapper and every
middleware), with no network and no peers (issue 19).

    .venv/bin/python -m bench.render_profile                  # seed, then 300 renders
    .venv/bin/python -m bench.render_profile --home DIR       # keep (or reuse) the seeded site
    .venv/bin/python -m bench.render_profile -n 1000 --top 40 --modes warm,purged,cold
    .venv/bin/python -m bench.render_profile --home DIR --dump OUT   # the pages, to diff

Prints, for each mode, CPU ms per request (``time.process_time``, no profiler attached)
and queries per request; then the time by part of the request (wrappers around the main
functions, no profiler); then a pass under cProfile and its top functions by own time.

Modes (``--modes``, warm and purged by default):

* ``warm``: what ``make bench``'s "fresh render" row measures: the page cache off, each
  process's fragment cache kept between requests, as in the bench's server.
* ``purged``: what a reader waits for right after a publish: before every request the
  story's pages are purged through the real machinery (``purge_keys(article_keys(story))``,
  as publishing or correcting it does), so its fragments are stale; what no purge touched
  (another story's, the masthead) stays, as it would.
* ``cold``: the fragment cache emptied before every request (a process that just started).

``--dump OUT`` writes the story pages (ar, fa and en; with comments, without, page 2 of the
comments) rendered cold, warm and purged, with the parts that vary between renders (the comment
form's time stamp) masked, so two runs before and after a change can be compared with
``diff -r``. A bench tool: nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SITE_URL = "http://127.0.0.1:18192"  # the bench's fresh server

#: The parts of a request, each timed by a wrapper around the function named (where the
#: code calls it from: a class's method, or the name in the module that calls it). The times
#: are cumulative, so parts overlap where one calls another; the indentation says which holds
#: which. A call inside another call of the same part counts once.
PARTS: list[tuple[str, str]] = [
    ("whole request (WSGI application)", "khabar.site.pagecache.CachedApplication.__call__"),
    ("  Django's handler", "django.core.handlers.base.BaseHandler.get_response"),
    ("    URL resolving", "django.core.handlers.base.BaseHandler.resolve_request"),
    ("    the view", "VIEW"),
    ("      story lookup", "khabar.articles.views.access_article_page"),
    ("      fragment stamp", "khabar.articles.views._fragment_stamp"),
    ("      page bytes (splice.render_to_bytes)", "khabar.articles.views.render_to_bytes"),
    ("        template (render_to_string)", "django.template.loader.render_to_string"),
    ("          {% fragment %} blocks", "khabar.site.templatetags.khabar.FragmentNode.render"),
    ("          inclusion tags (comments, live)", "django.template.library.InclusionNode.render"),
    ("          simple tags (ticker, dates…)", "django.template.library.SimpleNode.render"),
    ("          {% include %}", "django.template.loader_tags.IncludeNode.render"),
    ("          {% static %}", "django.templatetags.static.StaticNode.render"),
    ("          {% url %}", "django.template.defaulttags.URLNode.render"),
    ("          {% translate %}", "django.templatetags.i18n.TranslateNode.render"),
    ("          {{ variables }}", "django.template.base.VariableNode.render"),
    ("  response.close (request_finished)", "django.http.response.HttpResponseBase.close"),
    ("    ETag (splice.etag_for)", "khabar.site.splice.etag_for"),
    ("page-cache store: generations", "khabar.site.pagecache.SqliteStore.generations"),
    ("fragment cache: get", "django.core.cache.backends.locmem.LocMemCache.get"),
    ("fragment cache: get (ProcessCache)", "khabar.site.cache.ProcessCache.get"),
    ("fragment cache: set", "django.core.cache.backends.locmem.LocMemCache.set"),
    ("ORM queries (built, run, rows)", "django.db.models.sql.compiler.SQLCompiler.execute_sql"),
]


class Timers:
    """Wrappers that add up the time spent in each of ``PARTS``, request by request."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys([label for label, _ in PARTS], 0.0)
        self.depth = dict.fromkeys(self.spent, 0)
        self.requests: list[dict[str, float]] = []
        self.undo: list[tuple[Any, str, Any]] = []

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        spent, depth, clock = self.spent, self.depth, time.perf_counter

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[label]:
                return function(*args, **kwargs)
            depth[label] += 1
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += clock() - started
                depth[label] -= 1

        return wrapper

    def install(self) -> None:
        import importlib

        from django.core.handlers.base import BaseHandler

        for label, dotted in PARTS:
            if dotted == "VIEW":
                # The resolver holds the view itself: time what make_view_atomic hands back.
                self._patch(BaseHandler, "make_view_atomic", self._timed_view(label))
                continue
            owner: Any = None
            names = dotted.split(".")
            for split in range(len(names) - 1, 0, -1):
                try:
                    owner = importlib.import_module(".".join(names[:split]))
                except ImportError:
                    continue
                for name in names[split:-1]:
                    owner = getattr(owner, name, None)
                break
            attribute = names[-1]
            if attribute not in getattr(owner, "__dict__", {}):
                continue  # not in this version of the code: the part is left out
            self._patch(owner, attribute, self.timed(label, getattr(owner, attribute)))

    def _timed_view(self, label: str) -> Callable[..., Any]:
        from django.core.handlers.base import BaseHandler

        original = BaseHandler.make_view_atomic

        def make_view_atomic(handler: Any, view: Any) -> Any:
            return self.timed(label, original(handler, view))

        return make_view_atomic

    def _patch(self, owner: Any, attribute: str, value: Any) -> None:
        self.undo.append((owner, attribute, owner.__dict__[attribute]))
        setattr(owner, attribute, value)

    def uninstall(self) -> None:
        for owner, attribute, value in reversed(self.undo):
            setattr(owner, attribute, value)
        self.undo.clear()

    def next_request(self) -> None:
        self.requests.append({k: v * 1000 for k, v in self.spent.items()})
        for key in self.spent:
            self.spent[key] = 0.0

    def shares(self) -> list[tuple[str, float]]:
        """Each part's share of its request (median over the requests): wall-clock times
        on a shared machine stretch with its load, their ratios much less."""
        whole = PARTS[0][0]
        return [
            (label, statistics.median(r[label] / r[whole] for r in self.requests if r[whole]))
            for label, _ in PARTS
            if any(r[label] for r in self.requests)
        ]


def log(message: str) -> None:
    print(f"[render_profile] {message}", file=sys.stderr, flush=True)


# --- The site ---------------------------------------------------------------------------------


def prepare(home: Path, *, big: bool) -> dict[str, Any]:
    """Seed ``home`` as the web benchmark does (once; a second run reuses it) and return
    the seed's answer (the story's address among others)."""
    from bench import web

    (home / "var").mkdir(parents=True, exist_ok=True)
    env = web.app_env(home / "var", SITE_URL, KHABAR_PAGECACHE="0")
    done = home / "seed.json"
    if done.exists():
        import json

        data: dict[str, Any] = json.loads(done.read_text())
    else:
        log(f"seeding {home} (migrate, demo, 200 + 200 comments{' + 5,000' if big else ''})")
        data = web.seed(env, *(() if big else ("--no-big",)))
        subprocess.run(
            [str(BIN / "khabar"), "collectstatic", "--noinput", "-v", "0"], env=env, check=True
        )
        import json

        done.write_text(json.dumps(data, ensure_ascii=False))
    # This process becomes the bench's fresh server.
    for key in [k for k in os.environ if k.startswith(("KHABAR_", "DJANGO_"))]:
        del os.environ[key]
    os.environ.update(env)
    return data


def application() -> Callable[..., Any]:
    sys.path.insert(0, str(ROOT))
    from khabar.wsgi import application as app

    return app  # type: ignore[no-any-return]


def environ_for(path: str, cookie: str = "") -> dict[str, Any]:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        # As a WSGI server passes it: percent-decoded, its bytes as latin-1.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "18192",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:18192",
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


def get(app: Callable[..., Any], path: str, cookie: str = "") -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        status.append(line)

    result = app(environ_for(path, cookie), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0], body


def purger(path: str) -> Callable[[], None]:
    """Purges the story at ``path`` as publishing it does (its pages, its section's, its
    tags', the home page, the feeds and the related boxes that may list it)."""
    from django.urls import resolve

    from khabar.articles.models import Article
    from khabar.site.pagecache import article_keys, purge_keys

    story = Article.objects.get(pk=resolve(path.partition("?")[0]).kwargs["pk"])
    keys = article_keys(story)

    def purge() -> None:
        purge_keys(keys)

    return purge


def nothing() -> None:
    pass


def empty_fragments() -> None:
    """What a publish leaves each process with: no rendered fragment and no shared row
    (a purge moves the generations, so the old entries are never read again)."""
    from django.core.cache import caches

    caches["fragments"].clear()


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    from django.db import connections

    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(wrapper):
        yield seen


# --- Measuring ------------------------------------------------------------------------------


def measure(
    app: Callable[..., Any], path: str, n: int, before: Callable[[], None]
) -> tuple[list[float], float, list[str]]:
    """CPU ms of each of ``n`` renders, queries per render, and one render's queries."""
    times: list[float] = []
    with counting_queries() as queries:
        for _ in range(n):
            before()
            started = time.process_time()
            status, _body = get(app, path)
            times.append((time.process_time() - started) * 1000)
            if not status.startswith("200"):
                raise SystemExit(f"{path} answered {status}")
    before()
    with counting_queries() as one:
        get(app, path)
    return times, len(queries) / n, one


def profile(app: Callable[..., Any], path: str, n: int, before: Callable[[], None]) -> pstats.Stats:
    profiler = cProfile.Profile()
    for _ in range(n):
        before()
        profiler.enable()
        get(app, path)
        profiler.disable()
    return pstats.Stats(profiler)


def timed_parts(app: Callable[..., Any], path: str, n: int, before: Callable[[], None]) -> Timers:
    timers = Timers()
    timers.install()
    try:
        for _ in range(n):
            before()
            get(app, path)
            timers.next_request()
    finally:
        timers.uninstall()
    return timers


def report(label: str, times: list[float], per_request: float, one: list[str]) -> None:
    times = sorted(times)
    print(
        f"{label}: {statistics.median(times):.2f} ms CPU per request (median; mean "
        f"{statistics.fmean(times):.2f}, p10 {times[len(times) // 10]:.2f}, p90 "
        f"{times[len(times) * 9 // 10]:.2f}), {per_request:.1f} queries per request"
    )
    for sql in one:
        print("    " + re.sub(r"\s+", " ", sql)[:150])


def print_parts(timers: Timers, cpu_ms: float) -> None:
    print(
        "  by part (timed by wrappers; cumulative, so parts overlap): share of the request,"
        f" and that share of the {cpu_ms:.2f} CPU ms above"
    )
    for label, share in timers.shares():
        print(f"    {label:<46} {share:6.1%} {share * cpu_ms:7.2f}")


def print_profile(stats: pstats.Stats, n: int, top: int) -> None:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    print(f"  cProfile, top {top} by own time ({n} requests):")
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start:]:
        if line.strip():
            site = str(ROOT / ".venv" / "lib")
            print("    " + line.replace(str(ROOT) + "/", "").replace(site, "…"))


# --- Pages to compare -------------------------------------------------------------------------

#: What legitimately differs between two renders of the same page: the comment form's signed
#: time stamp (khabar.comments.spam.make_stamp), and a CSRF token if one is ever drawn.
VARYING = [
    (re.compile(rb'(name="(?:stamp|csrfmiddlewaretoken)" value=")[^"]*"'), rb'\1-"'),
]


def pages_to_compare(story: str) -> list[tuple[str, str]]:
    """The bench's story (its comments, page 2 of them, another sort, a reply form open) and
    a story of each edition with comments and one without."""
    from khabar.articles.models import Article
    from khabar.comments.models import Comment

    first = Comment.objects.filter(thread__key=_thread_key(story)).order_by("pk").first()
    paths = [
        ("bench-story", story),
        ("bench-story-cpage2", story + "?cpage=10"),
        ("bench-story-newest", story + "?csort=newest"),
        ("bench-story-reply", story + f"?reply={first.pk if first else 0}"),
    ]
    for lang in ("ar", "fa", "en"):
        live = list(Article.objects.published().in_edition(lang).order_by("-published_at", "-pk"))
        commented = [a for a in live if a.source_id != "bench:story"]
        if not commented:
            continue
        talked = _with_comments(commented[0])
        quiet = next(a for a in reversed(live) if a.pk != talked.pk)
        paths.append((f"{lang}-comments-{talked.pk}", talked.get_absolute_url()))
        paths.append((f"{lang}-none-{quiet.pk}", quiet.get_absolute_url()))
    return paths


def _thread_key(path: str) -> str:
    from django.urls import resolve

    return f"article:{resolve(path.partition('?')[0]).kwargs['pk']}"


def _with_comments(story: Any) -> Any:
    """``story`` with a few comments (a reply, a reply to it, and one deeper than the page
    indents, shown flat), posted once through the comment actions."""
    from django.contrib.auth.models import AnonymousUser

    from khabar.comments import conf
    from khabar.comments.actions import approve_comment, post_comment
    from khabar.comments.models import Comment, Status
    from khabar.site.actors import COMMAND_LINE

    if Comment.objects.filter(thread__key=story.thread_key).exists():
        return story
    parent = None
    for n in range(conf.INDENT_DEPTH + 3):
        posted = post_comment(
            story.thread_key,
            actor=AnonymousUser(),
            author=f"reader {n} قارئ",
            text=f"comment {n}: *emphasis* and **bold** تعليق رقم {n}",
            parent_id=parent,
        )
        if posted.comment.status != Status.APPROVED:  # a pre-moderated story
            approve_comment(posted.comment, actor=COMMAND_LINE)
        parent = posted.comment.pk
    return story


def dump(app: Callable[..., Any], story: str, out: Path) -> None:
    """Every page of ``pages_to_compare`` cold, warm and just purged, and the bench's story
    as a reader with a session cookie gets it (nothing shared)."""
    out.mkdir(parents=True, exist_ok=True)
    pages = [(name, path, "") for name, path in pages_to_compare(story)]
    pages.append(("bench-story-reader", story, "sessionid=nobody; khabar_reader=r1"))
    for name, path, cookie in pages:
        purge = purger(path)
        for mode, before in (("cold", empty_fragments), ("warm", nothing), ("purged", purge)):
            before()
            status, body = get(app, path, cookie)
            for pattern, replacement in VARYING:
                body = pattern.sub(replacement, body)
            (out / f"{name}.{mode}.html").write_bytes(body)
            log(f"{status[:3]} {name} ({mode})")


# --- The run --------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render_profile", description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="renders per measurement (300)")
    parser.add_argument("--home", type=Path, help="seeded site to keep or reuse (else a temp dir)")
    parser.add_argument("--big", action="store_true", help="seed the 5,000-comment story too")
    parser.add_argument("--path", help="the page to render (default: the bench's story)")
    parser.add_argument(
        "--modes", default="warm,purged", help="warm, purged and/or cold, comma-separated"
    )
    parser.add_argument("--top", type=int, default=25, help="functions listed from the profile")
    parser.add_argument("--no-profile", action="store_true", help="CPU ms and queries only")
    parser.add_argument("--dump", type=Path, help="write the pages to compare into this folder")
    options = parser.parse_args(argv)

    home = options.home or Path(tempfile.mkdtemp(prefix="khabar-render-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        data = prepare(home, big=options.big)
        app = application()
        path = options.path or data["story"]
        if options.dump:
            dump(app, data["story"], options.dump)
            return 0
        status, body = get(app, path)
        log(f"{path}: {status}, {len(body):,} bytes")
        befores = {"warm": nothing, "purged": purger(path), "cold": empty_fragments}
        for mode in options.modes.split(","):
            before = befores[mode]
            for _ in range(20):  # warm the process up: imports, templates, connections
                get(app, path)
            times, per_request, one = measure(app, path, options.n, before)
            report(f"{mode} ({path})", times, per_request, one)
            print_parts(timed_parts(app, path, options.n, before), statistics.median(times))
            if not options.no_profile:
                print_profile(profile(app, path, options.n, before), options.n, options.top)
    finally:
        if options.home is None:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
