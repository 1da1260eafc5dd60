"""The reader search form: every field optional, anything typed is accepted."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Section
from khabar.search.backends.base import ORDERS
from khabar.site.editions import all_editions

MAX_PAGE = 1000


class SearchForm(forms.Form):
    # No max_length: a pasted paragraph is still a query (the parser cuts it), never an error.
    q = forms.CharField(label=_("Search for"), required=False, strip=True)
    section = forms.ModelChoiceField(
        label=_("Section"),
        queryset=Section.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("All sections"),
    )
    lang = forms.ChoiceField(label=_("Edition"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("relevance", _("Relevance")), ("newest", _("Newest first"))],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def __init__(self, *args: Any, edition: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.edition = edition
        self.fields["section"].queryset = Section.objects.filter(lang=edition)
        self.fields["lang"].choices = [
            (e.code, e.name) for e in all_editions() if e.code == edition
        ] + [("all", _("All editions"))]

    def value(self, name: str) -> Any:
        """The cleaned value of a field, or None where the field was missing or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)

    @property
    def order_value(self) -> str:
        order = self.value("order")
        return order if order in ORDERS else "relevance"

    @property
    def lang_value(self) -> str | None:
        return None if self.value("lang") == "all" else self.edition

    def date_bounds(
        self, tz: datetime.tzinfo
    ) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The date range as aware datetimes in the edition's zone: [from 00:00, to+1 00:00)."""
        start, end = self.value("date_from"), self.value("date_to")
        lower = datetime.datetime.combine(start, datetime.time.min, tz) if start else None
        upper = (
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tz)
            if end
            else None
        )
        return lower, upper
