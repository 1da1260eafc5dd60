"""Sitemaps: an index of per-section sitemaps whose stories carry hreflang alternates (the
other editions' translations), and a Google News sitemap of the last two days."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from khabar.articles.models import Article, Section

NEWS_WINDOW = datetime.timedelta(days=2)
NEWS_LIMIT = 1000


class SectionSitemap(Sitemap):
    """Every published story of one section."""

    limit = 5000

    def __init__(self, section: Section) -> None:
        self.section = section

    def items(self) -> Any:
        return (
            Article.objects.published()
            .in_section(self.section)
            .only("pk", "lang", "slug", "updated_at", "published_at", "translation_group")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item: Article) -> datetime.datetime:
        return item.updated_at

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_urls(self, page: int | str = 1, site: Any = None, protocol: str | None = None) -> Any:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        groups = {url["item"].translation_group for url in urls}
        members: dict[Any, list[Article]] = defaultdict(list)
        for other in (
            Article.objects.published()
            .filter(translation_group__in=groups)
            .only("pk", "lang", "slug", "translation_group")
            .order_by("lang")
        ):
            members[other.translation_group].append(other)
        for url in urls:
            group = members[url["item"].translation_group]
            if len(group) > 1:
                # hreflang lists every version of the page, itself included.
                url["alternates"] = [
                    {"lang_code": a.lang, "location": settings.SITE_URL + a.get_absolute_url()}
                    for a in group
                ]
        return urls


def section_key(section: Section) -> str:
    return f"{section.lang}-{section.slug}"


def index_entries() -> list[dict[str, Any]]:
    """One entry per page of each section's sitemap, with its latest change."""
    now = timezone.now()
    sections = (
        Section.objects.filter(articles__in=Article.objects.published(now))
        .annotate(stories=Count("articles"), latest=Max("articles__updated_at"))
        .order_by("lang", "position", "pk")
    )
    entries = []
    for section in sections:
        url = settings.SITE_URL + reverse(
            "sitemap-section", kwargs={"edition": section.lang, "slug": section.slug}
        )
        pages = max(1, math.ceil(section.stories / SectionSitemap.limit))
        for page in range(1, pages + 1):
            entries.append(
                {"location": url if page == 1 else f"{url}?p={page}", "lastmod": section.latest}
            )
    return entries


def news_items(now: datetime.datetime | None = None) -> list[Article]:
    """Stories published in the last two days, newest first, at most 1,000 (Google's cap)."""
    now = now or timezone.now()
    return list(
        Article.objects.published(now)
        .filter(published_at__gte=now - NEWS_WINDOW)
        .only("pk", "lang", "slug", "headline", "published_at")
        .order_by("-published_at", "-pk")[:NEWS_LIMIT]
    )
