"""The editorial desk: Django's admin, in the edition's language, right-to-left in Arabic."""

from __future__ import annotations

import difflib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reversion.admin import VersionAdmin
from reversion.models import Version

from khabar.articles import actions
from khabar.articles.access import access_article_for_edit, can_edit
from khabar.articles.models import (
    LIVE_STATUSES,
    Article,
    AuditEntry,
    Correction,
    Section,
    StaffProfile,
    Tag,
)
from khabar.search.desk import desk_search
from khabar.site.editions import all_editions

admin.site.site_header = gettext_lazy("Khabar editorial desk")
admin.site.site_title = gettext_lazy("Khabar desk")
admin.site.index_title = gettext_lazy("Editorial desk")
admin.site.site_url = "/"


class ArticleForm(forms.ModelForm):
    correction_note = forms.CharField(
        label=gettext_lazy("Correction note"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=gettext_lazy("Required to change a published story; shown to readers."),
    )

    class Meta:
        model = Article
        fields = [
            "lang",
            "section",
            "headline",
            "slug",
            "summary",
            "dateline_city",
            "dateline_date",
            "dateline_agency",
            "body",
            "signoff",
            "urgency",
            "tags",
            "byline",
            "published_at",
            "embargo_until",
            "comment_policy",
        ]
        widgets = {"body": forms.Textarea({"rows": 18, "dir": "auto"})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        section = data.get("section")
        if section is not None and data.get("lang") and section.lang != data["lang"]:
            self.add_error("section", _("This section belongs to another edition."))
        if self.instance.pk and self.instance.status in LIVE_STATUSES:
            copy_changed = set(self.changed_data) - {"correction_note"}
            if copy_changed and not data.get("correction_note", "").strip():
                self.add_error(
                    "correction_note", _("A published story needs a correction note to change.")
                )
        return data


class CorrectionInline(admin.TabularInline):
    model = Correction
    extra = 0
    can_delete = False
    readonly_fields = ["version", "note", "created_at", "created_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(VersionAdmin):
    form = ArticleForm
    change_form_template = "admin/articles/article/change_form.html"
    list_display = ["headline", "lang", "section", "status", "urgency", "published_at", "version"]
    list_filter = ["lang", "status", "urgency", "section"]
    search_fields = ["headline", "body", "signoff"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["tags"]
    readonly_fields = [
        "status",
        "version",
        "created_at",
        "updated_at",
        "first_published_at",
        "publisher_signoff",
        "created_by",
    ]
    inlines = [CorrectionInline]
    actions = ["bulk_publish", "bulk_withdraw"]
    list_select_related = ["section"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        if not search_term.strip():
            return queryset, False
        return desk_search(queryset, search_term)

    def has_change_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return can_edit(request.user, obj)

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in actions.EDITABLE_FIELDS}
        tags = list(form.cleaned_data.get("tags", []))
        data["published_at"] = form.cleaned_data.get("published_at")
        note = form.cleaned_data.get("correction_note", "").strip()
        if not change:
            published_at = data.pop("published_at")
            created = actions.create_article(actor=request.user, tags=tags, **data)
            if published_at:
                created.published_at = published_at
                Article.objects.filter(pk=created.pk).update(published_at=published_at)
            obj.pk = created.pk
            obj.created_by = created.created_by
            return
        data.pop("published_at")
        if obj.status in LIVE_STATUSES and note:
            article = Article.objects.get(pk=obj.pk)
            actions.correct_article(article, actor=request.user, note=note, **data)
            article.tags.set(tags)
        elif obj.status not in LIVE_STATUSES:
            actions.update_article(
                Article.objects.get(pk=obj.pk), actor=request.user, tags=tags, **data
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were written by the action; the corrections inline is read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        extra = [
            path(
                "<int:pk>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name="articles_article_workflow",
            ),
            path(
                "<int:pk>/translate/",
                self.admin_site.admin_view(self.translate_view),
                name="articles_article_translate",
            ),
            path(
                "<int:pk>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_article_compare",
            ),
        ]
        return extra + urls

    def workflow_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            raise PermissionDenied
        article = (
            access_article_for_edit(request.user, pk)
            if request.user.has_perm("articles.change_article")
            else None
        )
        if article is None:
            raise PermissionDenied
        step = request.POST.get("step", "")
        note = request.POST.get("note", "")
        try:
            if step == "submit":
                actions.submit_article(article, actor=request.user)
            elif step == "publish":
                at = _parse_datetime(request.POST.get("at", ""))
                actions.publish_article(article, actor=request.user, at=at)
            elif step == "return":
                actions.return_article(article, actor=request.user, note=note)
            elif step == "withdraw":
                actions.withdraw_article(article, actor=request.user, note=note)
            else:
                raise PermissionDenied
        except actions.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Done: the story is now “%s”.") % article.get_status_display()
            )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[pk]))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        article = self.get_object(request, object_id)
        if article is not None:
            extra_context = {**(extra_context or {}), **_translation_context(request, article)}
        return super().change_view(request, object_id, form_url, extra_context)

    def translate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Start a translation of the story into another edition, then open the new draft."""
        if request.method != "POST":
            raise PermissionDenied
        original = Article.objects.select_related("section").filter(pk=pk).first()
        if original is None or not self.has_view_permission(request, original):
            raise PermissionDenied
        try:
            draft = actions.start_translation(
                original, lang=request.POST.get("lang", ""), actor=request.user
            )
        except actions.WorkflowError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("admin:articles_article_change", args=[pk]))
        messages.success(
            request,
            _("Translation started: translate the draft below and submit it as usual."),
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[draft.pk]))

    def compare_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        article = access_article_for_edit(request.user, pk)
        versions = list(Version.objects.get_for_object(article).select_related("revision"))
        by_id = {str(v.pk): v for v in versions}
        old = by_id.get(request.GET.get("a", ""), versions[-1] if versions else None)
        new = by_id.get(request.GET.get("b", ""), versions[0] if versions else None)
        rows = []
        if old is not None and new is not None:
            for name in ("headline", "summary", "dateline_city", "body", "signoff", "status"):
                a = str(old.field_dict.get(name, ""))
                b = str(new.field_dict.get(name, ""))
                if a != b:
                    diff = difflib.HtmlDiff(wrapcolumn=70).make_table(
                        a.splitlines(), b.splitlines(), context=True
                    )
                    rows.append((Article._meta.get_field(name).verbose_name, diff))
        return TemplateResponse(
            request,
            "admin/articles/article/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": Article._meta,
                "original": article,
                "versions": versions,
                "old": old,
                "new": new,
                "rows": rows,
                "title": _("Compare revisions"),
            },
        )

    @admin.action(description=gettext_lazy("Publish the selected stories"))
    def bulk_publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._bulk(request, queryset, actions.publish_article)

    @admin.action(description=gettext_lazy("Withdraw the selected stories"))
    def bulk_withdraw(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._bulk(request, queryset, actions.withdraw_article)

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Article], action: Any) -> None:
        done = 0
        for article in queryset:
            try:
                action(article, actor=request.user)
                done += 1
            except (actions.WorkflowError, PermissionDenied) as error:
                messages.warning(request, f"{article.headline}: {error or _('not allowed')}")
        if done:
            messages.success(request, _("%d stories changed.") % done)


def _translation_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    """Each edition with its version of the story, or None where a translation is missing."""
    versions = {
        a.lang: a
        for a in Article.objects.filter(translation_group=article.translation_group).only(
            "pk", "lang", "headline", "status"
        )
    }
    rows = [(edition, versions.get(edition.code)) for edition in all_editions()]
    return {
        "translation_rows": rows,
        "missing_editions": [edition for edition, version in rows if version is None],
        "can_translate": request.user.has_perm("articles.add_article"),
    }


def _parse_datetime(value: str) -> Any:
    if not value:
        return None
    parsed = forms.DateTimeField().clean(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "lang", "slug", "position", "comment_policy"]
    list_filter = ["lang"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "lang", "slug"]
    list_filter = ["lang"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "article", "action", "from_status", "to_status", "user"]
    list_filter = ["action"]
    list_select_related = ["article", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "signoff_code"]
