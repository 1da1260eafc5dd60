"""``{% story_photos article as photos %}``: a story's lead and gallery, fetched once."""

from __future__ import annotations

from typing import Any

from django import template

from khabar.photos.display import StoryPhotos, photos_for

register = template.Library()


@register.simple_tag
def story_photos(article: Any) -> StoryPhotos:
    if article is None or getattr(article, "pk", None) is None:
        return StoryPhotos()
    return photos_for(article)
