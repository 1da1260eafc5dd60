"""How fast ``khabar import_wxr`` goes: a synthetic WordPress export into a fresh SQLite
database, search index included (issue 22; the archive target elsewhere is 1,000 stories/s).

    .venv/bin/python -m bench.wxr_import [--posts 5000] [--comments 4] [--batch 500]

Writes a WXR 1.2 file of ``--posts`` published Arabic posts (five paragraphs of block-editor
markup, one of five categories, two of fifty tags, ``--comments`` comments each: a thread
two deep and one pending), imports it, and prints posts (stories) per second for the whole
command (both passes: the check and the write), then for a rerun (every post already there),
then, as the reference, for ``import_wire --archive`` of as many wire stories in the same
process and database (``--no-wire`` to skip it). Rates are given per second of wall time and
per second of this process's CPU time: the machine is shared, and the second is what the
import itself costs.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

PARAGRAPH = (
    "<!-- wp:paragraph -->\n<p>قالت وزارة الطاقة إن صادرات النفط ارتفعت في الربع الثالث "
    "<strong>بنسبة ثلاثة في المئة</strong> مقارنة بالعام الماضي، وإن الطلب الآسيوي "
    "ما زال المحرك الأول للسوق بحسب محللين.</p>\n<!-- /wp:paragraph -->\n\n"
)
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>bench</title><link>https://bench.example</link><language>ar</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login>salma</wp:author_login>
<wp:author_display_name><![CDATA[سلمى الحسيني]]></wp:author_display_name></wp:author>
"""


def comment(post: int, n: int, parent: int, approved: str) -> str:
    wp_id = post * 100 + n
    return f"""<wp:comment><wp:comment_id>{wp_id}</wp:comment_id>
<wp:comment_author><![CDATA[قارئ {n}]]></wp:comment_author>
<wp:comment_author_email>reader{wp_id}@mail.example</wp:comment_author_email>
<wp:comment_author_IP>192.0.2.{n}</wp:comment_author_IP>
<wp:comment_date_gmt>2023-10-26 1{n % 10}:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[تعليق رقم {n} على الخبر {post}: الأسعار سترتفع.]]>
</wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>comment</wp:comment_type>
<wp:comment_parent>{parent and post * 100 + parent}</wp:comment_parent></wp:comment>
"""


def item(post: int, comments: int) -> str:
    day = 1 + post % 28
    thread = "".join(
        comment(post, n, parent=(n - 1 if n % 3 == 2 else 0), approved="0" if n % 4 == 0 else "1")
        for n in range(1, comments + 1)
    )
    return f"""<item><title>{escape(f"صادرات النفط ترتفع في الربع الثالث {post}")}</title>
<link>https://bench.example/?p={post}</link><dc:creator>salma</dc:creator>
<guid isPermaLink="false">https://bench.example/?p={post}</guid>
<content:encoded><![CDATA[{PARAGRAPH * 5}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post}</wp:post_id><wp:post_date>2023-10-{day:02d} 12:00:00</wp:post_date>
<wp:post_date_gmt>2023-10-{day:02d} 08:30:00</wp:post_date_gmt>
<wp:comment_status>open</wp:comment_status><wp:post_name>oil-{post}</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="section-{post % 5}"><![CDATA[قسم {post % 5}]]></category>
<category domain="post_tag" nicename="tag-{post % 50}"><![CDATA[وسم {post % 50}]]></category>
<category domain="post_tag" nicename="tag-{post * 7 % 50}"><![CDATA[وسم {post * 7 % 50}]]>
</category>
{thread}</item>
"""


def write_wxr(path: Path, posts: int, comments: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for post in range(1, posts + 1):
            out.write(item(post, comments))
        out.write("</channel></rss>\n")


def rates(count: int, times: tuple[float, float]) -> str:
    wall, cpu = times
    return f"{count / wall:,.0f} stories/s ({wall:.1f} s), {count / cpu:,.0f} per CPU-second"


def wire(work: Path, options: argparse.Namespace) -> tuple[float, float]:
    """The reference: the wire archive import of as many stories, same process and database."""
    from django.core.management import call_command

    from khabar.articles.models import Section

    sample = Path(__file__).resolve().parent.parent / "khabar/data/demo/wire-ar-moscow-2342.txt"
    headline, rest = sample.read_text(encoding="utf-8").split("\n", 1)
    files = work / "wire"
    files.mkdir()
    for n in range(options.posts):
        (files / f"{n:07d}.txt").write_text(f"{headline} {n}\n{rest}", encoding="utf-8")
    section, _ = Section.objects.get_or_create(lang="ar", slug="world", defaults={"name": "دولي"})
    wall, cpu = time.perf_counter(), time.process_time()
    call_command(
        "import_wire", "--archive", str(files), "--year", "2023", "--publish",
        "--section", section.slug, "--lang", "ar", "--batch", "1000", "--no-progress",
        stdout=io.StringIO(),
    )  # fmt: skip
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wxr_import")
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--no-wire",
        action="store_true",
        help="skip the reference: as many wire files through import_wire --archive",
    )
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="khabar-wxr-"))
    export = work / "export.wxr"
    write_wxr(export, options.posts, options.comments)
    os.environ["SQLITE_PATH"] = str(work / "import.sqlite3")
    os.environ["KHABAR_PAGECACHE_PATH"] = str(work / "pagecache.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from khabar.articles.models import Article
    from khabar.comments.models import Comment

    call_command("migrate", verbosity=0, interactive=False)
    size = export.stat().st_size / 1e6
    # Wall time and this process's CPU time: on a shared machine the second says what the
    # import costs, the first also how busy the machine was.
    runs = []
    for _run in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        call_command(
            "import_wxr", str(export), "--edition", "ar", "--create-sections",
            "--batch", str(options.batch), "--no-progress", verbosity=0,
        )  # fmt: skip
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    stories, comments = Article.objects.count(), Comment.objects.count()
    print(f"WXR of {options.posts:,} posts ({size:.1f} MB), {comments:,} comments stored")
    print(f"import_wxr:            {rates(stories, runs[0])}")
    print(f"import_wxr again:      {rates(options.posts, runs[1])} (all already there)")
    if not options.no_wire:
        print(f"import_wire --archive: {rates(options.posts, wire(work, options))}")
    print(f"(work folder {work}; remove it when done)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
