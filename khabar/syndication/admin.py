"""Partners in the desk: create one, issue it tokens (shown once), revoke them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.syndication import actions
from khabar.syndication.models import Partner, PartnerToken


class PartnerTokenInline(admin.TabularInline):
    model = PartnerToken
    extra = 0
    can_delete = False
    fields = ["prefix", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tokens are made by the "issue a token" action, which shows it once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "can_ingest", "trusted", "default_section"]
    list_filter = ["is_active", "can_ingest", "trusted"]
    search_fields = ["name"]
    inlines = [PartnerTokenInline]
    actions = ["issue_token"]

    @admin.action(description=gettext_lazy("Issue a new API token"), permissions=["add_token"])
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            _token, raw = actions.create_partner_token(
                partner, actor=request.user, label=_("issued in the desk")
            )
            messages.warning(
                request,
                _("New token for %(partner)s (copy it now; it is not shown again): %(token)s")
                % {"partner": partner.name, "token": raw},
            )

    def has_add_token_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syndication.add_partnertoken")


@admin.register(PartnerToken)
class PartnerTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "partner", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner"]
    readonly_fields = [
        "partner",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    fields = [
        "partner",
        "label",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PartnerToken]) -> None:
        count = sum(actions.revoke_partner_token(t, actor=request.user) for t in queryset)
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": count})
