"""Tests for khabar.lib.arabic: the one normaliser, stemmer and word matcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khabar.lib import arabic_stem
from khabar.lib.arabic import (
    STOPWORDS,
    Token,
    WordMatcher,
    analyze,
    analyze_forms,
    analyze_terms,
    analyzed_text,
    fingerprint,
    forms_text,
    is_stopword,
    normalize,
    stem,
    strip_bidi_controls,
    tokenize,
)

SAMPLE = Path("/work/shared/samples/wire-ar-moscow-2342.txt")


def term(word: str, lang: str = "ar") -> str:
    (only,) = analyze_terms(word, lang=lang)
    return only


# --- normalize ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # hamza and alef forms
        ("أحمد", "احمد"),
        ("إيران", "ايران"),
        ("آخر", "اخر"),
        ("ٱلرحمن", "الرحمن"),
        ("مسؤول", "مسوول"),
        ("رئيس", "رييس"),
        # alef maqsura and taa marbuta
        ("مصطفى", "مصطفي"),
        ("المقاومة", "المقاومه"),
        # harakat, tanwin, shadda, sukun
        ("مُحَمَّدٌ", "محمد"),
        ("كتابًا", "كتابا"),
        ("مَدْرَسَةٍ", "مدرسه"),
        # superscript alef and Quranic marks
        ("هٰذا", "هذا"),
        ("الرَّحْمٰنِ ۖ", "الرحمن "),
        # tatweel
        ("كَـلـب", "كلب"),
        ("الســـلام", "السلام"),
        # Arabic-Indic and Persian digits
        ("٢٠٢٤", "2024"),
        ("۱۴۰۳", "1403"),
        ("3+3 و ٣+٣", "3+3 و 3+3"),
        # Persian letters, as the agency's copy is typed
        ("مدیر", "مدير"),
        ("الصهیونی", "الصهيوني"),
        ("کتاب", "كتاب"),
        ("خانۀ", "خانه"),
        # Latin casefold
        ("Reuters AFP", "reuters afp"),
        ("Straße", "strasse"),
        # presentation forms through NFKC, but not ﷺ, which would become a phrase
        ("ﻻ", "لا"),
        ("ﺍﻟﺴﻼﻡ", "السلام"),
        ("ﷺ", "ﷺ"),
        ("ＡＢＣ１２", "abc12"),
        # zero-width and bidi controls
        ("می\u200cرود", "میرود".replace("ی", "ي")),
        ("\u200fغزة\u200e", "غزه"),
        ("\u202bنص\u202c", "نص"),
        ("\u2067غزة\u2069", "غزه"),
        # punctuation and spacing are kept
        ("غزة، لبنان!", "غزه، لبنان!"),
        ("", ""),
    ],
)
def test_it_normalizes(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_it_normalizes_decomposed_latin_to_composed() -> None:
    assert normalize("Cafe\u0301") == normalize("Café") == "café"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u202aabc\u202c", "abc"),
        ("\u202d\u202eغزة", "غزة"),
        ("\u2066\u2067\u2068x\u2069", "x"),
        ("\u200eA\u200fB\u061c", "AB"),
        # ZWNJ is orthography, not a bidi control
        ("می\u200cرود", "می\u200cرود"),
        ("أَحمد", "أَحمد"),
    ],
)
def test_it_strips_only_bidi_controls(text: str, expected: str) -> None:
    assert strip_bidi_controls(text) == expected


# --- stem ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # the brief's examples
        ("وزراء", "الوزراء"),
        ("وزير", "الوزير"),
        ("والمقاومة", "المقاومة"),
        ("عقوبات", "العقوبات"),
        # spelling variants the normaliser joins
        ("إيران", "ايران"),
        ("الأوضاع", "اوضاع"),
        ("الصهیونی", "الصهيوني"),
        ("مدیر", "مدير"),
        ("مصطفى", "مصطفي"),
        # spelling variants only the synonym list joins
        ("مسؤول", "مسئول"),
        ("المسئولين", "مسؤولي"),
        ("أميركا", "أمريكا"),
        ("امريكا", "أمريكا"),
        ("الأميركية", "الأمريكية"),
        ("ترمب", "ترامب"),
        ("بوتن", "بوتين"),
        ("نتانياهو", "نتنياهو"),
        ("بوجدانوف", "بوغدانوف"),
        ("الكونجرس", "الكونغرس"),
        ("جوجل", "غوغل"),
        # stacked clitics: conjunction, preposition, article
        ("وبالعقوبات", "العقوبات"),
        ("فبالعقوبات", "العقوبات"),
        ("وللمقاومة", "المقاومة"),
        ("بفلسطين", "فلسطين"),
        ("وفلسطين", "فلسطين"),
        ("للوزير", "وزير"),
        ("للقاء", "لقاء"),
        ("لوزراء", "وزراء"),
        # a noun that starts with ال keeps it, with or without the article
        ("الالتزام", "التزام"),
        ("والتزام", "التزام"),
        ("الألعاب", "ألعاب"),
        # an unlisted word that is a listed word plus a suffix keeps its ب
        ("بلدين", "البلدين"),
    ],
)
def test_it_stems_variants_to_one_term(a: str, b: str) -> None:
    assert term(a) == term(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # real words that start with a clitic letter stay apart from the remainder
        ("وزير", "زير"),
        ("وزراء", "زراء"),
        ("ولد", "لد"),
        ("البلدين", "دين"),
        ("بروس", "روس"),
        ("بطالة", "طالة"),
        ("كتاب", "تاب"),
        # the synonym list does not swallow unrelated words
        ("أمريكا", "روسيا"),
    ],
)
def test_it_keeps_different_words_apart(a: str, b: str) -> None:
    assert term(a) != term(b)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # prefixes as in Lucene (at least two letters left), bare و by frequency
        ("الوزير", "وزير"),
        ("والمقاومة", "مقاومه"),
        ("بالعقوبات", "عقوب"),
        ("كالعادة", "عاد"),
        ("فالأمر", "امر"),
        ("للشرق", "شرق"),
        ("وزراء", "وزراء"),
        ("وزير", "وزير"),
        ("وفلسطين", "فلسطين"),
        ("وتحركاتها", "تحرك"),
        # suffixes in Lucene's order, each once, at least two letters left
        ("كتابها", "كتاب"),
        ("مسلمان", "مسلم"),
        ("العقوبات", "عقوب"),
        ("المحتاجين", "محتاج"),
        ("الايرانية", "ايراني"),
        ("لقائه", "لقا"),
        ("الإقليمي", "اقليم"),
        ("المسلمون", "مسلم"),
        # too short to strip
        ("ال", "ال"),
        ("الم", "الم"),
        ("وتم", "وتم"),
        ("بها", "بها"),
        # digits and Latin pass through (lowercased)
        ("2342", "2342"),
        ("٢٦", "26"),
        ("Reuters", "reuters"),
        # synonyms map to the first spelling of the group
        ("أميركا", "امريكا"),
        ("ترمب", "ترامب"),
    ],
)
def test_it_stems(word: str, expected: str) -> None:
    assert term(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("مباحثات", "مباحث"),
        ("ايرانية", "ايراني"),
        ("روسية", "روس"),
        ("الروسية", "روس"),
        ("الروسي", "روس"),
        ("لوقف", "وقف"),
        ("الوقف", "وقف"),
        ("الشعب", "شعب"),
        ("الفلسطيني", "فلسطين"),
        ("موسكو", "موسكو"),
        ("الخارجية", "خارج"),
        ("خارجية", "خارج"),
        ("الايراني", "ايراني"),
        ("الأوضاع", "اوضاع"),
        ("المنطقة", "منطقه"),
        ("منطقة", "منطقه"),
        ("الساحة", "ساحه"),
        ("الدولية", "دول"),
        ("والدولية", "دول"),
        ("والممثل", "ممثل"),
        ("الممثل", "ممثل"),
        ("للرئيس", "رييس"),
        ("الشرق", "شرق"),
        ("للشرق", "شرق"),
        ("الأوسط", "اوسط"),
        ("التطورات", "تطور"),
        ("بالتطورات", "تطور"),
        ("بفلسطين", "فلسطين"),
        ("فلسطين", "فلسطين"),
        ("المتحدة", "متحد"),
        ("الأميركية", "امريك"),
        ("أميركا", "امريكا"),
        ("إيران", "ايران"),
        ("والمظلومين", "مظلوم"),
        ("المقاومة", "مقاومه"),
        ("بالعقوبات", "عقوب"),
        ("اللقاء", "لقاء"),
        ("والوقود", "وقود"),
        ("والدواء", "دواء"),
        ("المحتاجين", "محتاج"),
        ("الإجراءات", "اجراء"),
        ("واجراءاتها", "اجراء"),
        ("الاجتماعات", "اجتماع"),
        ("الاجتماع", "اجتماع"),
        ("والمحادثات", "محادث"),
        ("المسؤولين", "مسوول"),
        ("مسؤولي", "مسوول"),
        ("للقرار", "قرار"),
        ("الاستقرار", "استقرار"),
        ("والاستقرار", "استقرار"),
        ("الأمن", "امن"),
        ("والأمن", "امن"),
        ("البلدين", "بلد"),
        ("الجهود", "جهود"),
        ("جهود", "جهود"),
        ("لوزراء", "وزراء"),
        ("المشتركة", "مشترك"),
        ("الاقليمية", "اقليم"),
        ("الإقليمي", "اقليم"),
        ("روسيا", "روسيا"),
        ("وروسيا", "روسيا"),
        ("سيرغي", "سيرغ"),
        ("بوغدانوف", "بوغدانوف"),
        ("القوقاز", "قوقاز"),
        ("3+3", "3"),
    ],
)
def test_it_stems_words_from_a_real_wire_story(word: str, expected: str) -> None:
    assert analyze_terms(word)[0] == expected
    assert word in SAMPLE.read_text(encoding="utf-8")


def test_it_stems_the_same_persian_and_arabic_typing_of_a_sentence() -> None:
    arabic = "الكيان الصهيوني ومدير الخارجية"
    persian_keys = "الکیان الصهیونی ومدیر الخارجیة"
    assert analyze_terms(arabic) == analyze_terms(persian_keys)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("running", "run"),
        ("Sanctions", "sanction"),
        ("ministers", "minist"),
        ("2024", "2024"),
        # Arabic quoted in English copy is still light-stemmed
        ("والمقاومة", "مقاومه"),
    ],
)
def test_it_stems_english_with_snowball(word: str, expected: str) -> None:
    assert term(word, lang="en") == expected


def test_it_leaves_latin_unstemmed_in_arabic_and_persian_unstemmed_in_fa() -> None:
    assert term("sanctions") == "sanctions"
    assert analyze_terms("مدیران کشورها", lang="fa") == ["مديران", "كشورها"]


def test_it_rejects_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        stem("كتاب", lang="xx")
    with pytest.raises(ValueError, match="unknown language"):
        analyze("كتاب", lang="xx")


def test_it_stems_an_already_normalised_term_like_analyze() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    for token in analyze(text):
        assert stem(normalize(token.original)) == token.term


# --- data files ---------------------------------------------------------------------------


def test_it_loads_the_frequency_list() -> None:
    frequencies = arabic_stem.word_frequencies()
    assert len(frequencies) >= 25_000
    assert arabic_stem.WORDFREQ_PATH.stat().st_size < 600_000
    # keys are normalised: no hamza-on-alef, no ة
    assert frequencies["ان"] > frequencies["وزير"] > arabic_stem.zipf("زير")
    assert all(word == normalize(word) for word in frequencies)
    assert arabic_stem.zipf("كلمةغيرموجودة") == 0


def test_it_loads_the_synonym_groups_without_conflicts() -> None:
    synonyms = arabic_stem.synonyms()
    lines = [
        line
        for line in arabic_stem.SYNONYMS_PATH.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) >= 12
    canonicals = set(synonyms.values())
    # canonical stems are never themselves rewritten, so stemming cannot chain
    assert not canonicals & synonyms.keys()


# --- tokenize and analyze -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "مُحَمَّدٌ رَسُولُ اللهِ",
        "كَـلـب الســـلام",
        "سطر أول\r\nسطر ثانٍ\r\n",
        "أميركا، إيران؛ «غزة»",
        "می\u200cرود \u200fغزة\u200e",
        "Reuters: 3+3 في طهران ٢٠٢٤",
        "ﻻ ﺍﻟﺴﻼﻡ",
        "\u202bنص\u202c",
        "",
    ],
)
def test_it_gives_offsets_into_the_original_text(text: str) -> None:
    for token in analyze(text):
        assert text[token.start : token.end] == token.original
    for token in tokenize(text):
        assert text[token.start : token.end] == token.original
        assert token.term == normalize(token.original)


def test_it_keeps_diacritics_and_tatweel_inside_one_token() -> None:
    text = "قال: كَـلـبٌ\r\nمُحَمَّدٌ"
    assert [(t.original, t.term) for t in tokenize(text)] == [
        ("قال", "قال"),
        ("كَـلـبٌ", "كلب"),
        ("مُحَمَّدٌ", "محمد"),
    ]
    assert tokenize(text)[1] == Token("كلب", 5, 12, "كَـلـبٌ")


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("غزة، لبنان!", ["غزه", "لبنان"]),
        ("3+3", ["3", "3"]),
        ("COVID-19", ["covid", "19"]),
        ("foo_bar", ["foo", "bar"]),
        ("می\u200cرود", ["ميرود"]),
        ("ـــ ـ", []),
        ("   \r\n\t", []),
    ],
)
def test_it_tokenizes_words_and_numbers(text: str, terms: list[str]) -> None:
    assert [token.term for token in tokenize(text)] == terms


def test_it_keeps_stopwords_in_analysis() -> None:
    assert analyze_terms("في غزة") == ["في", "غزه"]
    assert is_stopword("في")
    assert is_stopword("إلى")
    assert is_stopword("الى")
    assert not is_stopword("غزة")
    assert "في" in STOPWORDS


def test_it_joins_terms_for_the_search_backends() -> None:
    assert analyzed_text("والمقاومة في غزة") == "مقاومه في غزه"


def test_it_fingerprints_the_same_story_typed_differently_the_same() -> None:
    plain = "أعلنت وزارة الخارجية الأميركية عقوبات جديدة على 3 شركات."
    typed = "اَعلنت  وِزارة الخارجیة الامريكية\r\nعُقُوبـــات جديدة على ٣ شركات"
    other = "أعلنت وزارة الخارجية الروسية عقوبات جديدة على 3 شركات."
    assert fingerprint(plain) == fingerprint(typed)
    assert fingerprint(plain) != fingerprint(other)
    assert len(fingerprint(plain)) == 40


# --- WordMatcher --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "text", "expected"),
    [
        (["كلب"], "يا والكلب", ["كلب"]),
        (["كلب"], "كَـلـب", ["كلب"]),
        (["كلب"], "الكلب وكلب بكلب", ["كلب", "كلب", "كلب"]),
        (["كلب"], "كلام طيب", []),
        (["حمار", "كلب"], "أنت حمار وكلب", ["حمار", "كلب"]),
        (["1948"], "منذ عام ١٩٤٨", ["1948"]),
        (["ترامب"], "قال ترمب", ["ترامب"]),
        (["idiot"], "You IDIOT!", ["idiot"]),
        (["الصهيوني"], "الکیان الصهیونی", ["الصهيوني"]),
        ([], "أي نص", []),
    ],
)
def test_it_matches_words(words: list[str], text: str, expected: list[str]) -> None:
    assert [word for word, _ in WordMatcher(words).find(text)] == expected


def test_it_matches_a_phrase_and_reports_its_whole_span() -> None:
    text = "هذا ابن الكلب، وقال ابن عمه"
    matcher = WordMatcher(["ابن كلب", "عمه"])
    found = matcher.find(text)
    assert [word for word, _ in found] == ["ابن كلب", "عمه"]
    _, token = found[0]
    assert token.original == "ابن الكلب" == text[token.start : token.end]
    assert token.term == "ابن كلب"


def test_it_prefers_the_longest_phrase_and_does_not_overlap() -> None:
    matcher = WordMatcher(["ابن", "ابن كلب", "ابن كلب حقير"])
    assert [w for w, _ in matcher.find("ابن كلب حقير ثم ابن كلب ثم ابن")] == [
        "ابن كلب حقير",
        "ابن كلب",
        "ابن",
    ]


def test_it_reports_which_configured_word_matched() -> None:
    matcher = WordMatcher(["حَمار", "خنزير", "كلب"])
    assert matcher.first("يا خنازير يا والخنزير") == "خنزير"
    assert matcher.first("كلام مهذب") is None
    (word, token), *_ = matcher.find("أنت حِمار")
    assert word == "حَمار"
    assert token.original == "حِمار"
    assert len(matcher) == 3


def test_it_keeps_the_first_spelling_of_words_with_the_same_analysis() -> None:
    matcher = WordMatcher(["كلب", "الكلب", "كَلب"])
    assert len(matcher) == 1
    assert matcher.first("الكلب") == "كلب"


def test_it_matches_thousands_of_words_in_a_long_text() -> None:
    vocabulary = list(arabic_stem.word_frequencies())[5_000:10_000]
    phrases = [f"{a} {b}" for a, b in zip(vocabulary[:10], vocabulary[10:20], strict=True)]
    matcher = WordMatcher([*vocabulary[:4_990], *phrases])
    corpus = Path("/work/shared/corpora/ar-pud-sentences.txt").read_text(encoding="utf-8")
    text = (corpus * (100_000 // len(corpus) + 1))[:100_000]
    found = matcher.find(text)
    assert found
    assert all(text[t.start : t.end] == t.original for _, t in found)


# --- properties ---------------------------------------------------------------------------


@given(st.text())
def test_it_analyzes_any_text_with_offsets_that_slice_back(text: str) -> None:
    for token in analyze(text):
        assert token.term
        assert text[token.start : token.end] == token.original


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_it_normalizes_idempotently(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.lists(st.sampled_from(["كلب", "ابن", "و", "ال", "ـ", "َ", " ", "،", "٣", "x"])))
def test_it_finds_words_only_where_the_text_has_them(parts: list[str]) -> None:
    text = "".join(parts)
    matcher = WordMatcher(["كلب", "ابن كلب"])
    for _, token in matcher.find(text):
        assert text[token.start : token.end] == token.original
        assert "كلب" in normalize(token.original)


@pytest.mark.parametrize(
    ("with_tanwin", "plain"),
    [
        ("اجتماعاً", "اجتماع"),
        ("طارئاً", "طارئ"),
        ("دولاراً", "دولار"),
        ("كتاباً", "كتاب"),
        ("اجتماعًا", "اجتماع"),  # tanwin written before the alef
    ],
)
def test_it_drops_the_alef_that_only_carries_the_accusative_tanwin(with_tanwin, plain):
    assert analyze_terms(with_tanwin) == analyze_terms(plain)


def test_it_keeps_a_final_alef_that_belongs_to_the_word():
    assert analyze_terms("أمريكا") == analyze_terms("امريكا")
    assert analyze_terms("أمريكا") != analyze_terms("أمريك")


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [("دولارا", "دولار"), ("اجتماعا", "اجتماع"), ("كتابا", "كتاب"), ("طارئا", "طارئ")],
)
def test_it_drops_an_unmarked_accusative_alef_when_the_bare_word_is_far_commoner(typed, same_as):
    assert analyze_terms(typed) == analyze_terms(same_as)


@pytest.mark.parametrize("word", ["سوريا", "روسيا", "جدا", "هذا", "أيضا"])
def test_it_keeps_words_that_really_end_in_alef(word):
    assert analyze_terms(word) != analyze_terms(word[:-1])


# --- exact forms and the guarded stemmer (issue 16) ----------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("أبها", "أب"),  # a Saudi city is not "father"
        ("جيزان", "الجيزة"),  # a Saudi region is not Giza
        ("جازان", "الجيزة"),
        ("الصفح", "صفحة"),  # forgiveness is not a page
        ("لبنان", "لبن"),  # a name is kept whole
        ("طهران", "طهر"),
    ],
)
def test_it_keeps_colliding_words_apart(a: str, b: str) -> None:
    assert term(a) != term(b)


@pytest.mark.parametrize("word", ["هيئة", "الهيئة", "وهيئة", "أبها", "ابها"])
def test_it_never_stems_a_content_word_to_a_stopword_or_two_letters(word: str) -> None:
    stemmed = term(word)
    assert not is_stopword(stemmed)
    assert len(stemmed) >= arabic_stem.MIN_STEM


@pytest.mark.parametrize(
    ("word", "exact", "stemmed"),
    [
        ("والجيزة", "جيزه", "جيزه"),
        ("بجيزان", "جيزان", "جيزان"),
        ("وبأبها", "ابها", "ابها"),
        ("المفاوضات", "مفاوضات", "مفاوض"),
        ("كتابه", "كتابه", "كتاب"),
        ("الهيئات", "هييات", "هيي"),
        ("ترمب", "ترامب", "ترامب"),
        ("Reuters", "reuters", "reuter"),
    ],
)
def test_it_gives_the_exact_form_beside_the_stem(word: str, exact: str, stemmed: str) -> None:
    lang = "en" if word.isascii() else "ar"
    assert analyze_forms(word, lang=lang) == [(exact, stemmed)]


def test_it_keeps_positions_alike_in_exact_forms_and_stems() -> None:
    exact, stems = forms_text("وصلت الوفود إلى أبها وجازان", lang="ar")
    assert exact.split()[3:] == ["ابها", "جازان"]
    assert len(exact.split()) == len(stems.split())
    assert stems == analyzed_text("وصلت الوفود إلى أبها وجازان")


def test_it_loads_the_gazetteer_with_its_sources() -> None:
    names = arabic_stem.gazetteer()
    assert {"ابها", "جيزان", "جازان", "جيزه", "طهران", "رياض"} <= names
    assert not names & STOPWORDS
    notice = (arabic_stem.GAZETTEER_PATH.parent / "NOTICE.md").read_text(encoding="utf-8")
    assert "GeoNames" in notice and "CLDR" in notice
