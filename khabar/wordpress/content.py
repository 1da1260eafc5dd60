"""A WordPress post's or comment's HTML as paragraphs of plain text, as khabar stores copy.

WordPress stores content as the author typed it: a blank line between paragraphs and a line
break inside one (its ``wpautop`` adds the ``<p>`` and ``<br>`` when showing it), block
markup written by hand or by the block editor (whose ``<!-- wp:… -->`` delimiters are
comments), and shortcodes (``[caption]…[/caption]``, ``[gallery]``). Here the paragraphs are
made explicit the way ``wpautop`` would, shortcodes that stand for media are dropped (the
image is not in the body; a post's featured image is imported as its lead photo), and the
shared body clean-up (``khabar.syndication.formats.body``) turns the rest into plain text:
nothing of the markup is stored, and reader pages escape what is.
"""

from __future__ import annotations

import html
import re

from khabar.comments.actions import render
from khabar.lib.arabic_fold import strip_bidi_controls
from khabar.lib.html import sanitize
from khabar.syndication.formats.body import html_blocks

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: Never copy, wherever they stand (inside a paragraph the shared clean-up would keep text).
_CODE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.S | re.I)
#: Shortcodes that stand for media (their content is a caption or a URL, not copy).
_MEDIA = re.compile(
    r"\[(caption|wp_caption|gallery|embed|audio|video|playlist)\b[^\]]*\](?:.*?\[/\1\])?",
    re.S | re.I,
)
#: Any other shortcode's brackets: the text between an opening and closing one stays.
_SHORTCODE = re.compile(r"\[/?[A-Za-z_][\w-]*(?:\s[^\]]*)?/?\]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_OPENS_BLOCK = re.compile(
    r"\s*<(?:p|div|h[1-6]|ul|ol|li|dl|blockquote|pre|table|figure|hr|section|address)\b", re.I
)


def autop(markup: str) -> str:
    """WordPress's paragraphs made explicit: text between blank lines becomes a ``<p>``,
    a single line break inside it a ``<br>``; chunks that open with block markup stay."""
    text = markup.replace("\r\n", "\n").replace("\r", "\n")
    text = _CODE.sub("", _HTML_COMMENT.sub("", text))
    text = _SHORTCODE.sub("", _MEDIA.sub("", text))
    out = []
    for chunk in _BLANK_LINE.split(text):
        if not chunk.strip():
            continue
        if _OPENS_BLOCK.match(chunk):
            out.append(chunk)
        else:
            # A line's leading spaces and tabs show nothing in a browser (wpautop keeps
            # them, HTML collapses them); left in, they read as a plain-text story's
            # paragraph indents to the agencies' reader (body.html_blocks), which split
            # "a\n  b\n\tc" into three paragraphs where WordPress shows one.
            lines = (line.strip() for line in chunk.strip().split("\n"))
            out.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(out)


#: Text with none of these is plain: no markup, entity, shortcode (or Markdown) to read.
_MARKUP = re.compile(r"[<&\[]")
_MARKDOWN = re.compile(r"[*_\[\]\\`]|^\s*>", re.M)


def paragraphs(markup: str) -> list[str]:
    """The paragraphs of a post's content (or excerpt, or comment), as plain text."""
    if not markup.strip():
        return []
    if not _MARKUP.search(markup):
        # Most comments: what the clean-up below would make of it, without parsing HTML.
        chunks = _BLANK_LINE.split(markup.replace("\r\n", "\n").replace("\r", "\n"))
        lines = (
            "\n".join(" ".join(line.split()) for line in chunk.split("\n") if line.strip())
            for chunk in chunks
        )
        return [text for text in lines if text]
    return [p.strip() for p in html_blocks(autop(markup)) if p.strip()]


def plain_text(markup: str) -> str:
    """Paragraphs separated by a blank line, as stories and comments keep their text."""
    return "\n\n".join(paragraphs(markup))


def comment_html(text: str) -> str:
    """What ``khabar.comments.actions.render`` makes of a comment's text.

    An imported comment is plain paragraphs (``plain_text``); when it holds nothing the
    readers' Markdown subset would read, its HTML is built here and goes through the same
    sanitiser, without the Markdown parser (a thousand times per second of import it is
    most of the time spent). ``tests/test_wxr_content.py`` holds the two to the same output.
    """
    if _MARKDOWN.search(text):
        return render(text)
    shown = strip_bidi_controls(text)
    blocks = (
        "<p>" + "<br>\n".join(html.escape(line) for line in block.split("\n")) + "</p>"
        for block in shown.split("\n\n")
    )
    return sanitize("\n".join(blocks)).strip()
