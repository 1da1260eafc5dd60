"""The search app's one model: spelling variants of names, applied at query time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NameVariant(models.Model):
    """One group of spellings of a name (جازان جيزان): a query for one finds them all.

    ``forms`` holds the analysed exact forms, space-separated and space-padded, written by
    ``khabar.search.actions.save_name_variant``; nothing else writes it.
    """

    spellings = models.CharField(
        _("spellings"),
        max_length=500,
        help_text=_("Every spelling of the name, separated by spaces, the usual one first."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    forms = models.CharField(max_length=1000, editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("name variant")
        verbose_name_plural = _("name variants")
        ordering = ["spellings"]

    def __str__(self) -> str:
        return self.spellings
