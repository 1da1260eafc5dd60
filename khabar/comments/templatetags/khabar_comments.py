"""The comment thread under a story: ``{% comment_thread article %}``."""

from typing import Any

from django import template

from khabar.comments.display import thread_context

register = template.Library()


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def comment_thread(context: template.Context, article: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        **thread_context(request, article.thread_key, article=article),
        "edition": context.get("edition"),
        "csrf_token": context.get("csrf_token"),
        "request": request,
        "user": context.get("user"),
    }
