"""Distribution in the desk: subscribers and their destinations; the deliveries, filtered per
story (search its number) or per subscriber, with each try and the receiver's answer; resend
one item, or replay a time range (filter by date, select all, "Send again")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.distribution import actions
from khabar.distribution.models import Attempt, Delivery, Destination, Receipt, Subscriber


class DestinationInline(admin.TabularInline):
    model = Destination
    extra = 0
    fields = ["transport", "format", "url", "active", "failures", "paused_until"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added on the destination's own page, which makes its secret


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["name", "contact", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact"]
    inlines = [DestinationInline]

    def save_model(self, request: HttpRequest, obj: Subscriber, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = actions.add_subscriber(
            obj.name, actor=request.user, contact=obj.contact, active=obj.active
        )
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Subscriber) -> None:
        actions.remove_subscriber(obj, actor=request.user)


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = [
        "subscriber",
        "transport",
        "format",
        "url",
        "active",
        "failures",
        "paused_until",
    ]
    list_filter = ["transport", "format", "active", "subscriber"]
    readonly_fields = ["failures", "paused_until", "previous_secret_until"]
    actions = ["rotate"]

    def save_model(self, request: HttpRequest, obj: Destination, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = actions.add_destination(
            obj.subscriber,
            actor=request.user,
            url=obj.url,
            transport=obj.transport,
            format=obj.format,
            secret=obj.secret or None,
            editions=obj.editions,
            sections=obj.sections,
            tags=obj.tags,
            min_urgency=obj.min_urgency,
            with_photos=obj.with_photos,
            ssh_key=obj.ssh_key,
        )
        obj.pk, obj.secret = created.pk, created.secret
        obj._state.adding = False

    @admin.action(
        description=gettext_lazy("Rotate the signing secret (the old one keeps signing a while)"),
        permissions=["change"],
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[Destination]) -> None:
        for destination in queryset:
            actions.rotate_secret(destination, actor=request.user)
        self.message_user(request, _("New secrets made; give them to the subscribers."))


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["at", "ok", "response_code", "response", "error", "took_ms"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "article_id",
        "subscriber",
        "version",
        "event",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
        "next_attempt_at",
        "response_code",
        "error",
    ]
    list_filter = ["status", "event", "destination__subscriber"]
    search_fields = ["=article__id", "key", "destination__subscriber__name"]
    date_hierarchy = "created_at"
    list_select_related = ["destination__subscriber"]
    inlines = [AttemptInline]
    actions = ["send_again"]
    readonly_fields = [
        f.name for f in Delivery._meta.get_fields() if f.concrete and not f.auto_created
    ] + ["status", "attempts"]

    @admin.display(description=gettext_lazy("subscriber"))
    def subscriber(self, obj: Delivery) -> str:
        return obj.destination.subscriber.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Send again (same ids, in order)"), permissions=["resend"]
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = sum(actions.resend_delivery(d, actor=request.user) for d in queryset)
        self.message_user(
            request, _("%(count)d deliveries queued again.") % {"count": count}, messages.SUCCESS
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("distribution.resend_delivery")


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = ["received_at", "webhook_id", "event", "verified", "duplicate", "content_type"]
    list_filter = ["event", "duplicate", "verified"]
    search_fields = ["webhook_id"]
    readonly_fields = [
        "destination",
        "received_at",
        "webhook_id",
        "duplicate",
        "verified",
        "event",
        "content_type",
        "body",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
