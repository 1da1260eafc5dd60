"""Permission-checked reads of stories. Missing and not-yours give the same 404."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import caches
from django.db.models import F, Q
from django.http import Http404, HttpRequest

from khabar.articles.models import Article, Status
from khabar.site.cache import Shared
from khabar.site.pagecache import is_reader_specific
from khabar.site.pagecache import stamp as pagecache_stamp


def access_article_for_reader(
    user: AbstractBaseUser | AnonymousUser, lang: str, pk: int
) -> Article:
    """A story as a reader sees it; staff with the preview right also see unpublished ones."""
    queryset = Article.objects.select_related("section").filter(lang=lang)
    try:
        return queryset.published().get(pk=pk)
    except Article.DoesNotExist:
        pass
    if user.is_authenticated and user.has_perm("articles.preview_article"):
        try:
            return queryset.get(pk=pk)
        except Article.DoesNotExist:
            pass
    raise Http404("no such story")


def access_published_article(pk: int) -> Article:
    """A story any reader may see (whatever its edition), or 404: for what is the same for
    every reader (a live story's stream, a feed)."""
    story = Article.objects.select_related("section").published().filter(pk=pk).first()
    if story is None:
        raise Http404("no such story")
    return story


def access_article_page(request: HttpRequest, lang: str, pk: int) -> Article:
    """The story for its reader page: a live one from this process's shared copy when the
    request is nobody's in particular, else ``access_article_for_reader``. Http404 when the
    reader may not see it."""
    return _shared_live_article(request, lang, pk) or access_article_for_reader(
        request.user, lang, pk
    )


def _shared_live_article(request: HttpRequest, lang: str, pk: int) -> Article | None:
    """A live story from this process's fragment cache, valid until its pages are purged.

    Every change to what a story page shows purges ``a:<pk>``, which moves its generation
    on; the cached row is then never read again. Readers only: a request carrying anything
    of one reader (staff among them) gets the checked read.
    """
    if not settings.KHABAR_FRAGMENT_CACHE or is_reader_specific(request):
        return None
    generation = pagecache_stamp([f"a:{pk}"])
    if not generation:
        return None
    key = f"story:{pk}:{generation}"
    kept = caches["fragments"].get(key)
    if kept is not None:
        # Each request its own copy of the process's row (which nobody changes).
        story = kept.copy()
    else:
        story = (
            Article.objects.select_related("section").filter(lang=lang, pk=pk).published().first()
        )
        if story is None:
            return None
        story.tag_ids = list(story.tags.values_list("pk", flat=True))
        caches["fragments"].set(key, Shared(story), 300)
        story = copy.copy(story)
    # Publication and embargo times are checked on every read, cached or not.
    return story if story.lang == lang and story.is_live else None


def access_withdrawn_article(lang: str, pk: int) -> Article | None:
    """A story of this edition that readers once saw and the agency has since withdrawn
    (its address answers 410 with the notice), else None.

    One never published, or withdrawn while still under embargo, was never public: it stays
    a plain 404, as a draft does.
    """
    return (
        Article.objects.filter(
            lang=lang, pk=pk, status=Status.WITHDRAWN, first_published_at__isnull=False
        )
        .filter(Q(embargo_until__isnull=True) | Q(embargo_until__lte=F("withdrawn_at")))
        .only("pk", "lang", "withdrawn_at", "withdrawal_reason", "withdrawal_reason_public")
        .first()
    )


def can_edit(user: AbstractBaseUser | AnonymousUser, article: Article) -> bool:
    """Editors edit any story; a reporter only their own story before it is submitted."""
    if not user.is_authenticated or not user.has_perm("articles.change_article"):
        return False
    if user.has_perm("articles.publish_article"):
        return True
    return article.created_by_id == user.pk and article.status == Status.DRAFT


def access_article_for_edit(user: AbstractBaseUser | AnonymousUser, pk: int) -> Article:
    """A story the user may edit, or 404."""
    try:
        article = Article.objects.select_related("section").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("no such story") from None
    if not can_edit(user, article):
        raise Http404("no such story")
    return article
