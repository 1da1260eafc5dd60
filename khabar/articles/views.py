"""Reader pages: home, section, tag and story."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from khabar.articles.access import access_article_page, access_withdrawn_article
from khabar.articles.models import LIVE_STATUSES, Article, Section, Tag, Urgency
from khabar.articles.paging import CappedPaginator
from khabar.site import hooks
from khabar.site.editions import default_edition
from khabar.site.pagecache import (
    generations_read,
    is_reader_specific,
    prefetch,
    related_keys,
    tag_request,
)
from khabar.site.pagecache import stamp as pagecache_stamp
from khabar.site.splice import mark_etag, render_to_bytes

PER_SECTION_ON_HOME = 4
#: Pages a story list can be paged through (the newest MAX_PAGES × KHABAR_PAGE_SIZE stories):
#: counting a section or tag of a million-story archive costs more than the page itself, and
#: the archive beyond is reached through search and the sitemaps.
MAX_PAGES = 100
#: A tag with more stories than this is listed by reading the newest stories in order and
#: keeping the tag's (it is everywhere); a smaller one by fetching its stories and sorting.
COMMON_TAG = 2000


def root(request: HttpRequest) -> HttpResponse:
    return redirect("home", edition=default_edition().code)


def home(request: HttpRequest, edition: str) -> HttpResponse:
    tag_request(request, f"h:{edition}")
    return _render_page(
        request,
        "articles/home.html",
        {
            "home": SimpleLazyObject(lambda: _home_data(edition)),
            "fragment_stamp": _list_stamp(request, [f"h:{edition}"]),
        },
    )


def _home_data(edition: str) -> dict[str, object]:
    """The lead story, the urgent ticker and the latest stories of every section.

    Two short queries (the ticker, then every section's newest), each reading an index in
    order and stopping after a handful of rows, so the page costs the same at a hundred
    stories or a million, and whatever the number of sections.
    """
    now = timezone.now()
    live = Article.objects.published(now).in_edition(edition)
    urgent = list(
        live.filter(
            urgency__lte=Urgency.URGENT, published_at__gte=now - timedelta(hours=24)
        ).for_list()[:8]
    )
    by_section: dict[int, tuple[Section, list[Article]]] = {}
    for article in _section_leads(edition, now):
        section = article.section
        by_section.setdefault(section.pk, (section, []))[1].append(article)
    newest = max(
        (articles[0] for _s, articles in by_section.values()),
        key=lambda a: (a.published_at, a.pk),
        default=None,
    )
    lead = urgent[0] if urgent else newest
    sections = [
        (section, [a for a in articles if a != lead][:PER_SECTION_ON_HOME])
        for section, articles in by_section.values()
    ]
    hooks.story_list([a for _s, items in sections for a in items] + ([lead] if lead else []))
    return {"lead": lead, "ticker": urgent, "sections": sections}


#: Each section's newest live stories, in one query: for each section of the edition (a
#: handful of rows), a subquery reads the section's index newest first and stops after a
#: few stories. The live condition is ArticleQuerySet.live_q's, written out (the tests of
#: embargoed and scheduled stories on the home page hold the two together).
_SECTION_LEADS = """
SELECT {columns}, s.id AS s_id, s.lang AS s_lang, s.slug AS s_slug, s.name AS s_name,
       s.position AS s_position, s.comment_policy AS s_comment_policy
FROM articles_section s
JOIN articles_article a ON a.id IN (
    SELECT b.id FROM articles_article b
    WHERE b.section_id = s.id AND b.status IN ({statuses}) AND b.published_at <= %s
      AND (b.embargo_until IS NULL OR b.embargo_until <= %s)
    ORDER BY b.published_at DESC, b.id DESC
    LIMIT %s)
WHERE s.lang = %s
ORDER BY s.position, s.name, a.published_at DESC, a.id DESC
"""

#: The same on PostgreSQL, whose planner reads ``a.id IN (correlated subquery)`` as a walk
#: through every story with the subquery run for each (minutes at a million stories): a
#: LATERAL subquery is its way of saying "for each section, its index newest first".
_SECTION_LEADS_POSTGRES = """
SELECT {columns}, s.id AS s_id, s.lang AS s_lang, s.slug AS s_slug, s.name AS s_name,
       s.position AS s_position, s.comment_policy AS s_comment_policy
FROM articles_section s
CROSS JOIN LATERAL (
    SELECT b.* FROM articles_article b
    WHERE b.section_id = s.id AND b.status IN ({statuses}) AND b.published_at <= %s
      AND (b.embargo_until IS NULL OR b.embargo_until <= %s)
    ORDER BY b.published_at DESC, b.id DESC
    LIMIT %s) a
WHERE s.lang = %s
ORDER BY s.position, s.name, a.published_at DESC, a.id DESC
"""


def _section_leads(edition: str, now: datetime) -> list[Article]:
    """The newest ``PER_SECTION_ON_HOME + 1`` live stories of each section of ``edition``,
    sections in their order, each story with its section (and without its body)."""
    fields = [f for f in Article._meta.concrete_fields if f.name != "body"]
    columns = ", ".join(f"a.{connection.ops.quote_name(f.column)}" for f in fields)
    when = connection.ops.adapt_datetimefield_value(now)
    params = [*LIVE_STATUSES, when, when, PER_SECTION_ON_HOME + 1, edition]
    query = _SECTION_LEADS_POSTGRES if connection.vendor == "postgresql" else _SECTION_LEADS
    sql = query.format(columns=columns, statuses=", ".join(["%s"] * len(LIVE_STATUSES)))
    articles = list(Article.objects.raw(sql, params))
    for article in articles:
        section = Section(
            id=article.s_id,
            lang=article.s_lang,
            slug=article.s_slug,
            name=article.s_name,
            position=article.s_position,
            comment_policy=article.s_comment_policy,
        )
        section._state.adding, section._state.db = False, article._state.db
        article.section = section
    return articles


def _list_stamp(request: HttpRequest, tags: list[str]) -> str:
    """Fragment key for a story list: its purge generation and the current minute.

    The minute bounds how long time-driven changes (the ticker's 24-hour window) can lag.
    """
    if not settings.KHABAR_FRAGMENT_CACHE or is_reader_specific(request):
        return ""
    stamp = pagecache_stamp(tags)
    return f"{stamp}:{int(timezone.now().timestamp() // 60)}" if stamp else ""


def section(request: HttpRequest, edition: str, slug: str) -> HttpResponse:
    current = get_object_or_404(Section, lang=edition, slug=slug)
    tag_request(request, f"s:{current.pk}")
    return _render_page(
        request,
        "articles/section.html",
        {
            "section": current,
            "page": SimpleLazyObject(lambda: _page(request, Article.objects.in_section(current))),
            "page_number": request.GET.get("page", ""),
            "fragment_stamp": _list_stamp(request, [f"s:{current.pk}"]),
        },
    )


class ListPaginator(CappedPaginator):
    max_pages = MAX_PAGES


def _page(request: HttpRequest, articles: QuerySet[Article]) -> Page:
    """One page of live stories, newest first, with their comment counts."""
    queryset = articles.published().for_list()
    page = ListPaginator(queryset, settings.KHABAR_PAGE_SIZE).get_page(request.GET.get("page"))
    hooks.story_list(page.object_list)
    return page


def tag(request: HttpRequest, edition: str, slug: str) -> HttpResponse:
    current = get_object_or_404(Tag, lang=edition, slug=slug)
    tag_request(request, f"t:{current.pk}")
    stories = _tagged(edition, current)
    return _render_page(
        request,
        "articles/tag.html",
        {
            "tag": current,
            "page": SimpleLazyObject(lambda: _page(request, stories)),
            "page_number": request.GET.get("page", ""),
            "fragment_stamp": _list_stamp(request, [f"t:{current.pk}"]),
        },
    )


def _tagged(edition: str, tag: Tag) -> QuerySet[Article]:
    """The stories of a tag, shaped for the plan that suits its size.

    A common tag: the edition's newest stories in index order, kept if tagged (the database
    stops after a page). A rare one: its few stories by id, sorted (no walk through the
    archive looking for them). One indexed count of the tag's links decides.
    """
    links = Article.tags.through.objects.filter(tag_id=tag.pk)
    if links[:COMMON_TAG].count() < COMMON_TAG:
        ids = list(links.values_list("article_id", flat=True))
        return Article.objects.in_edition(edition).filter(pk__in=ids)
    # A correlated EXISTS: the database cannot turn it into "all the tag's stories, sorted".
    tagged = Exists(links.filter(article_id=OuterRef("pk")))
    return Article.objects.in_edition(edition).filter(tagged)


def article(request: HttpRequest, edition: str, pk: int, slug: str | None = None) -> HttpResponse:
    # The purge generations of the story and, as its last render read them, of every other
    # tag its page's fragments are kept under (its section's and tags', the urgent ticker's),
    # in one query (a story whose section or tags changed was purged: its new ones are read
    # then). Read before anything is rendered under them, as they would be without it.
    if settings.KHABAR_FRAGMENT_CACHE:
        prefetch([f"a:{pk}", *_STAMP_TAGS.get(pk, ())])
    try:
        story = access_article_page(request, edition, pk)
    except Http404:
        killed = access_withdrawn_article(edition, pk)
        if killed is None:
            raise
        return _withdrawn(request, killed)
    if story.slug and slug != story.slug:
        # One canonical address per story: a changed or missing slug redirects to it.
        return HttpResponsePermanentRedirect(story.get_absolute_url())
    # Built on first use: a cached fragment of the page skips them, queries and all.
    tags = SimpleLazyObject(lambda: list(story.tags.all()))
    related = SimpleLazyObject(lambda: _related(story))
    translations = SimpleLazyObject(
        lambda: list(
            Article.objects.published()
            .filter(translation_group=story.translation_group)
            .exclude(pk=story.pk)
            .only("pk", "lang", "slug", "headline")
        )
    )
    live = story.is_live
    if live:
        # The page shows the story and its related box (its section's and tags' stories).
        tag_request(request, f"a:{story.pk}", *related_keys(story.section_id, _tag_ids(story)))
    response = _render_page(
        request,
        "articles/article.html",
        {
            "article": story,
            "tags": tags,
            "related": related,
            "translations": translations,
            "corrections": SimpleLazyObject(lambda: list(story.corrections.all())),
            "preview": not live,
            "fragment_stamp": _fragment_stamp(request, story) if live else "",
        },
    )
    if live and (read := generations_read()):
        if len(_STAMP_TAGS) > 10_000:
            _STAMP_TAGS.clear()
        _STAMP_TAGS[story.pk] = [tag for tag in read if tag != f"a:{story.pk}"]
    return response


def _related(story: Article) -> list[Article]:
    """Up to five live stories from the same section or sharing a tag, newest first."""
    return list(
        Article.objects.published()
        .in_edition(story.lang)
        .filter(Q(section_id=story.section_id) | Q(tags__in=_tag_ids(story)))
        .exclude(pk=story.pk)
        .distinct()
        .for_list()[:5]
    )


def _tag_ids(story: Article) -> list[int]:
    """The story's tag ids: kept with the shared story, else one query."""
    found = getattr(story, "tag_ids", None)
    if found is None:
        found = story.tag_ids = list(story.tags.values_list("pk", flat=True))
    return list(found)


#: The tags whose purge generations each story's page read, as last rendered in this process
#: (but its own): what ``article`` prefetches.
_STAMP_TAGS: dict[int, list[str]] = {}


def _fragment_stamp(request: HttpRequest, story: Article) -> str:
    """The key under which this reader may share rendered parts of the page, or ""."""
    if not settings.KHABAR_FRAGMENT_CACHE or is_reader_specific(request):
        return ""
    tags = [f"a:{story.pk}", f"s:{story.section_id}"]
    tags += related_keys(story.section_id, _tag_ids(story))
    stamp = pagecache_stamp(tags)
    return f"{stamp}:{story.version}:{story.updated_at.timestamp()}" if stamp else ""


def _render_page(request: HttpRequest, template_name: str, context: dict[str, Any]) -> HttpResponse:
    """``render``, with the page's bytes put together from its kept fragments' bytes
    (``khabar.site.splice``): the same page, without encoding and hashing it all again."""
    body, etag = render_to_bytes(lambda: loader.render_to_string(template_name, context, request))
    response = HttpResponse(body)
    mark_etag(response, body, etag)
    return response


def _withdrawn(request: HttpRequest, story: Article) -> HttpResponse:
    """410 Gone with the agency's notice: the same for every reader, so caches may keep it
    (tagged with the story, so restoring it purges the notice)."""
    tag_request(request, f"a:{story.pk}")
    return render(request, "articles/withdrawn.html", {"article": story}, status=410)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def raise_404(request: HttpRequest) -> HttpResponse:
    raise Http404
