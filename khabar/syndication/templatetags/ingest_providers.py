"""The ingest providers' health on the desk home (``{% ingest_providers %}``): the desk shows
it without importing syndication."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Case, IntegerField, Value, When

from khabar.syndication.models import Provider

register = template.Library()


@register.inclusion_tag("syndication/_providers.html", takes_context=True)
def ingest_providers(context: template.Context) -> dict[str, Any]:
    """The active providers, the failing ones first, for a user who may see them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("syndication.view_provider"):
        return {"providers": []}
    failing_first = Case(
        When(status=Provider.Health.FAILING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    providers = (
        Provider.objects.filter(is_active=True)
        .only(
            "name",
            "kind",
            "status",
            "last_error",
            "last_polled_at",
            "documents_count",
            "stories_count",
            "errors_count",
        )
        .order_by(failing_first, "name", "pk")
    )
    return {"providers": list(providers), "desk_zone": context.get("desk_zone")}
