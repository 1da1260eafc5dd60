"""The one allow-list HTML sanitiser, and the small Markdown subset readers may write.

Text from outside (comments, wire copy) is stored as written; HTML for pages is produced
here, once, and nowhere else.
"""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "has_links", "render_comment", "sanitize"]

#: Tags a rendered comment may contain; everything else is dropped (its text kept).
ALLOWED_TAGS = frozenset({"p", "br", "a", "em", "strong", "blockquote"})
_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# A link in Markdown or a bare address; what "comments with links wait" looks for.
_LINK_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S|\]\(|\b[\w-]+\.(?:com|net|org|io|ru|ir)\b/")


def sanitize(html: str, *, tags: frozenset[str] = ALLOWED_TAGS) -> str:
    """Return ``html`` with only allowed tags, http(s)/mailto links and no attributes else.

    Links get ``rel="nofollow ugc"``; scripts and styles are removed with their content.
    """
    return nh3.clean(
        html,
        tags=set(tags),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in _ATTRIBUTES.items() if tag in tags},
        url_schemes=set(_URL_SCHEMES),
        link_rel="nofollow ugc",
        strip_comments=True,
    )


@functools.cache
def _markdown() -> MarkdownIt:
    # "zero" has nothing enabled: switch on paragraphs, emphasis, links and quotes only.
    # Raw HTML stays text (html=False), so "<b>" shows as typed.
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    md.enable(["blockquote", "emphasis", "link", "newline", "escape"])
    return md


def render_comment(text: str) -> str:
    """Render a reader's comment (the Markdown subset) to sanitised HTML."""
    return sanitize(_markdown().render(text)).strip()


def has_links(text: str) -> bool:
    """True if ``text`` holds a web address or a Markdown link."""
    return bool(_LINK_RE.search(text))
