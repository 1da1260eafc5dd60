"""WordPress content as khabar's plain paragraphs, and imported comments' HTML
(``khabar.wordpress.content``): table-driven, and the fast paths held to the slow ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from khabar.comments.actions import clean_email, render
from khabar.syndication.formats.body import html_blocks
from khabar.wordpress.content import autop, comment_html, paragraphs, plain_text
from khabar.wordpress.convert import _PLAIN_EMAIL, email_of, text_of


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("", []),
        ("سطر واحد", ["سطر واحد"]),
        # wpautop: a blank line ends a paragraph, a single line break stays inside one.
        ("أول\nتابع\n\nثان", ["أول\nتابع", "ثان"]),
        ("  مسافات   كثيرة  \r\n\r\n\tبعد سطر فارغ ", ["مسافات كثيرة", "بعد سطر فارغ"]),
        ("<p>فقرة <em>مائلة</em></p><p>أخرى</p>", ["فقرة مائلة", "أخرى"]),
        ("<!-- wp:heading --><h2>عنوان</h2><!-- /wp:heading -->", ["عنوان"]),
        ('نص [caption id="x"]<img src="a.jpg"> شرح[/caption] يتبع', ["نص يتبع"]),
        ('[gallery ids="1,2"]\n\nبعد المعرض', ["بعد المعرض"]),
        ("كلمة [footnote]حاشية[/footnote]", ["كلمة حاشية"]),
        ("<ul><li>واحد</li><li>اثنان</li></ul>", ["• واحد", "• اثنان"]),
        ("قبل<!--more-->\n\nبعد", ["قبل", "بعد"]),
        ("<p>نص</p><script>alert(1)</script><style>p{}</style>", ["نص"]),
        ("Fish &amp; chips &#8211; <b>hot</b>", ["Fish & chips – hot"]),
        # Lines indented unevenly are still one paragraph (hypothesis found it: "0\r 0\r0\r\t0"
        # was four paragraphs through the HTML clean-up, one through the plain fast path).
        ("<b>أ</b>\n  ب\nج\n\tد", ["أ\nب\nج\nد"]),
        ("0\r 0\r0\r\t0", ["0\n0\n0\n0"]),
    ],
)
def test_it_turns_wordpress_content_into_paragraphs(markup, expected):
    assert paragraphs(markup) == expected


PLAIN = st.text(
    alphabet=st.sampled_from(list("ابتثجحخ سلام عليكم abcXYZ 019٠١٢.,;:!?\"'()-=+/#%@~^{}|\n\r\t")),
    max_size=80,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_it_reads_plain_text_as_the_html_clean_up_would(text):
    assert paragraphs(text) == [p.strip() for p in html_blocks(autop(text)) if p.strip()]


@pytest.mark.parametrize(
    "text",
    [
        "تعليق قصير",
        'سطر أول\nسطر ثان\n\nفقرة "ثانية" & <b>x</b> a>b',
        "https://a.example/x?y=1&z=2",
        "it's 5 o'clock & 3 < 4",
        "&amp; &copy; &#1;",
        "رابط\u200f مع علامة اتجاه",
        # Markdown the readers' subset reads goes through the real renderer.
        "*مائل* و _مائل_ و [رابط](https://a.example)",
        "> اقتباس\nبعده",
        "`code` and back\\slash",
    ],
)
def test_it_renders_an_imported_comment_as_the_comments_app_does(text):
    assert comment_html(text) == render(text)


@hypothesis_settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_it_renders_any_plain_comment_as_the_comments_app_does(text):
    text = plain_text(text)
    if text:
        assert comment_html(text) == render(text)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True).filter(lambda e: len(e) <= 254))
def test_it_takes_at_once_only_addresses_the_comments_app_takes(email):
    # The quick check never keeps an address the readers' form would refuse.
    assert email_of(email) == clean_email(email) == email


@pytest.mark.parametrize(
    ("given_email", "kept"),
    [
        ("abukhaled@mail.example", "abukhaled@mail.example"),
        ("  reader@news.example ", "reader@news.example"),
        ("سارة@مثال.مصر", "سارة@مثال.مصر"),  # any script, through the real validator
        ("not an address", ""),
        ("a@-bad.example", ""),
        ("", ""),
    ],
)
def test_it_keeps_a_commenters_address_only_if_khabar_would(given_email, kept):
    assert email_of(given_email) == kept


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Markup: Title <em>With</em> <b>Mark<sup>up</sup></b>", "Markup: Title With Markup"),
        ("Tom &amp; Jerry &#8211; again", "Tom & Jerry – again"),
        ("عنوان عادي", "عنوان عادي"),
    ],
)
def test_it_reads_a_title_as_plain_text(title, expected):
    assert text_of(title) == expected
