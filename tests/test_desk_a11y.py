"""The desk's main pages through axe-core's WCAG 2.2 A and AA rules, in Arabic, in real
Chromium: the queue (/desk/), the story list, a story's change page (as an editor) and the
comment queue (as a moderator, whose it is)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from test_a11y import axe

from khabar.comments import actions as comment_actions
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Django's admin markup that khabar does not own, each excluded narrowly, with why:
#: the many-to-many chooser (SelectFilter2.js, built in the browser) puts an aria-label on
#: a plain <span> help icon; its title still says the same and the inputs have labels.
DJANGO_ADMIN = [".selector .help-tooltip"]


def desk_page(chromium, base: str, username: str, scheme: str):
    context = chromium.new_context(
        locale="ar", viewport={"width": 1280, "height": 900}, bypass_csp=True, color_scheme=scheme
    )
    page = context.new_page()
    page.goto(base + "/desk/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-Pass-1234!")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/desk/")
    return context, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_finds_no_wcag_violation_on_the_desk(scheme, live_server, chromium, people, output_dir):
    section = make_section()
    story = make_article(section=section, headline="زلزال قوي يضرب شمال البلاد")
    make_article(section=section, publish=False, headline="مسودة عن الانتخابات")
    for n in range(3):
        comment_actions.post_comment(
            story.thread_key, actor=AnonymousUser(), author="أحمد", text=f"تعليق رقم {n}"
        )
    pages = {
        "editor": {
            "queue": "/desk/",
            "stories": "/desk/articles/article/",
            "change": f"/desk/articles/article/{story.pk}/change/",
        },
        "moderator": {"comments": "/desk/comments/comment/?queue=pending"},
    }
    found = {}
    for username, paths in pages.items():
        context, page = desk_page(chromium, live_server.url, username, scheme)
        try:
            for name, path in paths.items():
                page.goto(live_server.url + path)
                page.screenshot(path=str(output_dir / f"{name}.png"), full_page=True)
                violations = axe(page, exclude=DJANGO_ADMIN)
                if violations:
                    found[name] = violations
        finally:
            context.close()
    (output_dir / "axe.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
