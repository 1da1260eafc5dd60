"""The desk home: the newsroom's queue per edition and role, spiking, flashes, charts."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Article, AuditEntry, Status, Urgency
from khabar.comments import actions as comment_actions
from khabar.desk import actions as desk_actions
from khabar.desk import charts
from khabar.desk.queue import queues_for
from khabar.test import SYSTEM, make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]


def incoming(headline="خبر وارد", **fields):
    story = make_article(publish=False, headline=headline, **fields)
    Article.objects.filter(pk=story.pk).update(source_id=f"wire:{story.pk}")
    return actions.submit_article(Article.objects.get(pk=story.pk), actor=SYSTEM)


def test_it_is_the_first_page_after_sign_in(client, people):
    client.force_login(people["editor"])
    page = client.get("/desk/").content.decode()
    assert 'id="desk-queues"' in page
    assert "مكتب التحرير" in page


def test_it_shows_an_editor_incoming_copy_and_submissions_oldest_first(client, people):
    older = incoming("وارد قديم")
    newer = incoming("وارد جديد")
    Article.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    filed = make_article(publish=False, headline="من مراسل")
    actions.submit_article(filed, actor=SYSTEM)
    queues = {q.key: q for q in queues_for(people["editor"])}
    assert [a.headline for a in queues["incoming"].items] == [older.headline, newer.headline]
    assert queues["incoming"].count == 2 and queues["incoming"].by_edition == {"ar": 2}
    assert [a.headline for a in queues["submitted"].items] == ["من مراسل"]
    client.force_login(people["editor"])
    page = client.get("/desk/queue/").content.decode()
    assert page.index("وارد قديم") < page.index("وارد جديد")


def test_it_puts_urgent_items_first_and_marks_them(client, people):
    incoming("عادي")
    incoming("عاجل جدا", urgency=Urgency.URGENT)
    queue = {q.key: q for q in queues_for(people["editor"])}["incoming"]
    assert queue.items[0].headline == "عاجل جدا" and queue.urgent == 1
    client.force_login(people["editor"])
    assert "is-urgent" in client.get("/desk/").content.decode()


def test_it_limits_the_queue_to_one_edition(people):
    incoming("عربي")
    incoming("Persian one", section=make_section("fa", "world", "جهان"), lang="fa")
    queues = {q.key: q for q in queues_for(people["editor"], edition="fa")}
    assert [a.headline for a in queues["incoming"].items] == ["Persian one"]


def test_it_shows_each_role_its_own_queues(people):
    keys = {role: {q.key for q in queues_for(people[role])} for role in people}
    assert keys["reporter"] == {"mine", "mine-submitted"}
    assert keys["moderator"] == {"comments-pending", "comments-reported"}
    assert {"incoming", "submitted", "scheduled", "published"} <= keys["editor"]
    assert "comments-pending" not in keys["editor"]
    assert {"incoming", "comments-pending"} <= keys["chief"]


def test_it_tells_a_reporter_what_came_back(client, people):
    client.force_login(people["reporter"])
    story = actions.create_article(
        actor=people["reporter"],
        section=make_section(),
        headline="مسودتي",
        dateline_city="طهران",
        dateline_date=datetime.date(2023, 10, 26),
        body="نص.",
    )
    actions.submit_article(story, actor=people["reporter"])
    actions.return_article(Article.objects.get(pk=story.pk), actor=people["editor"], note="أعد")
    page = client.get("/desk/").content.decode()
    assert "مسودتي" in page and "queue-mine" in page
    assert "queue-incoming" not in page


def test_it_spikes_and_restores_incoming_copy_with_an_audit_entry(client, people):
    story = incoming()
    client.force_login(people["editor"])
    client.post(f"/desk/story/{story.pk}/spike/")
    story.refresh_from_db()
    assert story.spiked_at is not None and story.status == Status.SUBMITTED
    assert {q.key: q for q in queues_for(people["editor"])}["incoming"].count == 0
    with pytest.raises(actions.WorkflowError):
        desk_actions.spike_article(story, actor=people["editor"])
    client.post(f"/desk/story/{story.pk}/unspike/")
    story.refresh_from_db()
    assert story.spiked_at is None
    entries = AuditEntry.objects.filter(article=story, action__in=["spike", "unspike"])
    assert [(e.action, e.user) for e in entries] == [
        ("spike", people["editor"]),
        ("unspike", people["editor"]),
    ]


def test_it_keeps_reporters_from_spiking(client, people):
    story = incoming()
    client.force_login(people["reporter"])
    assert client.post(f"/desk/story/{story.pk}/spike/").status_code == 403
    assert Article.objects.get(pk=story.pk).spiked_at is None


def test_it_publishes_from_the_queue_in_one_click(client, people):
    story = incoming()
    client.force_login(people["editor"])
    client.post(f"/desk/story/{story.pk}/publish/", {"base_revision": story.revision})
    story.refresh_from_db()
    assert story.status == Status.PUBLISHED and story.published_by == people["editor"]


def test_it_publishes_a_flash_that_leads_the_home_page_and_ticker(client, people):
    section = make_section()
    make_article(headline="خبر سابق")
    client.force_login(people["editor"])
    response = client.post(
        "/desk/flash/",
        {"headline": "عاجل: زلزال في طهران", "dateline_city": "طهران", "section": section.pk},
    )
    assert response.status_code == 302
    flash = Article.objects.get(headline="عاجل: زلزال في طهران")
    assert flash.status == Status.PUBLISHED and flash.urgency == Urgency.FLASH
    assert flash.dateline_agency == "ارنا" and flash.created_by == people["editor"]
    client.logout()
    home = client.get("/ar/").content.decode()
    assert 'class="ticker"' in home
    assert home.index("عاجل: زلزال في طهران") < home.index("خبر سابق")


def test_it_moderates_a_comment_from_the_queue(client, people):
    story = make_article()
    comment = comment_actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="قارئ", text="تعليق ينتظر"
    ).comment
    assert comment.status == "pending"
    client.force_login(people["moderator"])
    assert "تعليق ينتظر" in client.get("/desk/").content.decode()
    client.post(f"/desk/comment/{comment.pk}/approve/")
    comment.refresh_from_db()
    assert comment.status == "approved" and comment.moderated_by == people["moderator"]
    assert "تعليق ينتظر" not in client.get("/desk/queue/").content.decode()


def test_it_draws_the_last_day_as_svg_without_script(client, people):
    make_article(headline="منشور")
    actions.publish_article(make_article(publish=False), actor=SYSTEM)
    now = timezone.now()
    counts = charts.hourly(
        [now - datetime.timedelta(minutes=5), now - datetime.timedelta(hours=30)], now
    )
    assert counts[-1] == 1 and sum(counts) == 1
    chart = charts.bars([0, 2, 1], now, rtl=True)
    assert chart.bars[0].x > chart.bars[-1].x and chart.peak == 2
    client.force_login(people["chief"])
    page = client.get("/desk/").content.decode()
    assert page.count('class="desk-spark"') == 5  # three editions, comments posted, moderated


def test_it_says_which_clock_the_queue_shows(client, people):
    client.force_login(people["editor"])
    assert "بتوقيت طهران" in client.get("/desk/").content.decode()
