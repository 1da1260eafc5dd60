"""The story page's fresh render (issue 19): what its fragments share between readers, what
they are keyed by, and the few reads a render makes; what is shared never shows stale."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.http import HttpResponse
from django.template import Context, Template
from django.utils.safestring import mark_safe

from khabar.articles.models import Section
from khabar.comments.actions import post_comment, reject_comment
from khabar.comments.models import Comment
from khabar.site import pagecache, splice
from khabar.site.cache import Shared
from khabar.site.splice import Kept
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
    # The story's, and as last seen its fragments' other tags and the urgent ticker's: one.
    assert len(calls) == 1
    assert {f"a:{story.pk}", f"s:{story.section_id}", f"k:{story.lang}"} <= set(calls[0])


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


def masked(body: bytes) -> bytes:
    """A page with the comment form's signed time stamp (drawn per render) masked."""
    return re.sub(rb'(name="stamp" value=")[^"]*"', rb'\1-"', body)


def test_a_page_put_together_from_kept_fragments_is_the_page_rendered_whole(
    client, settings, thread
):
    story, _comments = thread
    url = story.get_absolute_url()
    cold = client.get(url)  # the fragments rendered and kept
    warm = client.get(url)  # the page put together from their bytes
    settings.KHABAR_FRAGMENT_CACHE = False
    whole = client.get(url)  # nothing kept: rendered whole, as a reader with a session is
    assert masked(warm.content) == masked(cold.content) == masked(whole.content)
    assert warm["ETag"] and whole["ETag"]
    kept = [v for v in caches["fragments"]._cache.values() if isinstance(v, Kept)]
    assert kept and not any("\ufdd0" in k.text for k in kept)


def test_a_page_put_together_from_kept_fragments_changes_its_etag_with_them(client, thread):
    story, _comments = thread
    url = story.get_absolute_url()
    before = client.get(url)["ETag"]
    assert client.get(url)["ETag"] == before
    post_comment(story.thread_key, actor=AnonymousUser(), author="هدى", text="تعليق جديد")
    pagecache.purge_keys([f"a:{story.pk}"])
    after = client.get(url)
    assert "تعليق جديد" in after.content.decode() and after["ETag"] != before


def test_a_kept_fragment_is_its_bytes_in_a_page_and_its_text_anywhere_else():
    kept = Kept("<p>خبر</p>")
    assert splice.place(kept) == "<p>خبر</p>"

    def page(fragment: Kept) -> str:
        return "<div>" + splice.place(fragment) + "عاجل</div>"

    body, etag = splice.render_to_bytes(lambda: page(kept))
    assert body == "<div><p>خبر</p>عاجل</div>".encode()
    assert splice.render_to_bytes(lambda: page(Kept("<p>خبر</p>")))[1] == etag
    assert splice.render_to_bytes(lambda: page(Kept("<p>خبرٌ</p>")))[1] != etag
    with splice.unplaced():
        assert splice.place(kept) == "<p>خبر</p>"


def test_a_body_changed_after_the_page_was_put_together_gets_its_own_etag():
    body, etag = splice.render_to_bytes(lambda: splice.place(Kept("<p>خبر</p>")))
    response = HttpResponse(body)
    splice.mark_etag(response, body, etag)
    assert splice.etag_for(response, response.content) == etag
    response.content = body + b"<!-- -->"
    assert splice.etag_for(response, response.content) not in ("", etag)
