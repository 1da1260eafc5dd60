"""In real Chromium, two editors in two browsers open the same story: the first changes the
headline and saves, the second changes the body and saves. Both edits survive (merged on the
conflict page), nobody is told "saved" over someone else's work, and each sees the other."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from khabar.articles import actions
from khabar.articles.models import Article, Status
from khabar.test import SYSTEM, make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def editor_page(chromium, base: str, username: str, viewport=DESKTOP):
    context = chromium.new_context(locale="ar", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/desk/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-Pass-1234!")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/desk/")
    return context, page


def test_it_keeps_both_editors_edits(live_server, chromium, people, output_dir):
    story = make_article(publish=False, headline="العنوان الأصلي", body="الفقرة الأولى.")
    url = f"{live_server.url}/desk/articles/article/{story.pk}/change/"
    first_context, first = editor_page(chromium, live_server.url, "editor")
    second_context, second = editor_page(chromium, live_server.url, "chief", PHONE)
    try:
        first.goto(url)
        second.goto(url)
        # Each sees the other in the story (the ping runs every 5 s with JavaScript).
        expect(first.locator("#presence")).to_contain_text("chief", timeout=15_000)

        first.fill("#id_headline", "عنوان المحرر الأول")
        first.click("input[name=_continue]")
        first.wait_for_url("**/change/")
        assert first.locator(".messagelist .success").count() == 1

        # The second editor is told before saving that someone saved since they opened it.
        expect(second.locator("#presence")).to_contain_text("editor", timeout=15_000)
        second.fill("#id_body", "الفقرة الأولى.\n\nفقرة أضافها رئيس التحرير.")
        second.click("input[name=_continue]")
        second.wait_for_selector("#conflict")
        assert second.locator(".messagelist .success").count() == 0
        assert second.locator("html").get_attribute("dir") == "rtl"
        second.screenshot(path=str(output_dir / "conflict-phone.png"), full_page=True)
        assert Article.objects.get(pk=story.pk).headline == "عنوان المحرر الأول"

        second.click("input[name=_continue]")
        second.wait_for_url("**/change/")
        stored = Article.objects.get(pk=story.pk)
        assert stored.headline == "عنوان المحرر الأول"
        assert stored.body == "الفقرة الأولى.\n\nفقرة أضافها رئيس التحرير."
    finally:
        first_context.close()
        second_context.close()


def test_it_shows_a_conflict_side_by_side_on_a_desktop(live_server, chromium, people, output_dir):
    story = make_article(
        publish=False,
        headline="مباحثات ايرانية روسية في موسكو",
        body="تباحث نائب وزير الخارجية الايراني مع مسؤولي الخارجية الروسية.",
    )
    url = f"{live_server.url}/desk/articles/article/{story.pk}/change/"
    first_context, first = editor_page(chromium, live_server.url, "editor")
    second_context, second = editor_page(chromium, live_server.url, "chief")
    try:
        first.goto(url)
        second.goto(url)
        first.fill("#id_body", "تباحث نائب وزير الخارجية الايراني مع نظيره الروسي في موسكو.")
        first.click("input[name=_continue]")
        first.wait_for_url("**/change/")
        second.fill("#id_body", "تباحث مساعد وزير الخارجية الايراني مع مسؤولي الخارجية الروسية.")
        second.click("input[name=_continue]")
        second.wait_for_selector("#conflict-body")
        second.screenshot(path=str(output_dir / "conflict-desktop.png"), full_page=True)
        # Merge by hand: keep both changes.
        second.check("input[name=resolve_body][value=hand]")
        merged = "تباحث مساعد وزير الخارجية الايراني مع نظيره الروسي في موسكو."
        second.fill("textarea[name=hand_body]", merged)
        second.click("input[name=_continue]")
        second.wait_for_url("**/change/")
        assert Article.objects.get(pk=story.pk).body == merged
    finally:
        first_context.close()
        second_context.close()


def test_it_withdraws_with_a_reason_and_shows_the_notice(live_server, chromium, people, output_dir):
    story = actions.publish_article(make_article(publish=False, headline="خبر يُسحب"), actor=SYSTEM)
    context, desk = editor_page(chromium, live_server.url, "editor")
    try:
        desk.goto(f"{live_server.url}/desk/articles/article/{story.pk}/change/")
        desk.click("a[href$='/withdraw/']")
        desk.fill("#id_reason", "نُشر الخبر قبل التحقق من مصدره.")
        desk.check("input[name=public]")
        desk.check("input[name=confirm]")
        desk.screenshot(path=str(output_dir / "withdraw-desk.png"), full_page=True)
        desk.click("input[type=submit].default")
        desk.wait_for_url("**/change/")
        assert Article.objects.get(pk=story.pk).status == Status.WITHDRAWN
    finally:
        context.close()
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        reader_context = chromium.new_context(locale="ar", viewport=viewport)
        try:
            reader = reader_context.new_page()
            response = reader.goto(live_server.url + story.get_absolute_url())
            assert response is not None and response.status == 410
            assert "نُشر الخبر قبل التحقق من مصدره." in reader.content()
            reader.screenshot(path=str(output_dir / f"withdrawn-{name}.png"), full_page=True)
        finally:
            reader_context.close()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_an_editor_finds_stories_in_the_desk_list_by_an_arabic_word(
    live_server, chromium, people, output_dir, width
):
    # The desk's list (its rows written in one pass) searched for a word as readers write
    # it: the published stories the search index finds (other forms of the word too), the
    # draft by its text as typed, each row leading to the story.
    older = make_article(headline="ميناء الحديدة يستقبل سفينة", body="وصلت السفينة إلى الميناء.")
    newer = make_article(headline="افتتاح ميناء جديد", body="افتتح الوزير الموانئ الجديدة.")
    draft = make_article(publish=False, headline="مسودة عن الميناء", body="نص لم ينشر.")
    other = make_article(headline="مباراة كرة القدم", body="فاز المنتخب.")
    context, desk = editor_page(
        chromium, live_server.url, "editor", PHONE if width == "phone" else DESKTOP
    )
    try:
        desk.goto(f"{live_server.url}/desk/articles/article/")
        desk.fill("#searchbar", "الميناء")
        desk.press("#searchbar", "Enter")
        desk.wait_for_url("**/?q=*")
        rows = desk.locator("#result_list tbody tr")
        expect(rows).to_have_count(3)
        headlines = rows.locator("th.field-headline a").all_inner_texts()
        assert set(headlines) == {older.headline, newer.headline, draft.headline}
        assert other.headline not in desk.content()
        assert desk.locator("html").get_attribute("dir") == "rtl"
        # Each story's status in Arabic.
        statuses = rows.locator("td.field-status").all_inner_texts()
        assert sorted(statuses) == ["مسودة", "منشور", "منشور"], statuses
        desk.screenshot(path=str(output_dir / f"desk-search-{width}.png"), full_page=True)
        rows.locator("th.field-headline a", has_text=newer.headline).click()
        desk.wait_for_url(f"**/desk/articles/article/{newer.pk}/change/**")
        expect(desk.locator("#id_headline")).to_have_value(newer.headline)
    finally:
        context.close()
