"""The story page's fresh render (issue 19): what its fragments share between readers, what
they are keyed by, and the few reads a render makes; what is shared never shows stale."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.template import Context, Template
from django.utils.safestring import mark_safe

from khabar.articles.models import Section
from khabar.comments.actions import post_comment, reject_comment
from khabar.comments.models import Comment
from khabar.site import pagecache
from khabar.site.cache import Shared
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fragments(settings, tmp_path):
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()
    pagecache.reset_store()


@pytest.fixture
def thread():
    """A story open to comments with three of them, the second a reply to the first."""
    story = make_article(comment_policy="post")
    first = post_comment(
        story.thread_key, actor=AnonymousUser(), author="سارة", text="التعليق الأول"
    ).comment
    second = post_comment(
        story.thread_key,
        actor=AnonymousUser(),
        author="علي",
        text="الرد على الأول",
        parent_id=first.pk,
    ).comment
    third = post_comment(
        story.thread_key, actor=AnonymousUser(), author="مريم", text="التعليق الثالث"
    ).comment
    return story, [first, second, third]


def comment_renders(response) -> int:
    return [t.name for t in response.templates].count("comments/_comment.html")


def share_keys(response) -> dict[int, str]:
    """Each comment's ``share_key`` in the thread the page rendered."""
    thread = next(c for c in response.context if "honeypot" in c)
    return {item.node.comment.pk: item.share_key for item in thread["items"] if item.node}


def test_a_comment_that_changes_is_rendered_again_and_the_others_are_reused(
    client, thread, people, django_capture_on_commit_callbacks
):
    story, comments = thread
    url = story.get_absolute_url()
    first = client.get(url)
    assert comment_renders(first) == 3
    assert all(c.text in first.content.decode() for c in comments)
    with django_capture_on_commit_callbacks(execute=True):
        # Purges the story's pages: the thread renders again.
        reject_comment(comments[0], actor=people["moderator"])
    after = client.get(url)
    page = after.content.decode()
    assert comments[0].text not in page and 'class="comment__tombstone"' in page
    assert comments[1].text in page and comments[2].text in page
    # The two unchanged comments came from the cache; only the removed one's tombstone
    # (its row changed) was rendered.
    assert comment_renders(after) == 1


def test_a_reader_with_a_session_or_tokens_shares_nothing(client, thread):
    story, comments = thread
    client.get(story.get_absolute_url())  # fills the shared fragments
    client.cookies["khabar_reader"] = "r-0001"
    response = client.get(story.get_absolute_url())
    assert comment_renders(response) == len(comments)
    assert share_keys(response) and not any(share_keys(response).values())


def test_the_comment_a_reply_form_is_open_under_is_never_shared(client, thread):
    story, comments = thread
    response = client.get(f"{story.get_absolute_url()}?reply={comments[0].pk}")
    keys = share_keys(response)
    assert keys[comments[0].pk] == ""
    assert keys[comments[1].pk] and keys[comments[2].pk]
    page = response.content.decode()
    own = page.index(f'id="comment-{comments[0].pk}"')
    assert own < page.index('id="comment-form"') < page.index(f'id="comment-{comments[1].pk}"')


def test_a_comment_is_keyed_by_everything_it_shows(client, thread):
    story, comments = thread
    before = share_keys(client.get(story.get_absolute_url()))
    Comment.objects.filter(pk=comments[1].pk).update(likes=3)
    pagecache.purge_keys([f"a:{story.pk}"])
    response = client.get(story.get_absolute_url())
    after = share_keys(response)
    assert after[comments[1].pk] != before[comments[1].pk]
    assert after[comments[0].pk] == before[comments[0].pk]
    assert comment_renders(response) == 1


def test_a_story_page_reads_the_purge_generations_in_few_queries(client, monkeypatch):
    story = make_article()
    client.get(story.get_absolute_url())
    calls = []
    store = pagecache.store()
    original = store.generations
    monkeypatch.setattr(store, "generations", lambda tags: calls.append(tags) or original(tags))
    assert client.get(story.get_absolute_url()).status_code == 200
    # The story, its fragments' other tags (as last seen) in one; the urgent ticker's.
    assert len(calls) <= 2
    assert f"a:{story.pk}" in calls[0] and f"s:{story.section_id}" in calls[0]


def test_a_purge_during_a_request_is_seen_by_its_later_stamps():
    token = pagecache._request_generations.set({})
    try:
        before = pagecache.stamp(["a:1"])
        assert pagecache.stamp(["a:1"]) == before
        pagecache.purge_keys(["a:1"])
        assert pagecache.stamp(["a:1"]) != before
    finally:
        pagecache._request_generations.reset(token)


def test_the_fragment_cache_keeps_text_as_it_is_and_copies_the_rest():
    cache = caches["fragments"]
    html = mark_safe("<p>خبر</p>")
    cache.set("text", html)
    assert cache.get("text") is html
    cache.set("data", {"ids": [1]})
    cache.get("data")["ids"].append(2)
    assert cache.get("data") == {"ids": [1]}
    story = make_article(headline="العنوان")
    cache.set("story", Shared(story))
    mine = cache.get("story").copy()
    mine.headline = "تغيير"
    assert cache.get("story").copy().headline == "العنوان"
    assert cache.add("text", "x") is False and cache.add("other", "x") is True
    cache.set("count", 1)
    assert cache.incr("count") == 2
    with pytest.raises(TypeError):
        cache.incr("text")


def test_static_url_answers_as_the_static_tag_does(settings):
    template = Template(
        "{% load khabar static %}{% static_url 'khabar/site.css' %}|{% static 'khabar/site.css' %}"
    )
    remembered, asked = template.render(Context()).split("|")
    assert remembered == asked
    settings.STATIC_URL = "/assets/"
    remembered, asked = template.render(Context()).split("|")
    assert remembered == asked and remembered.startswith("/assets/")


def test_each_list_page_links_its_own_feeds(client):
    world = make_section(slug="world", name="دولي")
    economy = make_section(slug="economy", name="اقتصاد")
    make_article(section=world)
    make_article(section=economy)
    page = client.get(world.get_absolute_url()).content.decode()
    assert 'title="دولي (RSS)"' in page and "اقتصاد (RSS)" not in page
    assert 'title="اقتصاد (RSS)"' in client.get(economy.get_absolute_url()).content.decode()
    Section.objects.filter(pk=world.pk).update(name="العالم")
    assert 'title="العالم (RSS)"' in client.get(world.get_absolute_url()).content.decode()
