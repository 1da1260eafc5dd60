"""The comment thread under a story (the reader-comments work fills this in)."""

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def comment_thread(context: template.Context, article: Any) -> dict[str, Any]:
    return {"article": article, "edition": context.get("edition")}
