"""The desk's live stories: start one from a published story, write updates in a few
seconds each (text, sign-off, optional photo, pin), correct or pin them, end the story.

Every save goes through ``khabar.live.actions`` with the signed-in editor as the actor;
the desk rights are the publishing right (``articles.publish_article``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.articles.models import StaffProfile
from khabar.live import actions
from khabar.live.models import LiveState, LiveStory, LiveUpdate


class _DeskRights:
    """Editors and the chief run live stories: whoever may publish."""

    def _allowed(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.has_perm(actions.PERM))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LiveStory)
class LiveStoryAdmin(_DeskRights, admin.ModelAdmin):
    list_display = ["__str__", "state", "started_at", "seq"]
    list_filter = ["state"]
    raw_id_fields = ["article"]
    actions = ["end_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["article", "state", "started_at", "ended_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: LiveStory, form: Any, change: bool) -> None:
        if change:
            return
        try:
            started = actions.start_live(obj.article, actor=request.user)
        except ValidationError as error:
            raise PermissionDenied(" ".join(error.messages)) from error
        obj.pk = started.pk
        obj.refresh_from_db()

    @admin.action(description=gettext_lazy("End the selected live stories"))
    def end_selected(self, request: HttpRequest, queryset: QuerySet[LiveStory]) -> None:
        for live in queryset.filter(state=LiveState.OPEN):
            actions.end_live(live, actor=request.user)
        self.message_user(request, _("Ended."), messages.SUCCESS)


class LiveUpdateForm(forms.ModelForm):
    pin = forms.BooleanField(label=gettext_lazy("Pin it above the others"), required=False)

    class Meta:
        model = LiveUpdate
        fields = ["live", "text", "signoff", "photo", "correction_note"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "dir": "auto"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "live" in self.fields:
            self.fields["live"].queryset = LiveStory.objects.filter(
                state=LiveState.OPEN
            ).select_related("article")
        if self.instance.pk:
            self.fields["pin"].initial = self.instance.pinned


@admin.register(LiveUpdate)
class LiveUpdateAdmin(_DeskRights, admin.ModelAdmin):
    form = LiveUpdateForm
    list_display = ["__str__", "live", "created_at", "pinned", "signoff", "corrected_at"]
    list_filter = ["pinned", "live"]
    raw_id_fields = ["photo"]
    actions = ["pin_selected", "unpin_selected"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["live", "text", "signoff", "photo", "pin"]
        return ["text", "correction_note", "pin"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """The editor's own sign-off code, so an update is text and one click."""
        initial = super().get_changeform_initial_data(request)
        profile = StaffProfile.objects.filter(user_id=request.user.pk).first()
        if profile is not None:
            initial.setdefault("signoff", profile.signoff_code)
        return initial

    def save_model(self, request: HttpRequest, obj: LiveUpdate, form: Any, change: bool) -> None:
        pin = form.cleaned_data.get("pin", False)
        if not change:
            created = actions.post_update(
                obj.live,
                actor=request.user,
                text=obj.text,
                signoff=obj.signoff,
                photo=obj.photo,
                pinned=pin,
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        current = LiveUpdate.objects.select_related("live").get(pk=obj.pk)
        if "text" in form.changed_data or "correction_note" in form.changed_data:
            actions.correct_update(
                current, actor=request.user, text=obj.text, note=obj.correction_note
            )
        if pin != current.pinned:
            actions.pin_update(current, actor=request.user, pinned=pin)
        obj.refresh_from_db()

    def response_add(self, request: HttpRequest, obj: LiveUpdate, post_url_continue: Any = None):
        # Back to an empty form for the same story: the next update is a few keystrokes away.
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        self.message_user(request, _("Update published."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:live_liveupdate_add") + f"?live={obj.live_id}")

    @admin.action(description=gettext_lazy("Pin the selected updates"))
    def pin_selected(self, request: HttpRequest, queryset: QuerySet[LiveUpdate]) -> None:
        for update in queryset.select_related("live"):
            actions.pin_update(update, actor=request.user, pinned=True)

    @admin.action(description=gettext_lazy("Unpin the selected updates"))
    def unpin_selected(self, request: HttpRequest, queryset: QuerySet[LiveUpdate]) -> None:
        for update in queryset.select_related("live"):
            actions.pin_update(update, actor=request.user, pinned=False)
