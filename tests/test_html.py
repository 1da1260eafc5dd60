"""The one sanitiser and the comment Markdown subset (khabar/lib/html.py)."""

import pytest

from khabar.lib.html import has_links, render_comment, sanitize


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("لا", "<p>لا</p>"),
        ("*مهم*", "<p><em>مهم</em></p>"),
        ("**جدا**", "<p><strong>جدا</strong></p>"),
        ("> اقتباس", "<blockquote>\n<p>اقتباس</p>\n</blockquote>"),
        ("أول\n\nثان", "<p>أول</p>\n<p>ثان</p>"),
        ("سطر\nسطر", "<p>سطر<br>\nسطر</p>"),
        ("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("# ليس عنوانا", "<p># ليس عنوانا</p>"),
        ("- ليست قائمة", "<p>- ليست قائمة</p>"),
        (
            "![صورة](https://x.org/a.png)",
            '<p>!<a href="https://x.org/a.png" rel="nofollow ugc">صورة</a></p>',
        ),
    ],
)
def test_it_renders_the_markdown_subset(text, html):
    assert render_comment(text) == html


def test_it_marks_links_nofollow_ugc():
    html = render_comment("[وكالة](https://example.org/news)")
    assert html == '<p><a href="https://example.org/news" rel="nofollow ugc">وكالة</a></p>'


@pytest.mark.parametrize(
    "link", ["[x](javascript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:x)"]
)
def test_it_refuses_dangerous_link_schemes(link):
    assert "href" not in render_comment(link)


def test_it_sanitises_html_from_elsewhere():
    dirty = '<p onclick="x()">a<script>bad()</script><a href="javascript:x">b</a><img src=x></p>'
    assert sanitize(dirty) == '<p>a<a rel="nofollow ugc">b</a></p>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("انظر https://example.org", True),
        ("www.example.org", True),
        ("[هنا](https://x.org)", True),
        ("no link here.", False),
        ("نص عادي", False),
    ],
)
def test_it_spots_links(text, expected):
    assert has_links(text) is expected
