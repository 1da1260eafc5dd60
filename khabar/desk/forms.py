"""The desk home's forms: a flash, and wire copy to import (files or pasted text)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Section

#: Wire files are small text; a larger upload is not wire copy.
MAX_WIRE_BYTES = 512 * 1024
MAX_WIRE_FILES = 50


class _SectionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_lang_display()} · {obj.name}"


class FlashForm(forms.Form):
    headline = forms.CharField(
        label=_("Flash"),
        max_length=300,
        widget=forms.TextInput({"dir": "auto", "class": "vLargeTextField", "autocomplete": "off"}),
        help_text=_("One line; it leads the edition's home page and ticker at once."),
    )
    dateline_city = forms.CharField(
        label=_("Dateline city"), max_length=80, widget=forms.TextInput({"dir": "auto"})
    )
    section = _SectionChoice(label=_("Section"), queryset=Section.objects.all())

    def __init__(self, *args: Any, edition: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if edition:
            self.fields["section"].queryset = Section.objects.filter(lang=edition)


class _MultipleFiles(forms.ClearableFileInput):
    allow_multiple_selected = True


class WireImportForm(forms.Form):
    files = forms.Field(
        label=_("Wire files"),
        required=False,
        widget=_MultipleFiles({"accept": ".txt,text/plain"}),
    )
    text = forms.CharField(
        label=_("Or paste wire text"),
        required=False,
        widget=forms.Textarea({"rows": 14, "dir": "auto", "class": "wire-text"}),
    )
    section = _SectionChoice(
        label=_("Section"),
        queryset=Section.objects.all(),
        required=False,
        empty_label=_("The edition's first section"),
    )
    publish = forms.BooleanField(label=_("Publish at once"), required=False)

    def clean_files(self) -> list[Any]:
        files = self.files.getlist("files") if hasattr(self.files, "getlist") else []
        if len(files) > MAX_WIRE_FILES:
            raise forms.ValidationError(_("At most %(n)d files at a time.") % {"n": MAX_WIRE_FILES})
        for upload in files:
            if upload.size > MAX_WIRE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is too large to be wire copy.") % {"name": upload.name}
                )
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("files") and not data.get("text", "").strip():
            raise forms.ValidationError(_("Choose wire files or paste wire text."))
        return data
