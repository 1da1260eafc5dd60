"""Sitemaps, the Google News sitemap and robots.txt."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from khabar.articles.models import Section
from khabar.site.editions import edition_codes, get_edition
from khabar.site.pagecache import tag_request
from khabar.syndication.sitemaps import SectionSitemap, index_entries, news_items, section_key

XML = "application/xml; charset=utf-8"


def _tag_all(request: HttpRequest) -> None:
    """Cacheable until any story of any edition changes (see khabar.site.pagecache)."""
    tag_request(request, *(f"f:{code}" for code in edition_codes()))


@require_GET
def sitemap_index(request: HttpRequest) -> HttpResponse:
    _tag_all(request)
    return render(
        request, "syndication/sitemap_index.xml", {"entries": index_entries()}, content_type=XML
    )


@require_GET
def sitemap_section(request: HttpRequest, edition: str, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, lang=edition, slug=slug)
    tag_request(request, f"f:{edition}")
    key = section_key(section)
    return sitemap(request, sitemaps={key: SectionSitemap(section)}, section=key)


@require_GET
def news_sitemap(request: HttpRequest) -> HttpResponse:
    _tag_all(request)
    stories = [
        {
            "location": settings.SITE_URL + a.get_absolute_url(),
            "name": get_edition(a.lang).site_name,
            "lang": a.lang,
            "published": a.published_at,
            "title": a.headline,
        }
        for a in news_items()
    ]
    return render(request, "syndication/news_sitemap.xml", {"stories": stories}, content_type=XML)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /desk/",
        "Disallow: /api/",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
        f"Sitemap: {settings.SITE_URL}{reverse('news-sitemap')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
