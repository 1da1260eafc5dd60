"""Sitemaps: an index of per-section sitemaps whose stories carry hreflang alternates (the
other editions' translations), and a Google News sitemap of the last two days.

A section's sitemap has one page per calendar month (UTC) of its stories: the plain address
is the current month, ``?p=YYYYMM`` an earlier one. The index then needs only each section's
oldest live story (one index lookup a section) instead of counting the archive, every page
reads one month of its section's index, and a page keeps its address as the archive grows.
Pages with stories changed in the last ``LASTMOD_WINDOW`` carry their latest change as
``lastmod``; older ones carry none (a crawler then keeps its own schedule).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from khabar.articles.models import Article, Section

NEWS_WINDOW = datetime.timedelta(days=2)
NEWS_LIMIT = 1000
LASTMOD_WINDOW = datetime.timedelta(days=7)


def month_start(year: int, month: int) -> datetime.datetime:
    return datetime.datetime(year, month, 1, tzinfo=datetime.UTC)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def page_month(page: int | str, now: datetime.datetime) -> tuple[int, int]:
    """The (year, month) of a section sitemap page: 1 is the current month, YYYYMM another."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        raise PageNotAnInteger("the page is not a number") from None
    current = now.astimezone(datetime.UTC)
    if number == 1:
        return current.year, current.month
    year, month = divmod(number, 100)
    if not (1 <= month <= 12 and 1900 <= year) or (year, month) > (current.year, current.month):
        raise EmptyPage("no such month")
    return year, month


class MonthPages:
    """Just enough of a Paginator for Django's Sitemap: page → one month's stories."""

    def __init__(self, items: Any, limit: int):
        self.items, self.limit = items, limit

    def page(self, number: int | str) -> Any:
        year, month = page_month(number, timezone.now())
        start, end = month_start(year, month), month_start(*next_month(year, month))
        stories = list(self.items.filter(published_at__gte=start, published_at__lt=end))
        return _MonthPage(stories[: self.limit])


class _MonthPage:
    def __init__(self, object_list: list[Article]):
        self.object_list = object_list


class SectionSitemap(Sitemap):
    """Every published story of one section, a calendar month a page."""

    limit = 50_000  # the most a sitemap file may list

    def __init__(self, section: Section) -> None:
        self.section = section

    @property
    def paginator(self) -> Any:
        return MonthPages(self.items(), self.limit)

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
    """One entry per month of each section's sitemap, newest first, from the month of its
    oldest live story to now; recently changed months carry their latest change."""
    now = timezone.now()
    live = Article.objects.published(now)
    oldest = live.filter(section=OuterRef("pk")).order_by("published_at", "pk")
    sections = (
        Section.objects.annotate(oldest=Subquery(oldest.values("published_at")[:1]))
        .filter(oldest__isnull=False)
        .order_by("lang", "position", "pk")
    )
    changed: dict[tuple[int, int, int], datetime.datetime] = {}
    # The stories changed lately, found through the updated_at index alone.
    changed_ids = Article.objects.filter(updated_at__gte=now - LASTMOD_WINDOW).values("pk")
    recent = live.filter(pk__in=changed_ids).order_by()
    for section_id, published, updated in recent.values_list(
        "section_id", "published_at", "updated_at"
    ):
        key = (section_id, published.year, published.month)
        changed[key] = max(updated, changed.get(key, updated))
    current = now.astimezone(datetime.UTC)
    entries = []
    for section in sections:
        url = settings.SITE_URL + reverse(
            "sitemap-section", kwargs={"edition": section.lang, "slug": section.slug}
        )
        first = section.oldest.astimezone(datetime.UTC)
        year, month = current.year, current.month
        while (year, month) >= (first.year, first.month):
            is_current = (year, month) == (current.year, current.month)
            entries.append(
                {
                    "location": url if is_current else f"{url}?p={year}{month:02d}",
                    "lastmod": changed.get((section.pk, year, month)),
                }
            )
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
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
