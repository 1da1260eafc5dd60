"""``{% most_read %}``: the most read stories of an edition or a section."""

from __future__ import annotations

from typing import Any

from django import template

from khabar.analytics.counter import most_read as most_read_stories
from khabar.site.editions import Edition

register = template.Library()


@register.inclusion_tag("analytics/_most_read.html", takes_context=True)
def most_read(
    context: template.Context, edition: Any = None, section: Any = None
) -> dict[str, Any]:
    """``{% most_read edition=edition %}`` on the home page, ``section=section`` on a section's.

    One query (or one Redis call and one query) per list; put it inside a ``{% fragment %}``.
    """
    if section is not None:
        stories = most_read_stories(section_id=section.pk)
    else:
        edition = edition if edition is not None else context.get("edition")
        code = edition.code if isinstance(edition, Edition) else str(edition)
        stories = most_read_stories(lang=code)
    return {"stories": stories, "edition": context.get("edition")}
