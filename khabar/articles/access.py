"""Permission-checked reads of stories. Missing and not-yours give the same 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from khabar.articles.models import Article, Status


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
