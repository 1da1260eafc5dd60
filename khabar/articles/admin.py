"""The editorial desk: Django's admin, in the edition's language, right-to-left in Arabic."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import Context
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from reversion.admin import VersionAdmin
from reversion.models import Version

from khabar.articles import actions, conflicts, revision_diff, story_list
from khabar.articles.access import access_article_for_edit, can_edit
from khabar.articles.models import (
    LIVE_STATUSES,
    Article,
    AuditEntry,
    Correction,
    DeskPresence,
    Section,
    StaffProfile,
    Status,
    Tag,
)
from khabar.articles.paging import DeskPaginator
from khabar.lib.dates import format_date
from khabar.lib.textdiff import word_diff
from khabar.site import hooks
from khabar.site.editions import (
    all_editions,
    default_edition,
    edition_codes,
    get_edition,
    zone_label,
)
from khabar.site.templatetags.khabar import dateline

#: The admin's change messages name the changed fields by their English labels and translate
#: them when shown ("تم تغيير العنوان والنص"); these are those labels, for the catalogues.
CHANGE_MESSAGE_LABELS = (
    gettext_noop("Edition"),
    gettext_noop("Section"),
    gettext_noop("Headline"),
    gettext_noop("Slug"),
    gettext_noop("Summary"),
    gettext_noop("Dateline city"),
    gettext_noop("Dateline date"),
    gettext_noop("Dateline agency"),
    gettext_noop("Body"),
    gettext_noop("Sign-off codes"),
    gettext_noop("Urgency"),
    gettext_noop("Tags"),
    gettext_noop("Byline"),
    gettext_noop("Published"),
    gettext_noop("Embargoed until"),
    gettext_noop("Comment policy"),
)

#: Audit actions the desk itself writes (khabar.desk.actions), besides the workflow steps.
AUDIT_ACTIONS = {
    "create": pgettext_lazy("workflow step", "created"),
    "revert": pgettext_lazy("workflow step", "reverted"),
    "spike": pgettext_lazy("workflow step", "spiked"),
    "unspike": pgettext_lazy("workflow step", "back in the queue"),
}

admin.site.site_header = gettext_lazy("Khabar editorial desk")
admin.site.site_title = gettext_lazy("Khabar desk")
admin.site.index_title = gettext_lazy("Editorial desk")
admin.site.site_url = "/"


class ArticleForm(forms.ModelForm):
    # The edit revision the editor started from; a save against a newer one is a conflict.
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
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
        widgets = {
            "headline": forms.TextInput({"dir": "auto", "class": "desk-wide"}),
            "summary": forms.Textarea({"rows": 3, "dir": "auto", "class": "desk-wide"}),
            "body": forms.Textarea({"rows": 18, "dir": "auto", "class": "desk-wide"}),
            "byline": forms.TextInput({"dir": "auto"}),
            "dateline_city": forms.TextInput({"dir": "auto"}),
            "dateline_agency": forms.TextInput({"dir": "auto"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["base_revision"].initial = self.instance.revision
        # Sections and tags of the story's edition only (the posted one, when bound).
        lang = (
            (self.data.get("lang") if self.is_bound else None)
            or self.initial.get("lang")
            or self.instance.lang
        )
        if lang in edition_codes():
            if "section" in self.fields:
                self.fields["section"].queryset = Section.objects.filter(lang=lang)
            if "tags" in self.fields:
                self.fields["tags"].queryset = Tag.objects.filter(lang=lang)

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


def _published_label() -> str:
    return f"{_('published')} ({_zone_label(default_edition().code)})"


#: Django's own label for a row's selection box, translated by Django's catalogue (a name,
#: not a literal, so that makemessages leaves it out of khabar's).
ACTION_CHECKBOX_LABEL = "Select this object for an action - {}"

#: The list's column says which clock it shows.
PUBLISHED_LABEL = lazy(_published_label, str)()


@admin.register(Article)
class ArticleAdmin(VersionAdmin):
    form = ArticleForm
    change_form_template = "admin/articles/article/change_form.html"
    change_list_template = "admin/articles/article/change_list.html"
    object_history_template = "admin/articles/article/object_history.html"
    list_display = ["headline", "lang", "section", "status", "urgency", "published", "version"]
    # A range filter, not date_hierarchy: its year and month links convert every story's
    # date in Python on SQLite (3.6 s at a million stories).
    list_filter = [
        "lang",
        "status",
        "urgency",
        "section",
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["headline", "body", "signoff"]
    # An archive is not counted to show a page of it (khabar/articles/paging.py).
    paginator = DeskPaginator
    show_full_result_count = False
    readonly_fields = [
        "status",
        "version",
        "created_at",
        "updated_at",
        "first_published_at",
        "publisher_signoff",
        "created_by",
        "dateline_preview",
    ]
    inlines = [CorrectionInline]
    filter_horizontal = ["tags"]
    # In the order an editor fills them: where it goes, what it says, where it is from,
    # the copy, then when and how it is published; the record last, folded.
    fieldsets = [
        (None, {"fields": ["base_revision", "lang", "section", "urgency", "headline", "summary"]}),
        (
            gettext_lazy("Dateline"),
            {"fields": [("dateline_city", "dateline_date", "dateline_agency"), "dateline_preview"]},
        ),
        (None, {"fields": ["body", "tags", "byline", "signoff"]}),
        (
            gettext_lazy("Publishing"),
            {
                "fields": [
                    "published_at",
                    "embargo_until",
                    "comment_policy",
                    "slug",
                    "correction_note",
                ]
            },
        ),
        (
            gettext_lazy("Record"),
            {
                "classes": ["collapse"],
                "fields": [
                    "status",
                    "version",
                    "created_at",
                    "updated_at",
                    "first_published_at",
                    "publisher_signoff",
                    "created_by",
                ],
            },
        ),
    ]
    # No bulk withdrawal: a kill asks for its reason and a confirmation, story by story.
    actions = ["bulk_publish"]
    list_select_related = ["section"]

    @admin.display(description=gettext_lazy("As readers will see it"))
    def dateline_preview(self, obj: Article | None) -> str:
        if obj is None or not obj.pk:
            return _("Shown once the story is saved.")
        edition = get_edition(obj.lang) if obj.lang in edition_codes() else default_edition()
        line = dateline(Context({"edition": edition}), obj)
        first = obj.paragraphs[0] if obj.paragraphs else ""
        return format_html(
            '<span class="desk-dateline-preview" dir="{}" lang="{}"><strong>{}</strong> {}</span>',
            edition.direction,
            edition.code,
            line,
            Truncator(first).words(14),
        )

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only (a reporter on a story past their draft): no form-only fields to fill.
        hidden = {"base_revision", "correction_note"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def action_checkbox(self, obj: Article) -> str:
        """The row's selection box, Django's markup written out: Django renders it through
        the form widget templates, a quarter of the list's time at 100 stories a page."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_(ACTION_CHECKBOX_LABEL), str(obj)),
        )

    @admin.display(description=PUBLISHED_LABEL, ordering="published_at")
    def published(self, obj: Article) -> str:
        """The publishing time in the story's edition's calendar, zone and digits, as
        readers see it."""
        if obj.published_at is None:
            return "—"
        edition = get_edition(obj.lang) if obj.lang in edition_codes() else default_edition()
        return format_date(
            obj.published_at,
            lang=edition.formats,
            month_style=edition.month_style
            if edition.month_style in {"both", "levantine", "gregorian"}
            else "both",
            digits=edition.digits,
            tz=edition.time_zone,
            with_time=True,
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The newsroom's clock: the form shows and takes times in the story's edition's zone.
        lang = request.POST.get("lang") or request.GET.get("lang") or ""
        if object_id:
            found = Article.objects.filter(pk=object_id).values_list("lang", flat=True).first()
            lang = found or lang
        with timezone.override(_edition_zone(lang or default_edition().code)):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        edition = default_edition()
        extra_context = {**(extra_context or {}), "zone_label": _zone_label(edition.code)}
        with timezone.override(edition.time_zone):
            response = super().changelist_view(request, extra_context)
            context = getattr(response, "context_data", None)
            if context is not None and "cl" in context:
                # The rows written once each, not cell by cell (story_list.py).
                context["desk_results"] = story_list.lean_results(
                    context["cl"], checkbox_label=ACTION_CHECKBOX_LABEL
                )
            return response

    def get_form(
        self, request: HttpRequest, obj: Article | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        label = _zone_label(obj.lang if obj is not None else default_edition().code)
        for name in ("published_at", "embargo_until"):
            if name in form.base_fields:
                form.base_fields[name].help_text = label
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new story: today's date in the edition's zone and the edition's agency, so a
        hand-written story never shows an empty agency in its dateline."""
        initial = super().get_changeform_initial_data(request)
        code = str(initial.get("lang") or default_edition().code)
        edition = get_edition(code) if code in edition_codes() else default_edition()
        initial.setdefault("lang", edition.code)
        initial.setdefault(
            "dateline_date", timezone.localtime(timezone.now(), edition.time_zone).date()
        )
        initial.setdefault("dateline_agency", edition.agency)
        return initial

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        if not search_term.strip():
            return queryset, False
        # The search app registers the backend's search (every spelling readers' search
        # finds); without it, the text as typed.
        search = hooks.story_search()
        if search is None:
            return super().get_search_results(request, queryset, search_term)
        return search(queryset, search_term)

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
        base = form.cleaned_data.get("base_revision")
        if base is None:
            # A form without the revision it started from could overwrite anything.
            raise actions.EditConflict(Article.objects.get(pk=obj.pk), 0)
        if obj.status in LIVE_STATUSES and note:
            article = Article.objects.get(pk=obj.pk)
            actions.correct_article(
                article, actor=request.user, note=note, base_revision=base, tags=tags, **data
            )
        elif obj.status not in LIVE_STATUSES:
            actions.update_article(
                Article.objects.get(pk=obj.pk),
                actor=request.user,
                base_revision=base,
                tags=tags,
                **data,
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
                "<int:pk>/presence/",
                self.admin_site.admin_view(self.presence_view),
                name="articles_article_presence",
            ),
            path(
                "<int:pk>/withdraw/",
                self.admin_site.admin_view(self.kill_view),
                name="articles_article_withdraw",
            ),
            path(
                "<int:pk>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="articles_article_restore",
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
        base = _int_or_none(request.POST.get("base_revision", ""))
        try:
            if step == "submit":
                actions.submit_article(article, actor=request.user, base_revision=base)
            elif step == "publish":
                at = _parse_datetime(request.POST.get("at", ""), article.lang)
                actions.publish_article(article, actor=request.user, at=at, base_revision=base)
            elif step == "return":
                actions.return_article(article, actor=request.user, note=note, base_revision=base)
            else:
                raise PermissionDenied
        except actions.EditConflict:
            messages.error(
                request,
                _(
                    "Someone else saved this story since you opened it; nothing was done. "
                    "Check their changes below and try again."
                ),
            )
        except actions.WorkflowError as error:
            messages.error(request, str(error))
        else:
            article.refresh_from_db()
            messages.success(
                request, _("Done: the story is now “%s”.") % article.get_status_display()
            )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[pk]))

    def kill_view(self, request: HttpRequest, pk: int, restore: bool = False) -> HttpResponse:
        """Withdraw a story (or, for the chief, restore a withdrawn one): a page that asks
        for the reason and a confirmation, both required, then does it."""
        perm = "articles.restore_article" if restore else "articles.withdraw_article"
        if not request.user.has_perm(perm):
            raise PermissionDenied
        article = Article.objects.select_related("section").filter(pk=pk).first()
        if article is None:
            raise PermissionDenied
        error = ""
        if request.method == "POST":
            reason = request.POST.get("reason", "").strip()
            base = _int_or_none(request.POST.get("base_revision", ""))
            if not reason:
                error = _("Write the reason.")
            elif request.POST.get("confirm") != "yes":
                error = _("Tick the box to confirm.")
            else:
                try:
                    if restore:
                        actions.restore_article(
                            article, actor=request.user, reason=reason, base_revision=base
                        )
                    else:
                        actions.withdraw_article(
                            article,
                            actor=request.user,
                            reason=reason,
                            reason_public=request.POST.get("public") == "yes",
                            base_revision=base,
                        )
                except actions.EditConflict:
                    error = _(
                        "Someone else saved this story since you opened this page; "
                        "reload it and check before you confirm."
                    )
                except actions.WorkflowError as workflow_error:
                    error = str(workflow_error)
                else:
                    article.refresh_from_db()
                    messages.success(
                        request, _("Done: the story is now “%s”.") % article.get_status_display()
                    )
                    return HttpResponseRedirect(reverse("admin:articles_article_change", args=[pk]))
        return TemplateResponse(
            request,
            "admin/articles/article/kill.html",
            {
                **self.admin_site.each_context(request),
                "opts": Article._meta,
                "original": article,
                "restore": restore,
                "error": error,
                "reason": request.POST.get("reason", ""),
                "title": _("Restore a withdrawn story") if restore else _("Withdraw a story"),
            },
            status=400 if error else 200,
        )

    def restore_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.kill_view(request, pk, restore=True)

    def revision_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """History → restore: shows the word-level difference between the story now and the
        chosen revision's copy, and on confirmation restores the copy (never the status)
        through ``actions.revert_article``, as an ordinary edit."""
        article = access_article_for_edit(request.user, int(object_id))
        version = Version.objects.get_for_object(article).filter(pk=version_id).first()
        if version is None:
            raise PermissionDenied
        fields = actions.revision_fields(version)
        rows = []
        for name, value in fields.items():
            now_value = getattr(article, name)
            if str(now_value) != str(value):
                rows.append(
                    (
                        Article._meta.get_field(name).verbose_name,
                        word_diff(str(now_value), str(value)),
                    )
                )
        error = ""
        if request.method == "POST":
            note = request.POST.get("note", "").strip()
            try:
                actions.revert_article(
                    article,
                    actor=request.user,
                    version=version,
                    base_revision=_int_or_none(request.POST.get("base_revision", "")),
                    note=note,
                )
            except actions.EditConflict:
                error = _(
                    "Someone else saved this story since you opened this page; "
                    "reload it and check before you confirm."
                )
            except actions.WorkflowError as workflow_error:
                error = str(workflow_error)
            else:
                messages.success(request, _("The copy of that revision was restored."))
                return HttpResponseRedirect(
                    reverse("admin:articles_article_change", args=[article.pk])
                )
        return TemplateResponse(
            request,
            "admin/articles/article/revert.html",
            {
                **self.admin_site.each_context(request),
                "opts": Article._meta,
                "original": article,
                "version": version,
                "rows": rows,
                "error": error,
                "needs_note": article.status in LIVE_STATUSES,
                "edition": get_edition(article.lang) if article.lang in edition_codes() else None,
                "zone_label": _zone_label(article.lang),
                "title": _("Restore an earlier revision"),
            },
            status=400 if error else 200,
        )

    def recover_view(
        self, request: HttpRequest, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Stories are withdrawn, never deleted: there is nothing to recover this way.
        raise PermissionDenied

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        article = self.get_object(request, object_id)
        if article is not None:
            extra_context = {
                **(extra_context or {}),
                **_translation_context(request, article),
                "presence": _presence(article, request.user),
                "zone_label": _zone_label(article.lang),
            }
            if request.method == "GET" and self.has_change_permission(request, article):
                DeskPresence.objects.update_or_create(
                    article=article, user=request.user, defaults={"seen_at": timezone.now()}
                )
            if request.method == "POST" and self.has_change_permission(request, article):
                if request.POST.get("_resolving"):
                    request.POST = _resolved_post(request.POST)
                stale = _stale_base(request.POST, article)
                if stale is not None:
                    return self.conflict_view(request, article, stale)
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except actions.EditConflict as conflict:
            # Someone saved between the check above and this save: nothing was written.
            return self.conflict_view(request, conflict.current, conflict.base_revision)

    def presence_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The story form's ping: records that this editor has the story open and answers
        who else has, and whether someone saved since the revision the form was opened at."""
        article = access_article_for_edit(request.user, pk)
        if request.method == "POST":
            DeskPresence.objects.update_or_create(
                article=article, user=request.user, defaults={"seen_at": timezone.now()}
            )
        state = _presence(article, request.user)
        opened = _int_or_none(request.GET.get("revision", "") or request.POST.get("revision", ""))
        saved_since = None
        if opened is not None and article.revision != opened:
            latest = (
                Version.objects.get_for_object(article).select_related("revision__user").first()
            )
            who = latest.revision.user if latest is not None else None
            saved_since = {
                "by": (who.get_full_name() or who.get_username()) if who else "",
                "at": timezone.localtime(article.updated_at, _edition_zone(article.lang)).strftime(
                    "%H:%M"
                ),
                "message": _(
                    "%(who)s saved this story after you opened it: your save will show "
                    "both versions to merge."
                )
                % {"who": (who.get_username() if who else _("Someone"))},
            }
        response = JsonResponse(
            {
                "others": state["others"],
                "message": (_("Also in this story:") + " " + "، ".join(state["others"]))
                if state["others"]
                else "",
                "revision": article.revision,
                "saved_since": saved_since,
            }
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def conflict_view(self, request: HttpRequest, article: Article, base: int) -> HttpResponse:
        """The three-way merge page: the editor's text is kept, nothing was overwritten."""
        form = self.get_form(request, article)(
            request.POST, instance=Article.objects.get(pk=article.pk)
        )
        cleaned = form.cleaned_data if form.is_valid() else None
        labels = {name: str(f.label) for name, f in form.fields.items()}
        current = Article.objects.select_related("section").get(pk=article.pk)
        rows = conflicts.merge(
            conflicts.revision_values(current, base),
            conflicts.stored_values(current),
            conflicts.posted_values(request.POST, cleaned),
            labels,
        )
        last = (
            AuditEntry.objects.filter(article=current)
            .select_related("user")
            .order_by("-pk")
            .first()
        )
        versions = Version.objects.get_for_object(current).select_related("revision__user")
        latest = versions.first()
        return TemplateResponse(
            request,
            "admin/articles/article/conflict.html",
            {
                **self.admin_site.each_context(request),
                "opts": Article._meta,
                "original": current,
                "title": _("Someone else saved this story"),
                "rows": rows,
                "conflicts": [r for r in rows if r.outcome == "conflict"],
                "merged": [r for r in rows if r.outcome in ("theirs", "yours", "both-same")],
                "saved_by": latest.revision.user if latest is not None else None,
                "saved_at": latest.revision.date_created if latest is not None else None,
                "last_action": last,
                "correction_note": request.POST.get("correction_note", ""),
                "passthrough": _passthrough(request.POST),
                "needs_note": current.status in LIVE_STATUSES,
                "edition": get_edition(current.lang) if current.lang in edition_codes() else None,
                "zone_label": _zone_label(current.lang),
            },
            status=409,
        )

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
        """Two revisions side by side, word by word: every field, right-to-left in the
        desk's language, with who changed what when in between."""
        article = access_article_for_edit(request.user, pk)
        versions = list(Version.objects.get_for_object(article).select_related("revision__user"))
        by_id = {str(v.pk): v for v in versions}
        old = by_id.get(request.GET.get("a", ""), versions[-1] if versions else None)
        new = by_id.get(request.GET.get("b", ""), versions[0] if versions else None)
        if old is not None and new is not None and old.pk > new.pk:
            old, new = new, old
        zone = _edition_zone(article.lang)
        rows = revision_diff.changes(old, new, zone) if old and new else []
        between = (
            [v for v in versions if old.pk < v.pk <= new.pk] if old is not None and new else []
        )
        return TemplateResponse(
            request,
            "admin/articles/article/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": Article._meta,
                "original": article,
                "versions": [(v, revision_diff.version_label(v, zone)) for v in versions],
                "old": old,
                "new": new,
                "old_label": revision_diff.version_label(old, zone) if old else "",
                "new_label": revision_diff.version_label(new, zone) if new else "",
                "between": [
                    (
                        v,
                        timezone.localtime(v.revision.date_created, zone).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        revision_diff.comment_label(v.revision.comment),
                    )
                    for v in between
                ],
                "rows": rows,
                "zone_label": _zone_label(article.lang),
                "title": _("Compare revisions"),
            },
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        article = self.get_object(request, object_id)
        zone = _edition_zone(article.lang if article is not None else default_edition().code)
        response = super().history_view(request, object_id, extra_context)
        if hasattr(response, "context_data"):
            response.context_data["history_zone"] = zone
            for action in response.context_data.get("action_list", []):
                action["label"] = revision_diff.comment_label(action["revision"].comment)
            response.context_data["zone_label"] = _zone_label(
                article.lang if article is not None else default_edition().code
            )
        return response

    @admin.action(description=gettext_lazy("Publish the selected stories"))
    def bulk_publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._bulk(request, queryset, actions.publish_article)

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


#: How long an editor counts as "in the story" after the last ping (the form pings every 5 s).
PRESENCE_WINDOW = datetime.timedelta(seconds=30)


def _presence(article: Article, user: Any) -> dict[str, list[str]]:
    recent = (
        DeskPresence.objects.filter(article=article, seen_at__gte=timezone.now() - PRESENCE_WINDOW)
        .exclude(user=user)
        .select_related("user")
        .order_by("seen_at")
    )
    return {"others": [p.user.get_full_name() or p.user.get_username() for p in recent]}


def _zone_label(lang: str) -> str:
    """'Tehran time' (بتوقيت طهران) for the desk's date and time fields."""
    return zone_label(lang)


def _stale_base(data: Any, article: Article) -> int | None:
    """The revision a posted form started from, when the story has moved on since."""
    try:
        base = int(data.get("base_revision", ""))
    except ValueError:
        return 0  # no revision at all: treat as the oldest, so nothing is overwritten
    current = Article.objects.filter(pk=article.pk).values_list("revision", flat=True).first()
    return base if current is not None and current != base else None


def _passthrough(data: Any) -> list[tuple[str, str]]:
    """What else the form sent (the inline tables' rows and counters), carried unchanged
    through the conflict page."""
    own = set(conflicts.FIELDS) | {
        "csrfmiddlewaretoken",
        "base_revision",
        "correction_note",
        "_resolving",
        "_save",
        "_continue",
        "_addanother",
        "published_at_0",
        "published_at_1",
        "embargo_until_0",
        "embargo_until_1",
    }
    prefixes = ("resolve_", "theirs_", "yours_", "hand_")
    return [
        (key, value)
        for key, values in data.lists()
        if key not in own and not key.startswith(prefixes)
        for value in values
    ]


def _resolved_post(data: Any) -> Any:
    """The form as the conflict page settled it: each conflicting field takes theirs,
    yours, or the text merged by hand."""
    post = data.copy()
    for name in conflicts.FIELDS:
        choice = data.get(f"resolve_{name}")
        if choice is None:
            continue
        source = {"theirs": "theirs_", "yours": "yours_", "hand": "hand_"}.get(choice, "yours_")
        if name == "tags":
            values = data.get(f"{source}{name}", "")
            post.setlist(name, [v for v in values.split(",") if v])
        elif name in ("published_at", "embargo_until"):
            value = data.get(f"{source}{name}", "")
            date, _sep, time = value.partition(" ")
            post[f"{name}_0"], post[f"{name}_1"] = date, time
        else:
            post[name] = data.get(f"{source}{name}", "")
    post.pop("_resolving", None)
    return post


def _status_label(code: str) -> str:
    return str(Status(code).label) if code in Status.values else code


#: The system actors' audit names ("system:scheduler") as the desk says them.
SYSTEM_ACTORS = {
    "system:scheduler": gettext_lazy("the scheduler"),
    "system:command-line": gettext_lazy("the command line"),
    "system:demo": gettext_lazy("the demo loader"),
    "system:migration": gettext_lazy("a migration"),
}


def _system_actor_label(name: str) -> str:
    if name in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[name])
    if name.startswith("system:"):
        return f"{_('the system')} ({name.partition(':')[2]})"
    if name.startswith("partner:"):
        return _("partner %(name)s") % {"name": name.partition(" ")[2] or name}
    return name


def _edition_zone(lang: str) -> Any:
    return (get_edition(lang) if lang in edition_codes() else default_edition()).time_zone


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_datetime(value: str, lang: str) -> Any:
    """A time typed in the desk means the edition's time zone (the desk says so)."""
    if not value:
        return None
    # The form field makes the typed time aware in the active zone: make that the edition's.
    with timezone.override(_edition_zone(lang)):
        parsed = forms.DateTimeField().clean(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, _edition_zone(lang))
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


class AuditActionFilter(admin.SimpleListFilter):
    title = gettext_lazy("Action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*actions.ACTION_LABELS.items(), *AUDIT_ACTIONS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "story", "action_label", "from_label", "to_label", "who"]
    list_filter = [AuditActionFilter]
    list_select_related = ["article", "user"]

    @admin.display(description=gettext_lazy("Story"), ordering="article")
    def story(self, entry: AuditEntry) -> str:
        return entry.article.headline

    @admin.display(description=gettext_lazy("Action"), ordering="action")
    def action_label(self, entry: AuditEntry) -> str:
        label = actions.ACTION_LABELS.get(entry.action) or AUDIT_ACTIONS.get(entry.action)
        return str(label) if label else entry.action

    @admin.display(description=gettext_lazy("From"))
    def from_label(self, entry: AuditEntry) -> str:
        return _status_label(entry.from_status)

    @admin.display(description=gettext_lazy("To"))
    def to_label(self, entry: AuditEntry) -> str:
        return _status_label(entry.to_status)

    @admin.display(description=gettext_lazy("By"))
    def who(self, entry: AuditEntry) -> str:
        if entry.user is not None:
            return entry.user.get_username()
        return _system_actor_label(entry.actor)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "signoff_code"]
