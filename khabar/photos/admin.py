"""The photo library in the desk, and the photos inline on a story's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khabar.articles.actions import check_can_change
from khabar.articles.admin import ArticleAdmin
from khabar.photos import actions
from khabar.photos.models import Format, Photo, Role, StoryPhoto
from khabar.photos.search import search_photos
from khabar.photos.validation import inspect_upload

TEXT_FIELDS = ["caption", "credit", "copyright_holder", "alt_text", "keywords", "lang"]
TEXT_WIDGETS = {
    "caption": forms.Textarea({"rows": 3, "dir": "auto"}),
    "credit": forms.TextInput({"dir": "auto", "size": 50}),
    "copyright_holder": forms.TextInput({"dir": "auto", "size": 50}),
    "alt_text": forms.Textarea({"rows": 2, "dir": "auto"}),
    "keywords": forms.TextInput({"dir": "auto", "size": 80}),
}


class PhotoUploadForm(forms.ModelForm):
    upload = forms.FileField(
        label=gettext_lazy("Photo file"),
        help_text=gettext_lazy(
            "JPEG, PNG or WebP. Caption, credit, copyright and keywords left blank are read "
            "from the file's IPTC/XMP metadata."
        ),
        widget=forms.ClearableFileInput({"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = Photo
        fields = TEXT_FIELDS
        widgets = TEXT_WIDGETS

    def clean_upload(self) -> Any:
        upload = self.cleaned_data["upload"]
        data = actions.read_upload(upload)
        # Checked here too so the desk sees the reason next to the field, nothing stored.
        inspect_upload(data, lang=self.data.get("lang") or "ar").image.close()
        self.upload_bytes = data
        return upload


class PhotoChangeForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = TEXT_FIELDS
        widgets = TEXT_WIDGETS


def _thumb(photo: Photo, width: int = 320, css: str = "photo-thumb") -> str:
    renditions = [r for r in photo.renditions.all() if r.format == Format.JPEG]
    if not renditions:
        return "—"
    best = min(renditions, key=lambda r: (abs(r.width - width), r.width))
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" class="{}" loading="lazy">',
        best.url,
        best.width,
        best.height,
        photo.alt_text,
        css,
    )


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "__str__", "credit", "lang", "dimensions", "render_status"]
    list_filter = ["lang", "render_status"]
    # The search itself is the analyzer's (get_search_results); this enables autocomplete.
    search_fields = ["caption"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "preview",
        "dimensions",
        "mime_type",
        "file_size",
        "render_status",
        "embedded_metadata",
        "used_in",
        "uploaded_by",
        "created_at",
        "updated_at",
    ]

    class Media:
        css = {"all": ["khabar/photos.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Photo]:
        return super().get_queryset(request).prefetch_related("renditions")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = PhotoChangeForm if obj is not None else PhotoUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["upload", *TEXT_FIELDS]})]
        return [
            (None, {"fields": ["preview", *TEXT_FIELDS]}),
            (
                _("File"),
                {
                    "fields": [
                        "dimensions",
                        "mime_type",
                        "file_size",
                        "render_status",
                        "embedded_metadata",
                        "used_in",
                        "uploaded_by",
                        "created_at",
                        "updated_at",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A photo's texts show on every story it illustrates: changing them takes the right
        # to change each of those stories (update_photo checks the same; this shows the
        # page read-only and refuses a post with 403).
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        try:
            for story in actions.stories_showing(obj):
                check_can_change(request.user, story)
        except PermissionDenied:
            return False
        return True

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Photo], search_term: str
    ) -> tuple[QuerySet[Photo], bool]:
        return search_photos(queryset, search_term), False

    def save_model(self, request: HttpRequest, obj: Photo, form: Any, change: bool) -> None:
        texts = {name: form.cleaned_data.get(name) or "" for name in TEXT_FIELDS}
        if change:
            actions.update_photo(obj, actor=request.user, **texts)
            return
        lang = texts.pop("lang") or "ar"
        photo = actions.upload_photo(form.upload_bytes, actor=request.user, lang=lang, **texts)
        if getattr(photo, "reused", False):
            messages.info(request, _("This file is already in the library; here it is."))
        obj.__dict__.update({k: v for k, v in photo.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.uses.exists():
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Photo) -> None:
        actions.delete_photo(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        for photo in queryset:
            try:
                actions.delete_photo(photo, actor=request.user)
            except ValidationError as error:
                messages.warning(request, f"{photo}: {' '.join(error.messages)}")

    @admin.display(description=gettext_lazy("Photo"))
    def thumbnail(self, obj: Photo) -> str:
        return _thumb(obj)

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, obj: Photo) -> str:
        return _thumb(obj, 960, "photo-preview")

    @admin.display(description=gettext_lazy("Size"))
    def dimensions(self, obj: Photo) -> str:
        # Isolated left-to-right, or "1600×900" reads as "900×1600" in a right-to-left page.
        return format_html('<bdi dir="ltr">{}×{}</bdi>', obj.width, obj.height)

    @admin.display(description=gettext_lazy("Embedded metadata"))
    def embedded_metadata(self, obj: Photo) -> str:
        if not obj.embedded:
            return "—"
        labels = {
            "caption": gettext_lazy("caption"),
            "credit": gettext_lazy("credit"),
            "creator": gettext_lazy("photographer"),
            "copyright_holder": gettext_lazy("copyright holder"),
            "headline": gettext_lazy("headline"),
            "alt_text": gettext_lazy("alt text"),
            "keywords": gettext_lazy("keywords"),
        }
        rows = (
            (labels.get(key, key), "، ".join(value) if isinstance(value, list) else value)
            for key, value in obj.embedded.items()
        )
        return format_html(
            "<dl>{}</dl>", format_html_join("", '<dt>{}</dt><dd dir="auto">{}</dd>', rows)
        )

    @admin.display(description=gettext_lazy("Used in"))
    def used_in(self, obj: Photo) -> str:
        links = obj.uses.select_related("article")
        if not links:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="../../../articles/article/{}/change/" dir="auto">{}</a> ({})</li>',
                ((u.article_id, u.article.headline, u.get_role_display()) for u in links),
            ),
        )


class StoryPhotoFormSet(BaseInlineFormSet):
    """Saves through the photo actions, so links are audited and pages purged."""

    request: HttpRequest | None = None

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # The story form is posted by scripts and older clients that know nothing of photos;
        # without this inline's management form they mean "no change to the photos".
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data[f"{prefix}-TOTAL_FORMS"] = "0"
            data[f"{prefix}-INITIAL_FORMS"] = "0"
        super().__init__(data, *args, **kwargs)

    def clean(self) -> None:
        super().clean()
        leads = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == Role.LEAD
        ]
        if len(leads) > 1:
            raise ValidationError(_("A story has one lead photo; put the others in the gallery."))

    def _user(self) -> Any:
        if self.request is None:
            raise PermissionDenied
        return self.request.user

    def save_new(self, form: Any, commit: bool = True) -> StoryPhoto:
        data = form.cleaned_data
        return actions.attach_photo(
            self.instance,
            data["photo"],
            actor=self._user(),
            role=data["role"],
            position=data.get("position") or 0,
            caption=data.get("caption", ""),
        )

    def save_existing(self, form: Any, obj: StoryPhoto, commit: bool = True) -> StoryPhoto:
        if "photo" in form.changed_data:
            old = StoryPhoto.objects.filter(pk=obj.pk).select_related("photo").first()
            if old is not None:
                actions.detach_photo(self.instance, old.photo, actor=self._user())
        return self.save_new(form, commit)

    def delete_existing(self, obj: StoryPhoto, commit: bool = True) -> None:
        actions.detach_photo(self.instance, obj.photo, actor=self._user())


class StoryPhotoInline(admin.TabularInline):
    model = StoryPhoto
    formset = StoryPhotoFormSet
    extra = 0
    autocomplete_fields = ["photo"]
    fields = ["photo", "thumbnail", "role", "position", "caption"]
    readonly_fields = ["thumbnail"]
    verbose_name = gettext_lazy("photo")
    verbose_name_plural = gettext_lazy("Photos")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    @admin.display(description=gettext_lazy("Preview"))
    def thumbnail(self, obj: StoryPhoto) -> str:
        return _thumb(obj.photo) if obj.pk else "—"


ArticleAdmin.inlines = [*ArticleAdmin.inlines, StoryPhotoInline]
