"""axe-core's WCAG 2.2 A and AA rules over every reader page type, in all three editions and
in the light and dark schemes, in real Chromium: home, section, tag, a story with comments
(the comment area included) and the reply form open, a live story, search with results and
with none, 404 and the withdrawn story's 410.

axe-core is vendored (tests/vendor/axe-core, MPL-2.0) so this runs offline; the browser
context bypasses the page's CSP only to inject it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from khabar.articles import actions as story_actions
from khabar.articles.models import Urgency
from khabar.comments import actions as comment_actions
from khabar.live import actions as live_actions
from khabar.test import SYSTEM, make_article, make_section, make_tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

WORDS = {
    "ar": ("دولي", "إيران", "زلزال قوي يضرب شمال البلاد", "زلزال", "أحمد", "تعليق أول"),
    "fa": ("بین‌الملل", "ایران", "زلزله‌ای شدید شمال کشور را لرزاند", "زلزله", "احمد", "نظر"),
    "en": ("World", "Iran", "Strong earthquake hits the north", "earthquake", "Ahmed", "First"),
}


def axe(page, exclude: list[str] | None = None, include: str | None = None) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    context = {"exclude": [[s] for s in exclude or []]}
    if include:
        context["include"] = [[include]]
    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    result = page.evaluate("([context, options]) => axe.run(context, options)", [context, options])
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": v["nodes"][0]["failureSummary"][:300],
        }
        for v in result["violations"]
    ]


def reader_pages(lang: str, people) -> dict[str, str]:
    section_name, tag_name, headline, query, author, text = WORDS[lang]
    section = make_section(lang, slug="world", name=section_name)
    tag = make_tag(tag_name, lang=lang)
    story = make_article(
        lang=lang, section=section, tags=[tag], headline=headline, urgency=Urgency.URGENT
    )
    make_article(lang=lang, section=section, tags=[tag], headline=headline + " 2")
    posted = comment_actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author=author, text=text
    )
    if not posted.visible:
        comment_actions.approve_comment(posted.comment, actor=people["moderator"])
    live_story = make_article(lang=lang, section=section, headline=headline + " (live)")
    live = live_actions.start_live(live_story, actor=people["editor"])
    live_actions.post_update(live, actor=SYSTEM, text=text + " 1", signoff="2342")
    pinned = live_actions.post_update(live, actor=SYSTEM, text=text + " 2")
    live_actions.pin_update(pinned, actor=people["editor"], pinned=True)
    gone = make_article(lang=lang, section=section, headline=headline + " (withdrawn)")
    story_actions.withdraw_article(gone, actor=SYSTEM, reason="x", reason_public=True)
    return {
        "home": f"/{lang}/",
        "section": section.get_absolute_url(),
        "tag": tag.get_absolute_url(),
        "story": f"{story.get_absolute_url()}?reply={posted.comment.pk}",
        "live": live_story.get_absolute_url(),
        "search": f"/{lang}/search/?q={query}",
        "search-empty": f"/{lang}/search/?q=qqqxqq",
        "404": f"/{lang}/no-such-page/",
        "410": f"/{lang}/news/{gone.pk}/",
    }


@pytest.fixture(params=["light", "dark"])
def browser_context(request, chromium):
    context = chromium.new_context(
        locale="ar",
        viewport={"width": 390, "height": 844},
        bypass_csp=True,
        color_scheme=request.param,
    )
    # No long-lived stream to outlive the page: the live page polls (its fallback) here.
    context.route("**/live/*/events*", lambda route: route.abort())
    yield context
    context.close()


@pytest.mark.parametrize("lang", ["ar", "fa", "en"])
def test_it_finds_no_wcag_violation_on_reader_pages(
    lang, live_server, browser_context, people, output_dir
):
    pages = reader_pages(lang, people)
    page = browser_context.new_page()
    found = {}
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None
        if name in ("404", "410"):
            assert response.status == int(name), path
        violations = axe(page)
        if violations:
            found[name] = violations
        if name == "story":
            page.locator("#comments").screenshot(path=str(output_dir / "comments.png"))
    (output_dir / "axe.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_it_finds_no_wcag_violation_after_a_comment_is_posted(
    settings, live_server, browser_context, people, output_dir
):
    """The notice after posting, in both schemes."""
    settings.KHABAR_COMMENT_MIN_SUBMIT_SECONDS = 0
    pages = reader_pages("ar", people)
    page = browser_context.new_page()
    page.goto(live_server.url + pages["story"].split("?")[0])
    page.fill("#comment-author", "سارة")
    page.fill("#comment-text", "تعليق ثان")
    page.click(".comment-form__submit")
    expect(page.locator(".comments__notice")).to_be_visible()
    page.locator("#comments").screenshot(path=str(output_dir / "notice.png"))
    assert axe(page) == []
