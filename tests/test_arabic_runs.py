"""The analyzer's fast path (words found by runs, ``khabar.lib.arabic._RUN_RE``) gives the
words ``_WORD_RE`` finds in the whole text, analysed the same, whatever the text: mixed
scripts, marks, invisible joiners, underscores, digits and punctuation in any order."""

from __future__ import annotations

import random

import pytest

from khabar.lib import arabic
from khabar.lib.arabic import _WORD_RE, _index_forms, analyze_forms, analyze_terms, forms_text

# Letters, digits, marks, joiners (inside and at the ends of words), underscores,
# punctuation and spaces that a wire story or a pasted comment may hold.
ALPHABET = [
    *"كتبالمدرسةأإآؤئىةـ",
    *"abcXYZéß",
    *"0123٠١٢۳",
    "\u064b",  # fathatan
    "\u0651",  # shadda
    "\u0670",  # superscript alef
    "\u0301",  # combining acute
    "\u200c",  # ZWNJ
    "\u200d",  # ZWJ
    "\u00ad",  # soft hyphen
    "\ufeff",  # BOM
    "\U000e0041",  # tag letter
    "_",
    " ",
    " ",
    "\n",
    "،",
    ".",
    "-",
    "ﻻ",
    "ی",
]


def words_then_forms(text: str, lang: str) -> list[tuple[str, str]]:
    """The analysis word by word, as it was before runs."""
    return [pair for pair in (_index_forms(w, lang) for w in _WORD_RE.findall(text)) if pair[1]]


@pytest.mark.parametrize("lang", ["ar", "en", "fa"])
def test_runs_give_the_words_of_the_whole_text(lang: str) -> None:
    rng = random.Random(19)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        expected = words_then_forms(text, lang)
        assert analyze_forms(text, lang=lang) == expected, repr(text)
        assert analyze_terms(text, lang=lang) == [stem for _, stem in expected], repr(text)


def test_edge_cases() -> None:
    cases = {
        "_كتاب": ["كتاب"],
        "كتب_قلم": ["كتب", "قلم"],
        "مي\u200cرود": ["ميرود"],  # a joiner inside a word joins it
        "كتب\u200c قلم": ["كتب", "قلم"],  # at its end it does not
        "كتب\u200c\u064bقلم": ["كتب", "قلم"],  # a mark after a joiner ends the word
        "\u064bكتب": ["كتب"],
        "": [],
        "ـ": [],  # a lone tatweel normalises to nothing
    }
    for text, exact in cases.items():
        assert [e for e, _ in analyze_forms(text, lang="fa")] == exact, repr(text)


def test_the_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arabic, "_RUN_CACHE_SIZE", 8)
    monkeypatch.setattr(arabic, "_RUN_FORMS", {})
    text = " ".join(f"كلمة{n}" for n in range(50))
    assert forms_text(text) == (
        " ".join(e for e, _ in words_then_forms(text, "ar")),
        " ".join(s for _, s in words_then_forms(text, "ar")),
    )
    assert len(arabic._RUN_FORMS["ar"]) <= 8
