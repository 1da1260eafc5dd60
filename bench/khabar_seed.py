"""Prepare khabar for the web benchmark and print what to load, as JSON.

    KHABAR_VAR_DIR=/tmp/x .venv/bin/python bench/khabar_seed.py [--big 5000] [--no-big]

Migrates, loads the demo content and adds three Arabic stories in one section:

* ``story``: a long story (about as long as the Wagtail peer's article) with a 200-comment
  thread built like Isso's seed (``../shared/peers/isso/seed.py``, whose texts and authors
  are reused): every second comment is a reply to a random earlier one, 100 + 100.
* ``big``: the same story with 5,000 comments (the first page must not get slower).
* ``post``: a third story with its own 200 comments, the target of the POST benchmark, so
  the thread that GET measures keeps its 200 comments over every round.

Every comment goes through ``khabar.comments.actions.post_comment`` (rendered HTML stored at
write time, as in production). Running it again against the same database adds nothing.
Prints ``{"story": url, "big": url, "post_thread": key, "parents": [first, last], ...}``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers"))


def _isso_seed() -> Any:
    """The peer's seed module (standard library only), for the same texts and authors."""
    spec = importlib.util.spec_from_file_location("isso_seed", PEERS_DIR / "isso" / "seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()


def _long_body(words: int = 900) -> str:
    """Paragraphs of the Arabic demo stories until the body is about ``words`` long."""
    from khabar.articles.models import Article

    paragraphs: list[str] = []
    count = 0
    for story in Article.objects.published().in_edition("ar").order_by("pk"):
        for paragraph in story.paragraphs:
            paragraphs.append(paragraph)
            count += len(paragraph.split())
            if count >= words:
                return "\n\n".join(paragraphs)
    return "\n\n".join(paragraphs)


def _story(key: str, headline: str, body: str, policy: str) -> Any:
    from khabar.articles.actions import create_article, publish_article
    from khabar.articles.models import Article, Section

    found = Article.objects.filter(source_id=key).first()
    if found is not None:
        return found
    section = Section.objects.filter(lang="ar").order_by("position", "pk").first()
    assert section is not None, "load_demo made no Arabic section"
    from khabar.site.actors import system

    bench = system("bench")
    story = create_article(
        actor=bench,
        section=section,
        headline=headline,
        dateline_city="بيروت",
        dateline_date=datetime.date.today(),
        body=body,
        dateline_agency="خبر",
        signoff="1001",
        comment_policy=policy,
        source_id=key,
    )
    return publish_article(story, actor=bench)


def _seed_thread(story: Any, count: int, *, rng: random.Random, isso: Any) -> tuple[int, int]:
    """``count`` comments, every second one a reply; returns the first and last id."""
    from django.contrib.auth.models import AnonymousUser

    from khabar.comments.actions import post_comment
    from khabar.comments.models import Comment

    existing = Comment.objects.filter(thread__key=story.thread_key).order_by("pk")
    done = existing.count()
    ids = list(existing.values_list("pk", flat=True))
    for n in range(done, count):
        is_reply = n % 2 == 1 and bool(ids)
        parent = rng.choice(ids) if is_reply else None
        posted = post_comment(
            story.thread_key,
            actor=AnonymousUser(),
            author=rng.choice(isso.AUTHORS) or "قارئ",
            text=f"{isso.comment_text(rng, is_reply)} ({n + 1})",
            parent_id=parent,
        )
        ids.append(posted.comment.pk)
    return ids[0], ids[-1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="comments on the story")
    parser.add_argument(
        "--big",
        type=int,
        default=int(os.environ.get("BENCH_BIG_COMMENTS", "5000")),
        help="comments on the big story",
    )
    parser.add_argument("--no-big", action="store_true", help="skip the big story")
    parser.add_argument(
        "--policy",
        default=os.environ.get("BENCH_COMMENT_POLICY", "post"),
        choices=["pre", "post"],
        help="comment policy of the POST target (post: visible at once, like Isso's peer)",
    )
    options = parser.parse_args(argv)

    _setup_django()
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", "--noinput", verbosity=0)
    # A benchmark's throwaway site, not a live one: demo content is what it measures.
    call_command("load_demo", allow_production=True, stdout=open(os.devnull, "w"))
    isso = _isso_seed()
    body = _long_body()
    rng = random.Random(42)
    headline = isso.THREAD_TITLE
    out: dict[str, Any] = {}

    story = _story("bench:story", headline, body, "post")
    _seed_thread(story, options.count, rng=rng, isso=isso)
    out["story"] = story.get_absolute_url()
    out["thread"] = story.thread_key

    target = _story("bench:post", headline + " (2)", body, options.policy)
    # The seeded comments must be visible whatever the policy, so seed before setting it.
    if options.policy != "post":
        type(target).objects.filter(pk=target.pk).update(comment_policy="post")
    first, last = _seed_thread(target, options.count, rng=rng, isso=isso)
    if options.policy != "post":
        type(target).objects.filter(pk=target.pk).update(comment_policy=options.policy)
    out["post_thread"] = target.thread_key
    out["parents"] = [first, last]

    if not options.no_big:
        big = _story("bench:big", headline + " (5000)", body, "post")
        _seed_thread(big, options.big, rng=rng, isso=isso)
        out["big"] = big.get_absolute_url()
        out["big_thread"] = big.thread_key

    out["policy"] = options.policy
    out["body_words"] = len(body.split())
    out["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
