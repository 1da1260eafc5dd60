"""Head tags for syndication: schema.org JSON-LD, Open Graph and Twitter card values."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from khabar.articles.models import Article
from khabar.photos.display import photo_payload
from khabar.site.editions import get_edition
from khabar.syndication.story import iso, page_url

register = template.Library()

OG_LOCALES = {"ar": "ar_AR", "fa": "fa_IR", "en": "en_US"}
# Inside <script>, "</script>" or "<!--" in a headline would end or confuse the block.
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def news_article(article: Article, *, tags: list[Any] | None = None) -> dict[str, Any]:
    """The schema.org NewsArticle of a story."""
    edition = get_edition(article.lang)
    publisher = {
        "@type": "NewsMediaOrganization",
        "name": edition.agency_name,
        "url": settings.SITE_URL + "/",
    }
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url(article)},
        "url": page_url(article),
        "headline": Truncator(article.headline).chars(110),
        "datePublished": iso(article.published_at or article.created_at),
        "dateModified": iso(max(article.updated_at, article.published_at or article.updated_at)),
        "dateline": _dateline(article),
        "articleSection": article.section.name,
        "inLanguage": article.lang,
        "isAccessibleForFree": True,
        "publisher": publisher,
        "author": (
            {"@type": "Person", "name": article.byline}
            if article.byline
            else {
                "@type": "NewsMediaOrganization",
                "name": article.dateline_agency or edition.agency or settings.KHABAR_AGENCY_NAME,
            }
        ),
        "locationCreated": {"@type": "Place", "name": article.dateline_city},
    }
    if article.summary:
        data["description"] = article.summary
    if tags:
        data["keywords"] = [t.name for t in tags]
    if article.version > 1:
        data["version"] = str(article.version)
    image = image_object(photo_payload(article))
    if image:
        data["image"] = image
    return data


def image_object(photo: dict[str, Any] | None) -> dict[str, Any] | None:
    """The schema.org ImageObject of a story's lead photo (``photo_payload``), or None."""
    if photo is None:
        return None
    image: dict[str, Any] = {
        "@type": "ImageObject",
        "url": photo["url"],
        "contentUrl": photo["url"],
        "width": photo["width"],
        "height": photo["height"],
        "encodingFormat": photo["mime_type"],
    }
    if photo["caption"]:
        image["caption"] = photo["caption"]
    if photo["credit"]:
        image["creditText"] = photo["credit"]
    if photo["copyright_holder"]:
        image["copyrightHolder"] = {"@type": "Organization", "name": photo["copyright_holder"]}
    return image


def _dateline(article: Article) -> str:
    from khabar.syndication.story import dateline_text

    return dateline_text(article).rstrip("-– ").strip()


@register.simple_tag
def article_jsonld(article: Article, tags: list[Any] | None = None) -> SafeString:
    """The NewsArticle as JSON safe to put inside <script type="application/ld+json">."""
    text = json.dumps(news_article(article, tags=tags), ensure_ascii=False)
    return mark_safe(text.translate(_JSON_ESCAPES))


@register.simple_tag
def article_photo(article: Article) -> dict[str, Any] | None:
    """The story's lead photo for the page head (no query if the page already has it)."""
    return photo_payload(article)


@register.simple_tag
def og_description(article: Article) -> str:
    first = article.paragraphs[0] if article.paragraphs else ""
    return article.summary or Truncator(first).words(35)


@register.simple_tag
def og_locale(article: Article) -> str:
    return OG_LOCALES.get(article.lang, article.lang)


@register.simple_tag
def iso_time(value: Any) -> str:
    return iso(value) if value else ""
