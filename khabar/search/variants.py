"""Spelling variants of names at query time: the desk's table (``NameVariant``)."""

from __future__ import annotations

from django.db.models import Q

from khabar.lib.arabic import word_forms


def variant_forms(spellings: str) -> list[str]:
    """The exact forms of a group's spellings, in order, each once (Arabic analysis)."""
    from khabar.lib.arabic import tokenize

    return list(dict.fromkeys(word_forms(token.term)[0] for token in tokenize(spellings)))


def variants_for(forms: set[str], *, using: str = "default") -> dict[str, tuple[str, ...]]:
    """Return ``{exact form: the other forms of its groups}`` for the forms that have any."""
    from khabar.search.models import NameVariant

    forms = {form for form in forms if form and " " not in form}
    if not forms:
        return {}
    match = Q()
    for form in forms:
        match |= Q(forms__contains=f" {form} ")
    found: dict[str, list[str]] = {}
    for row in NameVariant.objects.using(using).filter(match).values_list("forms", flat=True):
        group = row.split()
        for form in forms.intersection(group):
            found.setdefault(form, []).extend(other for other in group if other != form)
    return {form: tuple(dict.fromkeys(others)) for form, others in found.items()}
