"""Partners in the desk: create one, issue it tokens (shown once), revoke them; and the
updates of live stories that untrusted partners sent, which an editor applies or discards."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.articles.actions import EditConflict, WorkflowError
from khabar.articles.models import Article
from khabar.syndication import actions
from khabar.syndication.models import (
    ForeignItem,
    HeldUpdate,
    IngestRecord,
    Partner,
    PartnerToken,
    PictureFetch,
    Provider,
)


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
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Partner]) -> HttpResponse:
        # The raw token goes out once, in this page's body: never in a message, which Django
        # keeps in a cookie, nor in any cache.
        label = _("issued in the desk")
        issued = [
            (partner, actions.create_partner_token(partner, actor=request.user, label=label)[1])
            for partner in queryset
        ]
        response = TemplateResponse(
            request,
            "syndication/admin/issued_tokens.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New API tokens"),
                "opts": self.model._meta,
                "issued": issued,
            },
        )
        add_never_cache_headers(response)
        return response

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


# Held updates ---------------------------------------------------------------------------


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Correction note for readers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    # The story's edit revision shown next to the update: applying it over a newer one
    # would undo what the desk did since, so that is refused as a conflict.
    base_revision = forms.IntegerField(widget=forms.HiddenInput)


#: The story's fields shown next to the incoming ones, in this order.
COMPARED = [
    "headline",
    "summary",
    "dateline_city",
    "dateline_date",
    "dateline_agency",
    "body",
    "byline",
    "signoff",
]


def compared_rows(held: HeldUpdate) -> list[tuple[str, Any, Any]]:
    """(label, on the story now, in the update) for each field the update changes."""
    story = held.article
    rows = []
    for name in COMPARED:
        now = getattr(story, name)
        incoming = held.fields.get(name)
        if incoming is None or str(now) == str(incoming):
            continue
        rows.append((str(Article._meta.get_field(name).verbose_name), now, incoming))
    return rows


class PendingFilter(admin.SimpleListFilter):
    title = gettext_lazy("outcome")
    parameter_name = "resolution"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("all", _("All")), *HeldUpdate.Resolution.choices[1:]]

    def choices(self, changelist: Any) -> Any:
        # "Waiting" is the default view, so the link to it has no parameter.
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": HeldUpdate.Resolution.PENDING.label,
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request: HttpRequest, queryset: QuerySet[HeldUpdate]) -> Any:
        value = self.value()
        if value is None:
            return queryset.filter(resolution=HeldUpdate.Resolution.PENDING)
        if value == "all":
            return queryset
        return queryset.filter(resolution=value)


@admin.register(HeldUpdate)
class HeldUpdateAdmin(admin.ModelAdmin):
    list_display = ["article", "partner", "source_version", "received_at", "resolution"]
    list_filter = [PendingFilter, "partner"]
    list_select_related = ["article", "partner"]
    search_fields = ["article__headline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The update next to the story as it is now, with Apply (a correction with the
        editor's note) and Discard."""
        held = get_object_or_404(
            HeldUpdate.objects.select_related("article", "partner"), pk=object_id
        )
        if not self.has_view_permission(request, held):
            raise PermissionDenied
        may_resolve = held.is_pending and self.has_change_permission(request, held)
        if request.method == "POST":
            if not may_resolve:
                raise PermissionDenied
            form = ResolveForm(request.POST)
            if form.is_valid() and self._resolve(request, held, form):
                return HttpResponseRedirect(reverse("admin:syndication_heldupdate_changelist"))
            # Nothing was written: show the story as it is now, and let the editor retry
            # from it (a conflict's error stays above the form).
            held = HeldUpdate.objects.select_related("article", "partner").get(pk=held.pk)
            errors = form.non_field_errors()
            data = request.POST.copy()
            data["base_revision"] = str(held.article.revision)
            form = ResolveForm(data)
            form.is_valid()
            for error in errors:
                form.add_error(None, error)
        else:
            form = ResolveForm(
                initial={
                    "note": held.fields.get("correction_note") or "",
                    "base_revision": held.article.revision,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Update held for an editor"),
            "opts": self.model._meta,
            "held": held,
            "rows": compared_rows(held),
            "form": form,
            "may_resolve": may_resolve,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "syndication/admin/held_update.html", context)

    def _resolve(self, request: HttpRequest, held: HeldUpdate, form: ResolveForm) -> bool:
        note = form.cleaned_data["note"].strip()
        try:
            if "_discard" in request.POST:
                actions.discard_held_update(held, actor=request.user, note=note)
                messages.success(request, _("The update was discarded; the story is unchanged."))
            else:
                article = actions.apply_held_update(
                    held,
                    actor=request.user,
                    note=note,
                    base_revision=form.cleaned_data["base_revision"],
                )
                messages.success(
                    request,
                    _("The update of “%(headline)s” is applied.") % {"headline": article.headline},
                )
        except EditConflict:
            form.add_error(
                None,
                _("The story changed since you opened this page; look at it again and retry."),
            )
            return False
        except WorkflowError as error:
            form.add_error(None, str(error))
            return False
        except PermissionDenied:
            form.add_error(None, _("You may not correct this story."))
            return False
        return True


@admin.register(IngestRecord)
class IngestRecordAdmin(admin.ModelAdmin):
    """What each ingested item said that readers never see: the schema check and the notes
    to editors (desk-only), with the subheadline, genre and priority."""

    list_display = [
        "source_id",
        "source_version",
        "format",
        "schema_valid",
        "outcome",
        "received_at",
    ]
    list_filter = ["format", "schema_valid", "outcome", "pub_status"]
    search_fields = ["source_id", "desk_note"]
    readonly_fields = [f.name for f in IngestRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _translate_action(lang: str, name: str) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for item in queryset:
            try:
                draft = actions.start_foreign_translation(item, lang=lang, actor=request.user)
            except (WorkflowError, PermissionDenied) as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
                return
            modeladmin.message_user(
                request,
                _("Draft %(pk)s opened in %(edition)s.") % {"pk": draft.pk, "edition": name},
            )

    action.__name__ = f"translate_into_{lang}"
    return admin.action(description=_("Start a translation into %(edition)s") % {"edition": name})(
        action
    )


@admin.register(ForeignItem)
class ForeignItemAdmin(admin.ModelAdmin):
    """The incoming queue of items in languages no edition publishes in: read in their own
    direction, then translated into an edition from here."""

    list_display = ["headline_in_direction", "lang", "provider", "pub_status", "received_at"]
    list_filter = ["lang", "provider", "pub_status"]
    search_fields = ["headline", "source_id"]
    readonly_fields = [
        "text_in_direction",
        *[f.name for f in ForeignItem._meta.fields if f.name not in ("body",)],
    ]
    exclude = ["body", "translations"]

    @admin.display(description=gettext_lazy("headline"))
    def headline_in_direction(self, obj: ForeignItem) -> str:
        return format_html(
            '<span lang="{}" dir="{}">{}</span>', obj.lang, obj.direction, obj.headline
        )

    @admin.display(description=gettext_lazy("text"))
    def text_in_direction(self, obj: ForeignItem) -> str:
        return format_html(
            '<div lang="{}" dir="{}">{}</div>',
            obj.lang,
            obj.direction,
            format_html_join("", "<p>{}</p>", ((p,) for p in obj.paragraphs)),
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        from django.conf import settings

        for lang, edition in settings.KHABAR_EDITIONS.items():
            name = str(edition.get("name", lang)) if isinstance(edition, dict) else lang
            action = _translate_action(lang, name)
            found[action.__name__] = (action, action.__name__, action.short_description)
        return found

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProviderForm(forms.ModelForm):
    # The private key is written, never shown again: left empty, the stored one is kept.
    ssh_key = forms.CharField(
        label=gettext_lazy("SSH private key"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "For an SFTP folder: the private key (Ed25519, ECDSA or RSA) that logs in. "
            "It is not shown again; leave this empty to keep the one stored."
        ),
    )

    class Meta:
        model = Provider
        fields = [
            "name",
            "kind",
            "address",
            "ssh_key",
            "host_key",
            "after_taking",
            "interval",
            "partner",
            "lang",
            "section",
            "picture_hosts",
            "is_active",
        ]
        widgets = {
            "address": forms.TextInput(attrs={"dir": "ltr", "size": 60}),
            "host_key": forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["ssh_key"] = ""

    def clean_ssh_key(self) -> str:
        given = self.cleaned_data.get("ssh_key") or ""
        return given if given.strip() else (self.instance.ssh_key if self.instance.pk else "")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = [
        "name",
        "kind",
        "partner",
        "is_active",
        "status",
        "last_polled_at",
        "documents_count",
        "stories_count",
        "errors_count",
    ]
    list_filter = ["is_active", "kind", "status"]
    search_fields = ["name", "address"]
    readonly_fields = [
        "status",
        "last_error",
        "last_polled_at",
        "documents_count",
        "stories_count",
        "errors_count",
    ]
    actions = ["poll_now"]

    def get_fields(self, request: HttpRequest, obj: Provider | None = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # A view-only form shows every field's value as text (editors may view
            # providers): the private key is written, never shown, so it is left out.
            fields = [name for name in fields if name != "ssh_key"]
        return fields

    @admin.action(description=gettext_lazy("Poll now"), permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Provider]) -> None:
        for provider in queryset.select_related("partner", "section"):
            provider = actions.poll_provider(provider, actor=request.user)
            level = messages.ERROR if provider.status == Provider.Health.FAILING else messages.INFO
            self.message_user(
                request,
                _("%(name)s: %(status)s. %(error)s")
                % {
                    "name": provider.name,
                    "status": provider.get_status_display(),
                    "error": provider.last_error,
                },
                level,
            )


@admin.register(PictureFetch)
class PictureFetchAdmin(admin.ModelAdmin):
    list_display = ["url", "article", "provider", "state", "error", "created_at"]
    list_filter = ["state", "provider"]
    readonly_fields = [
        "article",
        "provider",
        "url",
        "source_id",
        "state",
        "error",
        "photo_id",
        "claimed_at",
        "attempts",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
