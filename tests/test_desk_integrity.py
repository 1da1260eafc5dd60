"""Two editors in one story, reverts, kills and the actor of every write: nothing is
overwritten silently and nothing moves outside the workflow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html
from reversion.models import Version

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Status
from khabar.site import actors
from khabar.test import SYSTEM, make_article, make_section

pytestmark = pytest.mark.django_db

CHANGE = "/desk/articles/article/{}/change/"


def form_of(client, story):
    """The story form as the desk serves it: every input's value, as a browser posts it."""
    page = html.fromstring(client.get(CHANGE.format(story.pk)).content.decode())
    form = page.get_element_by_id("article_form")
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def posted(client, url, data):
    return client.post(url, data)


def submit_page_form(client, response, choose=None):
    """Post the form of a page (the conflict page) as a browser would, with ``choose``
    overriding inputs (radio choices, hand-merged text)."""
    page = html.fromstring(response.content.decode())
    form = page.xpath("//div[@id='conflict']//form")[0]
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    for name, value in (choose or {}).items():
        data[name] = [value]
    data["_continue"] = ["1"]
    return client.post(form.get("action"), data)


def test_it_never_lets_a_second_editor_overwrite_the_first(client, people):
    """The scenario from the field: A changes the headline, B the body, both from the same
    version; B's save must not bring back the old headline."""
    from django.test import Client

    story = actions.create_article(
        actor=people["editor"],
        section=make_section(),
        headline="العنوان الأصلي",
        dateline_city="طهران",
        dateline_date=make_article(publish=False).dateline_date,
        body="الفقرة الأولى.\n\nالفقرة الثانية.",
        dateline_agency="ارنا",
    )
    first, second = Client(), Client()
    first.force_login(people["editor"])
    second.force_login(people["chief"])
    form_a, form_b = form_of(first, story), form_of(second, story)

    form_a["headline"] = ["عنوان المحرر الأول"]
    assert first.post(CHANGE.format(story.pk), {**form_a, "_save": "1"}).status_code == 302

    form_b["body"] = ["الفقرة الأولى.\n\nفقرة كتبها المحرر الثاني."]
    response = second.post(CHANGE.format(story.pk), {**form_b, "_save": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert 'dir="rtl"' in page and "لم يُستبدل شيء" in page
    story.refresh_from_db()
    assert story.headline == "عنوان المحرر الأول"
    assert story.body == "الفقرة الأولى.\n\nالفقرة الثانية."

    # Only one side changed each field: the page merged them; saving keeps both edits.
    assert submit_page_form(second, response).status_code == 302
    story.refresh_from_db()
    assert story.headline == "عنوان المحرر الأول"
    assert story.body == "الفقرة الأولى.\n\nفقرة كتبها المحرر الثاني."


def test_it_shows_a_real_conflict_and_saves_the_hand_merge(client, people):
    from django.test import Client

    story = make_article(publish=False, body="نص أصلي.")
    first, second = Client(), Client()
    first.force_login(people["editor"])
    second.force_login(people["chief"])
    form_a, form_b = form_of(first, story), form_of(second, story)
    form_a["body"] = ["نص المحرر الأول."]
    assert first.post(CHANGE.format(story.pk), form_a).status_code == 302
    form_b["body"] = ["نص المحرر الثاني."]
    response = second.post(CHANGE.format(story.pk), form_b)
    assert response.status_code == 409
    tree = html.fromstring(response.content.decode())
    conflict = tree.get_element_by_id("conflict-body")
    text = conflict.text_content()
    assert "نص أصلي." in text  # the original
    assert "الأول" in text and "الثاني" in text  # theirs and mine, word by word
    assert conflict.xpath(".//ins") and conflict.xpath(".//del")
    # Mine is kept in the page: the hand box starts from it.
    assert conflict.xpath(".//textarea[@name='hand_body']")[0].text == "نص المحرر الثاني."
    merged = "نص المحرر الأول، ونص المحرر الثاني."
    done = submit_page_form(second, response, {"resolve_body": "hand", "hand_body": merged})
    assert done.status_code == 302
    assert Article.objects.get(pk=story.pk).body == merged


def test_it_refuses_a_form_without_the_revision_it_started_from(client, people):
    story = make_article(publish=False, headline="قديم")
    client.force_login(people["editor"])
    data = form_of(client, story)
    data.pop("base_revision")
    data["headline"] = ["جديد"]
    assert client.post(CHANGE.format(story.pk), data).status_code == 409
    assert Article.objects.get(pk=story.pk).headline == "قديم"


def test_it_refuses_a_stale_save_through_the_actions(people):
    story = make_article(publish=False)
    base = story.revision
    actions.update_article(story, actor=people["editor"], base_revision=base, headline="أ")
    with pytest.raises(actions.EditConflict) as caught:
        actions.update_article(story, actor=people["chief"], base_revision=base, headline="ب")
    assert caught.value.current.headline == "أ"
    assert Article.objects.get(pk=story.pk).headline == "أ"


def test_it_refuses_a_workflow_step_taken_on_an_old_version(people):
    story = actions.submit_article(make_article(publish=False), actor=SYSTEM)
    base = story.revision
    actions.update_article(story, actor=people["chief"], base_revision=base, headline="عنوان آخر")
    with pytest.raises(actions.EditConflict):
        actions.publish_article(story, actor=people["editor"], base_revision=base)
    assert Article.objects.get(pk=story.pk).status == Status.SUBMITTED


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["headline", "summary", "byline"]), st.integers(0, 3)),
        min_size=2,
        max_size=12,
    )
)
def test_it_loses_no_accepted_edit_whatever_the_interleaving(people, steps):
    """Editors save whole forms (as the desk does) from snapshots of various ages; an
    accepted save is never undone by a later one that did not see it."""
    story = make_article(publish=False, headline="h", summary="s", byline="b")
    snapshots = [Article.objects.get(pk=story.pk)]
    last_accepted: dict[str, str] = {}
    for n, (name, age) in enumerate(steps):
        snap = snapshots[max(0, len(snapshots) - 1 - age)]
        form = {f: getattr(snap, f) for f in ("headline", "summary", "byline")}
        form[name] = f"{name}-{n}"
        try:
            actions.update_article(
                story, actor=people["editor"], base_revision=snap.revision, **form
            )
        except actions.EditConflict:
            continue
        last_accepted[name] = form[name]
        snapshots.append(Article.objects.get(pk=story.pk))
    final = Article.objects.get(pk=story.pk)
    for name, value in last_accepted.items():
        assert getattr(final, name) == value


