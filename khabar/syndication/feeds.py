"""RSS 2.0 and Atom feeds of an edition, a section and a tag, with each story's full text.

The guid (Atom ``id``) of a story is its stable URI, so it survives slug changes; the full
text goes in ``content:encoded`` (RSS) and ``content`` (Atom), the summary in the description.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from khabar.articles.models import Article, ArticleQuerySet, Section, Tag
from khabar.site.editions import Edition, get_edition
from khabar.site.pagecache import tag_request
from khabar.syndication import conf
from khabar.syndication.ninjs import live_updates, update_changed, update_html
from khabar.syndication.photos import largest_rendition, prime_photos, story_pictures
from khabar.syndication.story import attach_versions, body_html, iso, story_uri

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


class FullTextRss(Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NS}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])
        # RSS has no language alternates; Atom's link (declared by Django as atom:) does.
        for lang, url in item["alternates"]:
            handler.addQuickElement(
                "atom:link", None, {"rel": "alternate", "hreflang": lang, "href": url}
            )


class FullTextAtom(Atom1Feed):
    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})
        for lang, url in item["alternates"]:
            handler.addQuickElement(
                "link", None, {"rel": "alternate", "hreflang": lang, "href": url}
            )


class StoryFeed(Feed):
    """The newest published stories of an edition; subclasses narrow it to a section or tag."""

    feed_type = FullTextRss
    url_name = "feed-rss"

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every story change in an edition purges the "f:<edition>" pages (pagecache).
        tag_request(request, f"f:{kwargs['edition']}")
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, edition: str, **kwargs: Any) -> Any:
        return get_edition(edition)

    def edition_of(self, obj: Any) -> Edition:
        return obj if isinstance(obj, Edition) else get_edition(obj.lang)

    def stories(self, obj: Any) -> ArticleQuerySet:
        return Article.objects.published().in_edition(self.edition_of(obj).code)

    def items(self, obj: Any) -> list[Article]:
        items = list(
            self.stories(obj)
            .select_related("section")
            .prefetch_related("tags")
            .order_by("-published_at", "-pk")[: conf.FEED_SIZE]
        )
        attach_versions(items, Article.objects.published())
        prefetch_related_objects(items, "live__updates")
        prime_photos(items)
        return items

    def title(self, obj: Any) -> str:
        return self.edition_of(obj).site_name

    def description(self, obj: Any) -> str:
        agency = self.edition_of(obj).agency_name
        return _("The latest stories from %(agency)s") % {"agency": agency}

    def link(self, obj: Any) -> str:
        return settings.SITE_URL + reverse("home", kwargs={"edition": self.edition_of(obj).code})

    def feed_url(self, obj: Any) -> str:
        kwargs = {"edition": self.edition_of(obj).code}
        if not isinstance(obj, Edition):
            kwargs["slug"] = obj.slug
        return settings.SITE_URL + reverse(self.url_name, kwargs=kwargs)

    def feed_guid(self, obj: Any) -> str:
        return self.feed_url(obj)

    def get_feed(self, obj: Any, request: HttpRequest) -> Any:
        feed = super().get_feed(obj, request)
        feed.feed["language"] = self.edition_of(obj).code
        return feed

    def author_name(self, obj: Any) -> str:
        return self.edition_of(obj).agency_name

    def item_title(self, item: Article) -> str:
        return item.headline

    def item_description(self, item: Article) -> str:
        # Feed readers show the description as HTML: the summary is text, so escape it.
        text = item.summary or Truncator(item.paragraphs[0] if item.paragraphs else "").words(40)
        return escape(text)

    def item_link(self, item: Article) -> str:
        return settings.SITE_URL + item.get_absolute_url()

    def item_guid(self, item: Article) -> str:
        return story_uri(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item: Article) -> datetime.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime.datetime:
        # A live story is as new as its latest update.
        return max([item.updated_at, *map(update_changed, live_updates(item))])

    def item_author_name(self, item: Article) -> str:
        return item.byline or item.dateline_agency or settings.KHABAR_AGENCY_NAME

    def item_categories(self, item: Article) -> list[str]:
        return [item.section.name, *(t.name for t in item.tags.all())]

    def item_enclosures(self, item: Article) -> list[Enclosure]:
        """The lead photo's largest JPEG: RSS allows one enclosure, so only the lead."""
        pictures = story_pictures(item)
        if not pictures:
            return []
        largest = largest_rendition(pictures[0])
        return [Enclosure(largest["href"], str(largest["size"]), largest["mime_type"])]

    def item_extra_kwargs(self, item: Article) -> dict[str, Any]:
        alternates = [
            (other.lang, settings.SITE_URL + other.get_absolute_url())
            for other in item.other_versions  # type: ignore[attr-defined]
        ]
        html = body_html(item)
        updates = sorted(live_updates(item), key=lambda u: (u.created_at, u.pk), reverse=True)
        if updates:
            html += "".join(
                f'<div class="live-update" id="update-{u.pk}">'
                f'<p><time datetime="{iso(u.created_at)}">{iso(u.created_at)}</time></p>'
                f"{update_html(u)}</div>"
                for u in updates
            )
        return {"content_html": html, "alternates": alternates}


class SectionFeed(StoryFeed):
    url_name = "feed-section-rss"

    def get_object(self, request: HttpRequest, edition: str, **kwargs: Any) -> Section:
        return get_object_or_404(Section, lang=edition, slug=kwargs["slug"])

    def stories(self, obj: Section) -> ArticleQuerySet:
        return Article.objects.published().in_section(obj)

    def title(self, obj: Section) -> str:
        return f"{obj.name} · {self.edition_of(obj).site_name}"

    def link(self, obj: Section) -> str:
        return settings.SITE_URL + obj.get_absolute_url()


class TagFeed(StoryFeed):
    url_name = "feed-tag-rss"

    def get_object(self, request: HttpRequest, edition: str, **kwargs: Any) -> Tag:
        return get_object_or_404(Tag, lang=edition, slug=kwargs["slug"])

    def stories(self, obj: Tag) -> ArticleQuerySet:
        return Article.objects.published().in_edition(obj.lang).filter(tags=obj)

    def title(self, obj: Tag) -> str:
        return f"{obj.name} · {self.edition_of(obj).site_name}"

    def link(self, obj: Tag) -> str:
        return settings.SITE_URL + obj.get_absolute_url()


class AtomMixin:
    feed_type = FullTextAtom
    subtitle = StoryFeed.description


class StoryAtomFeed(AtomMixin, StoryFeed):
    url_name = "feed-atom"


class SectionAtomFeed(AtomMixin, SectionFeed):
    url_name = "feed-section-atom"


class TagAtomFeed(AtomMixin, TagFeed):
    url_name = "feed-tag-atom"
