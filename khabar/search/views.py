"""The reader search page: ranked, highlighted results with filters and pagination."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from khabar.articles.models import Article
from khabar.search.backends import get_backend
from khabar.search.forms import MAX_PAGE, SearchForm
from khabar.site.editions import get_edition


def search(request: HttpRequest, edition: str) -> HttpResponse:
    form = SearchForm(request.GET, edition=edition)
    form.is_valid()
    query = form.value("q") or ""
    section = form.value("section")
    date_from, date_to = form.date_bounds(get_edition(edition).time_zone)
    page = form.value("page") or 1
    per_page = settings.KHABAR_PAGE_SIZE
    # Staff may ask why each story ranks where it does; for anyone else the parameter is
    # ignored, so their page stays the ordinary, shareable one.
    explain = request.GET.get("explain") == "1" and can_explain(request.user)
    results = get_backend().search(
        query,
        lang=form.lang_value,
        section=section.pk if section else None,
        date_from=date_from,
        date_to=date_to,
        order=form.order_value,  # type: ignore[arg-type]
        page=page,
        per_page=per_page,
        explain=explain,
    )
    # The index may lag a withdrawal by a moment; only stories readers may see are shown.
    live = Article.objects.published().filter(pk__in=results.ids).select_related("section")
    stories = {story.pk: story for story in live}
    items = [(hit, stories[hit.id]) for hit in results.hits if hit.id in stories]
    num_pages = min(math.ceil(results.total / per_page), MAX_PAGE)
    response = render(
        request,
        "search/search.html",
        {
            "form": form,
            "query": query,
            "searched": bool(results.query),
            "total": results.total,
            "more": results.more,
            "items": items,
            "page_number": page,
            "num_pages": num_pages,
            "previous_url": _page_url(request, page - 1) if page > 1 else None,
            "next_url": _page_url(request, page + 1) if page < num_pages else None,
            "order": form.order_value,
            "newest_url": _page_url(request, 1, order="newest"),
            "relevance_url": _page_url(request, 1, order="relevance"),
            "explain": explain,
        },
    )
    if explain:
        # One person's view: never kept by a shared cache, whatever the request carried.
        patch_cache_control(response, private=True, no_store=True)
    return response


def can_explain(user: object) -> bool:
    """Whether ``user`` may see the ranking explained: desk staff who edit stories."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.has_perm("articles.change_article"))  # type: ignore[attr-defined]


def _page_url(request: HttpRequest, page: int, **changes: str) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    for key, value in changes.items():
        params[key] = value
    return "?" + params.urlencode()