# Revert restores content only, through the actions ---------------------------------------


def _first_version(story):
    return Version.objects.get_for_object(story).order_by("pk").first()


def test_it_refuses_a_reporters_revert_of_a_published_story(client, people):
    story = actions.create_article(
        actor=people["reporter"],
        section=make_section(),
        headline="مسودة المراسل",
        dateline_city="طهران",
        dateline_date=make_article(publish=False).dateline_date,
        body="نص.",
    )
    story = actions.publish_article(story, actor=people["editor"])
    first = _first_version(story)
    client.force_login(people["reporter"])
    url = f"/desk/articles/article/{story.pk}/history/{first.pk}/"
    assert client.post(url, {"base_revision": story.revision}).status_code in (403, 404)
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED
    with pytest.raises((PermissionDenied, Http404)):
        actions.revert_article(
            story, actor=people["reporter"], version=first, base_revision=story.revision
        )


def test_it_never_brings_a_withdrawn_story_back_by_reverting(client, people):
    story = make_article(headline="قبل السحب")
    published = Version.objects.get_for_object(story).order_by("-pk").first()
    story = actions.withdraw_article(story, actor=people["editor"], reason="خطأ في المصدر")
    client.force_login(people["editor"])
    url = f"/desk/articles/article/{story.pk}/history/{published.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    client.post(url, {"base_revision": story.revision})
    story.refresh_from_db()
    assert story.status == Status.WITHDRAWN
    assert not Article.objects.published().filter(pk=story.pk).exists()


def test_it_reverts_copy_as_an_edit_with_audit_and_revision(client, people):
    story = make_article(publish=False, headline="العنوان الأول")
    first = _first_version(story)
    story = actions.update_article(
        story, actor=people["editor"], base_revision=story.revision, headline="العنوان الثاني"
    )
    client.force_login(people["editor"])
    url = f"/desk/articles/article/{story.pk}/history/{first.pk}/"
    page = client.get(url).content.decode()
    assert "<del>" in page and "<ins>" in page  # the difference is shown before confirming
    assert client.post(url, {"base_revision": story.revision}).status_code == 302
    story.refresh_from_db()
    assert story.headline == "العنوان الأول"
    assert story.status == Status.DRAFT
    assert AuditEntry.objects.filter(article=story, action="revert").exists()


# Kills ask for a reason; restoring one is the chief's ------------------------------------


def test_it_asks_for_a_reason_and_a_confirmation_to_withdraw(client, people):
    story = make_article()
    client.force_login(people["editor"])
    url = f"/desk/articles/article/{story.pk}/withdraw/"
    assert client.post(url, {"reason": "", "confirm": "yes"}).status_code == 400
    assert client.post(url, {"reason": "خطأ"}).status_code == 400
    assert Article.objects.get(pk=story.pk).status == Status.PUBLISHED
    assert client.post(url, {"reason": "خطأ في الرقم", "confirm": "yes"}).status_code == 302
    story.refresh_from_db()
    assert story.status == Status.WITHDRAWN
    assert story.withdrawal_reason == "خطأ في الرقم" and not story.withdrawal_reason_public
    with pytest.raises(actions.WorkflowError):
        actions.withdraw_article(make_article(), actor=people["editor"], reason="  ")


