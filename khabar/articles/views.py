"""Reader pages: home, section, tag and story."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from khabar.articles.access import access_article_for_reader
from khabar.articles.models import Article, Section, Tag, Urgency
from khabar.comments.counts import attach_comment_counts
from khabar.site.editions import default_edition
from khabar.site.pagecache import tag_request

PER_SECTION_ON_HOME = 4


def root(request: HttpRequest) -> HttpResponse:
    return redirect("home", edition=default_edition().code)


def home(request: HttpRequest, edition: str) -> HttpResponse:
    now = timezone.now()
    live = Article.objects.published(now).in_edition(edition)
    urgent = list(
        live.filter(
            urgency__lte=Urgency.URGENT, published_at__gte=now - timedelta(hours=24)
        ).for_list()[:8]
    )
    ranked = (
        live.annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("section_id"),
                order_by=[F("published_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=PER_SECTION_ON_HOME + 1)
        .select_related("section")
        .order_by("section__position", "section__name", "-published_at", "-pk")
    )
    by_section: dict[int, tuple[Section, list[Article]]] = {}
    newest: Article | None = None
    for article in ranked:
        by_section.setdefault(article.section_id, (article.section, []))[1].append(article)
        if newest is None or (article.published_at, article.pk) > (newest.published_at, newest.pk):
            newest = article
    lead = urgent[0] if urgent else newest
    sections = [
        (section, [a for a in articles if a != lead][:PER_SECTION_ON_HOME])
        for section, articles in by_section.values()
    ]
    attach_comment_counts([a for _s, items in sections for a in items] + ([lead] if lead else []))
    tag_request(request, f"h:{edition}")
    return render(
        request,
        "articles/home.html",
        {"lead": lead, "ticker": urgent, "sections": sections},
    )


def section(request: HttpRequest, edition: str, slug: str) -> HttpResponse:
    current = get_object_or_404(Section, lang=edition, slug=slug)
    articles = Article.objects.published().in_section(current).for_list()
    page = Paginator(articles, settings.KHABAR_PAGE_SIZE).get_page(request.GET.get("page"))
    attach_comment_counts(page.object_list)
    tag_request(request, f"s:{current.pk}")
    return render(request, "articles/section.html", {"section": current, "page": page})


def tag(request: HttpRequest, edition: str, slug: str) -> HttpResponse:
    current = get_object_or_404(Tag, lang=edition, slug=slug)
    articles = Article.objects.published().in_edition(edition).filter(tags=current).for_list()
    page = Paginator(articles, settings.KHABAR_PAGE_SIZE).get_page(request.GET.get("page"))
    attach_comment_counts(page.object_list)
    tag_request(request, f"t:{current.pk}")
    return render(request, "articles/tag.html", {"tag": current, "page": page})


def article(request: HttpRequest, edition: str, pk: int, slug: str | None = None) -> HttpResponse:
    story = access_article_for_reader(request.user, edition, pk)
    if story.slug and slug != story.slug:
        # One canonical address per story: a changed or missing slug redirects to it.
        return HttpResponsePermanentRedirect(story.get_absolute_url())
    tags = list(story.tags.all())
    related = list(
        Article.objects.published()
        .in_edition(edition)
        .filter(Q(section_id=story.section_id) | Q(tags__in=tags))
        .exclude(pk=story.pk)
        .distinct()
        .for_list()[:5]
    )
    translations = list(
        Article.objects.published()
        .filter(translation_group=story.translation_group)
        .exclude(pk=story.pk)
        .only("pk", "lang", "slug", "headline")
    )
    if story.is_live:
        tag_request(request, f"a:{story.pk}")
    return render(
        request,
        "articles/article.html",
        {
            "article": story,
            "tags": tags,
            "related": related,
            "translations": translations,
            "corrections": list(story.corrections.all()),
            "preview": not story.is_live,
        },
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def raise_404(request: HttpRequest) -> HttpResponse:
    raise Http404
