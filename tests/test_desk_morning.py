"""A newsroom morning in real Chromium: a reporter files, an editor sees it arrive on the desk
home without reloading, edits and publishes it; wire files are uploaded with one bad file
among them; an urgent flash reaches the reader home and ticker; a moderator clears the
comment queue. Screenshots of the desk home, the import page and the compare page, on a
desktop and a phone, go to var/test-output."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from playwright.sync_api import expect

from khabar.articles.models import Article, Status, Urgency
from khabar.comments import actions as comment_actions
from khabar.comments.models import Comment
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

GOOD_WIRE = (
    "مباحثات ايرانية روسية في موسكو\n\n"
    "موسكو / 26 تشرين الاول /اكتوبر/ارنا- تباحث نائب وزير الخارجية الايراني مع مسؤولين روس.\n"
    "وشكر موسكو على تحركاتها في الأمم المتحدة في مواجهة جهود الهيمنة الأميركية في المنطقة "
    "ودعا إلى خطوات ثنائية.\n\n"
    "انتهى ** 2342\n"
)
BAD_WIRE = "عنوان بلا نهاية\n\nموسكو / 26 تشرين الاول /اكتوبر/ارنا- نص الخبر.\n\nانتهى\n"


def sign_in(chromium, base: str, username: str, viewport=DESKTOP):
    context = chromium.new_context(locale="ar", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/desk/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-Pass-1234!")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/desk/")
    return context, page


def test_it_runs_a_newsroom_morning(live_server, chromium, people, output_dir):
    base = live_server.url
    section = make_section()
    make_article(headline="خبر الأمس المنشور")
    story_for_comments = make_article(headline="خبر عليه تعليقات")
    for text in ("تعليق أول ينتظر", "تعليق ثان ينتظر"):
        comment_actions.post_comment(
            story_for_comments.thread_key, actor=AnonymousUser(), author="قارئ", text=text
        )
    editor_context, editor = sign_in(chromium, base, "editor")
    reporter_context, reporter = sign_in(chromium, base, "reporter", PHONE)
    moderator_context, moderator = sign_in(chromium, base, "moderator", PHONE)
    try:
        # The editor's desk home is open; the reporter files and submits a story.
        expect(editor.locator("#queue-submitted")).to_be_visible()
        reporter.goto(base + "/desk/articles/article/add/")
        reporter.select_option("#id_section", str(section.pk))
        reporter.fill("#id_headline", "مراسلنا: افتتاح معرض الكتاب في طهران")
        reporter.fill("#id_dateline_city", "طهران")
        reporter.fill("#id_body", "افتتح معرض الكتاب صباح اليوم.\n\nويستمر عشرة أيام.")
        reporter.click("input[name=_continue]")
        reporter.wait_for_url("**/change/")
        reporter.click("button[value=submit]")
        expect(reporter.locator(".messagelist .success")).to_be_visible()
        story = Article.objects.get(headline__startswith="مراسلنا")
        assert story.status == Status.SUBMITTED

        # It appears on the editor's desk home without a reload.
        expect(editor.locator("#queue-submitted")).to_contain_text("مراسلنا", timeout=15_000)
        editor.screenshot(path=str(output_dir / "desk-home-desktop.png"), full_page=True)

        # The editor opens it, edits the headline, saves and publishes.
        editor.locator("#queue-submitted a", has_text="مراسلنا").click()
        editor.wait_for_url("**/change/")
        editor.fill("#id_headline", "افتتاح معرض طهران الدولي للكتاب")
        editor.click("input[name=_continue]")
        editor.wait_for_url("**/change/")
        editor.click("button[value=publish]")
        expect(editor.locator(".messagelist .success")).to_be_visible()
        story.refresh_from_db()
        assert story.status == Status.PUBLISHED
        assert story.headline == "افتتاح معرض طهران الدولي للكتاب"

        # Compare: the headline word by word, right-to-left.
        editor.goto(f"{base}/desk/articles/article/{story.pk}/compare/")
        expect(editor.locator("#diff-headline ins").first).to_be_visible()
        expect(editor.locator("#diff-headline")).to_contain_text("معرض")
        expect(editor.locator("#diff-status")).to_be_visible()
        editor.screenshot(path=str(output_dir / "compare-desktop.png"), full_page=True)

        # Wire files, one bad among them: nothing is imported, the error names file and line.
        editor.goto(base + "/desk/import/")
        editor.set_input_files(
            "#id_files",
            [
                {"name": "moscow.txt", "mimeType": "text/plain", "buffer": GOOD_WIRE.encode()},
                {"name": "broken.txt", "mimeType": "text/plain", "buffer": BAD_WIRE.encode()},
            ],
        )
        editor.click(".desk-import-form input[type=submit]")
        errors = editor.locator("#wire-errors")
        expect(errors).to_contain_text("broken.txt")
        expect(errors).to_contain_text("5")
        assert not Article.objects.filter(source_id__startswith="wire:").exists()
        editor.screenshot(path=str(output_dir / "import-desktop.png"), full_page=True)
        editor.set_input_files(
            "#id_files",
            [{"name": "moscow.txt", "mimeType": "text/plain", "buffer": GOOD_WIRE.encode()}],
        )
        editor.click(".desk-import-form input[type=submit]")
        editor.wait_for_url(base + "/desk/")
        expect(editor.locator("#queue-incoming")).to_contain_text("مباحثات ايرانية روسية")
        wire_story = Article.objects.get(source_id__startswith="wire:")
        assert wire_story.body.count("\n\n") == 1  # two lines, two paragraphs

        # An urgent flash leads the reader home and the ticker at once.
        editor.fill("#id_headline", "عاجل: زلزال بقوة 5 درجات يضرب جنوب إيران")
        editor.fill("#id_dateline_city", "طهران")
        editor.select_option("#id_section", str(section.pk))
        editor.click(".desk-flash button[type=submit]")
        expect(editor.locator(".messagelist .success")).to_be_visible()
        flash = Article.objects.get(urgency=Urgency.FLASH)
        assert flash.status == Status.PUBLISHED
        reader = editor_context.new_page()
        reader.goto(base + "/ar/")
        expect(reader.locator(".ticker")).to_contain_text("زلزال")
        lead = reader.locator("main a", has_text="زلزال").first
        expect(lead).to_be_visible()
        reader.close()

        # The moderator clears the comment queue from the desk home.
        moderator.reload()
        queue = moderator.locator("#queue-comments-pending")
        expect(queue).to_contain_text("تعليق أول ينتظر")
        moderator.screenshot(path=str(output_dir / "desk-home-moderator-phone.png"), full_page=True)
        for _ in range(2):
            queue.locator("button[formaction$='/approve/']").first.click()
            moderator.wait_for_load_state()
        expect(moderator.locator("#queue-comments-pending .desk-empty")).to_be_visible()
        assert not Comment.objects.filter(status="pending").exists()

        # The same pages on a phone.
        phone_context, phone = sign_in(chromium, base, "chief", PHONE)
        phone.screenshot(path=str(output_dir / "desk-home-phone.png"), full_page=True)
        phone.goto(f"{base}/desk/articles/article/{story.pk}/compare/")
        phone.screenshot(path=str(output_dir / "compare-phone.png"), full_page=True)
        phone.goto(base + "/desk/import/")
        phone.fill("#id_text", BAD_WIRE)
        phone.click(".desk-import-form input[type=submit]")
        expect(phone.locator("#wire-errors")).to_be_visible()
        phone.screenshot(path=str(output_dir / "import-phone.png"), full_page=True)
        phone.goto(f"{base}/desk/articles/article/{story.pk}/change/")
        phone.screenshot(path=str(output_dir / "story-form-phone.png"), full_page=True)
        editor.goto(f"{base}/desk/articles/article/{story.pk}/change/")
        editor.screenshot(path=str(output_dir / "story-form-desktop.png"), full_page=True)
        phone_context.close()
    finally:
        editor_context.close()
        reporter_context.close()
        moderator_context.close()
