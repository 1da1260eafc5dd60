"""Moderation queues in the desk (/desk/): pending, reported, approved, rejected, spam.

Bulk approve/reject/spam go through ``actions.moderate_comments``; every change is in the
moderation log. Keys on the list page: j/k move, x selects, a/r/s approve/reject/spam.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from khabar.comments import actions
from khabar.comments.models import (
    REPORTED,
    WAITING,
    AuditEntry,
    Comment,
    ModeratedWord,
    Status,
    Thread,
)


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Pending")),
            ("reported", _("Reported")),
            ("approved", _("Approved")),
            ("rejected", _("Rejected")),
            ("spam", _("Spam")),
            ("deleted", _("Deleted")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "reported":
            return queryset.filter(REPORTED)
        if value == Status.PENDING:
            # An approved comment whose author's edit waits stays approved (its replies stay
            # shown), but the edit is the moderator's to settle, so it is in this queue.
            return queryset.filter(WAITING)
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = [
        "excerpt",
        "author",
        "story",
        "status",
        "reason",
        "reports",
        "likes",
        "created_at",
    ]
    list_filter = [QueueFilter, "status", "thread__site", "created_at"]
    search_fields = ["text", "author_name", "thread__key", "thread__title"]
    list_select_related = ["thread"]
    list_per_page = 50
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "spam"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Comment], search_term: str
    ) -> tuple[QuerySet[Comment], bool]:
        """Text and names as typed, plus every comment under a story the search backend finds.

        Stories are matched the way readers search (hamza, clitics, spelling variants), so
        a moderator typing امريكا gets the queue of the story about أميركا.
        """
        found, may_duplicate = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, may_duplicate
        from khabar.search.desk import matching_story_ids

        story_ids = matching_story_ids(search_term)
        if story_ids:
            found = found | queryset.filter(thread__article_id__in=story_ids)
        return found, may_duplicate

    readonly_fields = [
        "thread",
        "parent",
        "author_name",
        "email",
        "user",
        "text",
        "rendered",
        "status",
        "reason",
        "created_at",
        "edited_at",
        "moderated_by",
        "moderated_at",
        "likes",
        "reports",
        "log",
    ]
    fields = readonly_fields

    class Media:
        js = ["khabar/comments-desk.js"]
        css = {"all": ["khabar/comments-desk.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("comments.moderate_comment")

    @admin.display(description=_("comment"))
    def excerpt(self, obj: Comment) -> str:
        if obj.pending_text:
            return format_html(
                '<bdi dir="auto">{}</bdi> <small class="comment-edit-label">({})</small>',
                Truncator(obj.pending_text).chars(120),
                _("edit awaiting moderation"),
            )
        return format_html('<bdi dir="auto">{}</bdi>', Truncator(obj.text).chars(120))

    @admin.display(description=_("name"), ordering="author_name")
    def author(self, obj: Comment) -> str:
        url = reverse("admin:comments_comment_changelist")
        return format_html(
            '<a href="{}?author_name={}"><bdi dir="auto">{}</bdi></a>',
            url,
            obj.author_name,
            obj.author_name,
        )

    @admin.display(description=_("story"))
    def story(self, obj: Comment) -> str:
        url = reverse("admin:comments_comment_changelist")
        return format_html(
            '<a href="{}?thread__id__exact={}"><bdi dir="auto">{}</bdi></a>',
            url,
            obj.thread_id,
            Truncator(str(obj.thread)).chars(60),
        )

    @admin.display(description=_("text"))
    def rendered(self, obj: Comment) -> str:
        # html was produced by khabar.lib.html's allow-list sanitiser when it was stored.
        shown = format_html('<div dir="auto">{}</div>', _safe(obj.html))
        if obj.pending_text:
            return format_html(
                '{}<p class="comment-edit-label">{}</p>'
                '<div dir="auto" class="comment-edit">{}</div>',
                shown,
                _("The author's edit, awaiting moderation (approve to show it):"),
                _safe(obj.pending_html),
            )
        return shown

    @admin.display(description=_("moderation log"))
    def log(self, obj: Comment) -> str:
        rows = [
            format_html(
                "<li>{} · {} · {}→{} · {}</li>",
                entry.created_at.strftime("%Y-%m-%d %H:%M"),
                entry.user or "—",
                entry.from_status or "∅",
                entry.to_status,
                entry.note,
            )
            for entry in obj.audit.select_related("user").order_by("created_at")
        ]
        return format_html("<ul>{}</ul>", _safe("".join(rows)))

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Comment], to: str) -> None:
        changed = actions.moderate_comments(list(queryset), to=to, actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d comment changed.", "%(n)d comments changed.", changed) % {"n": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Approve the selected comments"), permissions=["moderate"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._bulk(request, queryset, Status.APPROVED)

    @admin.action(description=_("Reject the selected comments"), permissions=["moderate"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._bulk(request, queryset, Status.REJECTED)

    @admin.action(description=_("Mark the selected comments as spam"), permissions=["moderate"])
    def spam(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._bulk(request, queryset, Status.SPAM)


def _safe(html: str) -> str:
    # Only for HTML sanitised at write time or built with format_html above.
    return mark_safe(html)


@admin.register(ModeratedWord)
class ModeratedWordAdmin(admin.ModelAdmin):
    list_display = ["word", "kind", "note", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["word", "note"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "action", "from_status", "to_status", "comment", "note"]
    list_filter = ["action", "to_status", "user"]
    search_fields = ["comment__text", "note"]
    list_select_related = ["user", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "site", "policy", "created_at"]
    list_filter = ["site", "policy"]
    search_fields = ["key", "title"]
    fields = ["key", "title", "site", "url", "policy"]
    readonly_fields = ["key", "site"]

    def has_add_permission(self, request):
        return False
