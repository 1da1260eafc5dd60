"""A story page in each edition, in real Chromium on a phone: direction, dateline, no overflow."""

from __future__ import annotations

import datetime

import pytest

from khabar.articles import actions
from khabar.test import SYSTEM, make_article, make_section

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

STORIES = {
    "ar": {
        "section": ("world", "دولي"),
        "headline": "مباحثات ايرانية روسية حول الأوضاع في المنطقة والتعاون الاقتصادي بين البلدين",
        "dateline_city": "موسكو",
        "dateline_agency": "ارنا",
        "body": "تباحث نائب وزير الخارجية الايراني مع مسؤولي الخارجية الروسية.\n\n"
        "وشكر موسكو على تحركاتها في الأمم المتحدة.",
        "dateline": "موسكو / 26 تشرين الأول /أكتوبر/ارنا-",
        "end": "انتهى ** 2342",
        "read_in": "اقرأ بـ:",
    },
    "fa": {
        "section": ("world", "بین‌الملل"),
        "headline": "گفت‌وگوی معاون وزیر امور خارجه ایران با مقام‌های روسیه دربارهٔ تحولات منطقه",
        "dateline_city": "مسکو",
        "dateline_agency": "ایرنا",
        "body": "معاون وزیر امور خارجه ایران با مقام‌های وزارت خارجه روسیه دیدار کرد.\n\n"
        "وی از اقدامات مسکو در سازمان ملل قدردانی کرد.",
        "dateline": "مسکو- ایرنا-",
        "end": "پایان ** 2342",
        "read_in": "بخوانید به:",
    },
    "en": {
        "section": ("world", "World"),
        "headline": "Iranian deputy foreign minister holds talks with Russian officials",
        "dateline_city": "MOSCOW",
        "dateline_agency": "IRNA",
        "body": "Iran's deputy foreign minister met officials of the Russian foreign ministry.\n\n"
        "He thanked Moscow for its moves at the United Nations.",
        "dateline": "MOSCOW, Oct. 26 (IRNA) -",
        "end": "END ** 2342",
        "read_in": "Read in:",
    },
}
DIRECTIONS = {"ar": "rtl", "fa": "rtl", "en": "ltr"}

# Elements sticking out of the viewport sideways. Those inside an absolutely positioned box
# placed wholly off-screen on purpose (the skip link, the comment form's honeypot) are fine.
WIDE_ELEMENTS = """
[...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect();
  if (e.offsetParent === null || (r.right <= innerWidth + 1 && r.left >= -1)) return false;
  for (let a = e; a; a = a.parentElement) {
    const b = a.getBoundingClientRect();
    if (getComputedStyle(a).position === 'absolute' && (b.right <= 0 || b.left >= innerWidth))
      return false;
  }
  return true;
}).map(e => e.tagName + '.' + e.className)
"""


def _linked_stories():
    stories = {}
    for code, spec in STORIES.items():
        slug, name = spec["section"]
        stories[code] = make_article(
            section=make_section(code, slug, name),
            lang=code,
            headline=spec["headline"],
            dateline_city=spec["dateline_city"],
            dateline_agency=spec["dateline_agency"],
            dateline_date=datetime.date(2023, 10, 26),
            body=spec["body"],
            signoff="2342",
        )
    for code in ("fa", "en"):
        actions.link_translation(stories[code], original=stories["ar"], actor=SYSTEM)
    return stories


@pytest.mark.parametrize("code", ["ar", "fa", "en"])
def test_it_lays_out_a_story_page_in_each_edition(live_server, page, output_dir, code):
    stories = _linked_stories()
    spec, direction = STORIES[code], DIRECTIONS[code]
    page.set_viewport_size({"width": 360, "height": 780})  # a small phone
    page.goto(live_server.url + stories[code].get_absolute_url())

    assert page.evaluate("document.documentElement.lang") == code
    assert page.evaluate("document.documentElement.dir") == direction
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert page.locator(".story .dateline").inner_text() == spec["dateline"]
    assert page.locator(".end-marker").inner_text() == spec["end"]
    read_in = page.locator(".story .translations")
    assert read_in.inner_text().startswith(spec["read_in"])
    assert sorted(a.get_attribute("hreflang") for a in read_in.locator("a").all()) == sorted(
        c for c in STORIES if c != code
    )
    # The headline starts at the inline-start edge: the right in rtl, the left in ltr.
    box = page.locator(".story .headline").bounding_box()
    assert box is not None
    gap = 360 - (box["x"] + box["width"]) if direction == "rtl" else box["x"]
    assert gap < 40
    # Nothing overflows sideways, neither the page nor any element on it.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wide = page.evaluate(WIDE_ELEMENTS)
    assert wide == []
    shot = output_dir / f"story-{code}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