def test_it_lets_only_the_chief_restore_a_withdrawn_story(client, people):
    story = actions.withdraw_article(make_article(), actor=people["editor"], reason="خطأ")
    version = story.version
    client.force_login(people["editor"])
    url = f"/desk/articles/article/{story.pk}/restore/"
    assert client.post(url, {"reason": "خطأ منّا", "confirm": "yes"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.restore_article(story, actor=people["editor"], reason="x")
    client.force_login(people["chief"])
    assert client.post(url, {"reason": "سُحب خطأً", "confirm": "yes"}).status_code == 302
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED and story.version == version + 1
    assert AuditEntry.objects.filter(article=story, action="restore", user=people["chief"])


# Every write names its actor ---------------------------------------------------------------


def test_it_refuses_a_write_without_an_actor(people):
    story = make_article(publish=False)
    section = make_section()
    with pytest.raises(PermissionDenied):
        actions.create_article(
            actor=None,
            section=section,
            headline="x",
            dateline_city="x",
            dateline_date=story.dateline_date,
            body="x",
        )
    with pytest.raises(PermissionDenied):
        actions.publish_article(story, actor=None)
    with pytest.raises(PermissionDenied):
        actions.update_article(story, actor=None, base_revision=story.revision, headline="x")


def test_it_names_the_system_actor_in_the_audit_log(people):
    story = make_article(publish=False)
    actions.publish_article(story, actor=people["editor"], at=None)
    entry = AuditEntry.objects.filter(article=story, action="publish").get()
    assert entry.user == people["editor"] and entry.actor == ""
    scheduled = make_article(publish=False)
    import datetime

    from django.utils import timezone

    soon = timezone.now() + datetime.timedelta(minutes=1)
    actions.publish_article(scheduled, actor=people["editor"], at=soon)
    actions.publish_due_articles(now=soon + datetime.timedelta(seconds=1))
    entry = AuditEntry.objects.filter(article=scheduled, action="publish").get()
    assert entry.user is None and entry.actor == "system:scheduler"


def test_it_keeps_the_scheduler_to_publishing(people):
    story = make_article()
    with pytest.raises(PermissionDenied):
        actions.withdraw_article(story, actor=actors.SCHEDULER, reason="x")


# Presence -----------------------------------------------------------------------------------


def test_it_shows_who_else_has_the_story_open(people):
    from django.test import Client

    story = make_article(publish=False)
    first, second = Client(), Client()
    first.force_login(people["editor"])
    second.force_login(people["chief"])
    first.get(CHANGE.format(story.pk))
    page = second.get(CHANGE.format(story.pk)).content.decode()
    assert "editor" in html.fromstring(page).get_element_by_id("presence").text_content()
    ping = f"/desk/articles/article/{story.pk}/presence/"
    answer = first.post(ping, {"revision": story.revision}).json()
    assert answer["others"] == ["chief"] and answer["saved_since"] is None
    actions.update_article(
        story, actor=people["chief"], base_revision=story.revision, headline="تغيّر"
    )
    answer = first.post(ping, {"revision": story.revision}).json()
    assert "chief" in answer["saved_since"]["message"]
    assert "private" in first.post(ping, {"revision": 1})["Cache-Control"]


# The newsroom's clock ------------------------------------------------------------------------


def test_it_shows_and_takes_times_in_the_editions_zone(client, people):
    import datetime

    from django.utils import timezone

    story = make_article(
        headline="خبر في منتصف الليل",
        published_at=datetime.datetime(2026, 12, 2, 21, 0, tzinfo=datetime.UTC),
    )
    client.force_login(people["editor"])
    listing = client.get("/desk/articles/article/").content.decode()
    # 21:00 UTC is 00:30 the next day in Tehran (+03:30), said as such in the column.
    assert "3 كانون الأول /ديسمبر 2026 00:30" in listing
    assert "بتوقيت طهران" in listing
    form = client.get(CHANGE.format(story.pk)).content.decode()
    assert "بتوقيت طهران" in form

    draft = make_article(publish=False)
    later = timezone.now().year + 1
    client.post(
        f"/desk/articles/article/{draft.pk}/workflow/",
        {"step": "publish", "at": f"{later}-01-05T10:00", "base_revision": draft.revision},
    )
    draft.refresh_from_db()
    # Typed 10:00 in the desk means 10:00 in Tehran: 06:30 UTC.
    assert draft.status == Status.SCHEDULED
    assert draft.published_at == datetime.datetime(later, 1, 5, 6, 30, tzinfo=datetime.UTC)


def test_it_starts_a_new_story_today_with_the_editions_agency(client, people):
    client.force_login(people["reporter"])
    page = html.fromstring(client.get("/desk/articles/article/add/").content.decode())
    assert page.get_element_by_id("id_dateline_agency").get("value") == "ارنا"
    assert page.get_element_by_id("id_dateline_date").get("value")
