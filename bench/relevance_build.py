"""Build the Arabic relevance set (khabar/search/data/relevance_ar/) from licence-clean text.

``python -m bench.relevance_build`` rewrites ``stories.jsonl`` and ``queries.tsv``; the result
depends only on the corpus, the word list and the seed, so a rebuild gives the same files.
How the set is built and judged is written in ``relevance_ar/README.md``.
"""

from __future__ import annotations

import datetime
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from khabar.lib import arabic_stem  # noqa: E402
from khabar.lib.arabic import STOPWORDS, analyze_forms  # noqa: E402

CORPUS = ROOT / "khabar" / "data" / "corpora" / "ar-pud-sentences.txt"
OUT = ROOT / "khabar" / "search" / "data" / "relevance_ar"
SEED = 16
BACKGROUND = 300
START = datetime.datetime(2023, 1, 1, 6, 0, tzinfo=datetime.UTC)

# Names whose Lucene light stem is another, common word: (name, look-alike as it is written).
NAME_LOOKALIKES = [
    ("أبها", "الأب"),
    # Lucene's stem of الجيزة is shared only by جيزان, a variant case's query: a story
    # holding it would be another case's answer, so the look-alike here is one by spelling.
    ("الجيزة", "الجائزة"),
    ("لبنان", "اللبن"),
    ("السودان", "السود"),
    ("البحرين", "البحر"),
    ("حمدان", "حمد"),
    ("زيدان", "زيد"),
    ("سلمان", "السلم"),
    ("طالبان", "الطالب"),
    ("عدنان", "عدن"),
    ("حلوان", "الحلو"),
    ("حوران", "الحور"),
    ("عجلون", "العجل"),
    ("طهران", "الطهر"),
]
# Words the old stemmer joined with another word: (query word, look-alike).
WORD_LOOKALIKES = [
    ("الصفح", "صفحة"),
    ("هيئة", "هي"),
    ("الثور", "الثورة"),
    ("الجامع", "الجامعة"),
    ("الشرك", "الشركة"),
    ("المدين", "المدينة"),
]
# Query spelling -> the spelling the target story uses (the variant table joins them), and
# the case's own look-alike. One case per variant group, none naming another case's word:
# جازان for جيزان's target would tie with جيزان's own, and طهران is a name case's query.
VARIANTS = [
    ("جيزان", "جازان", "الجاز"),
    ("أصبهان", "أصفهان", "أصبح"),
    ("هيلسنكي", "هلسنكي", "هلال"),
    ("موريطانيا", "موريتانيا", "مورد"),
]


@dataclass
class Story:
    key: str
    headline: str
    body: str
    published: datetime.datetime
    summary: str = ""


@dataclass
class Case:
    query: str
    target: str
    kind: str
    note: str
    stories: list[Story] = field(default_factory=list)


class Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        lines = CORPUS.read_text(encoding="utf-8").splitlines()
        self.sentences = [line.strip() for line in lines if line.strip()]
        self.count = 0

    def when(self, day_from: int, day_to: int) -> datetime.datetime:
        minutes = self.rng.randint(day_from * 1440, day_to * 1440)
        return START + datetime.timedelta(minutes=minutes)

    def sentence(self) -> str:
        return self.rng.choice(self.sentences)

    def with_word(self, sentence: str, word: str) -> str:
        words = sentence.split()
        at = self.rng.randint(1, max(1, min(len(words) - 1, 12)))
        return " ".join([*words[:at], word, *words[at:]])

    def story(
        self,
        key: str,
        *,
        headline_word: str | None,
        body_word: str | None,
        day_from: int = 0,
        day_to: int = 700,
    ) -> Story:
        self.count += 1
        words = self.sentence().split()
        headline = " ".join(words[: self.rng.randint(5, 9)]).rstrip(".,،:؛")
        if headline_word:
            headline = self.with_word(headline, headline_word)
        paragraphs = [self.sentence() for _ in range(self.rng.randint(2, 4))]
        if body_word:
            i = self.rng.randrange(len(paragraphs))
            paragraphs[i] = self.with_word(paragraphs[i], body_word)
        return Story(key, headline, "\n\n".join(paragraphs), self.when(day_from, day_to))

    def lookalike_case(
        self,
        n: int,
        query: str,
        lookalike: str,
        kind: str,
        *,
        target_word: str | None = None,
        mentions: int = 9,
    ) -> Case:
        """A target with the word in headline and body, mentions with it in the body only,
        and eight newer stories with the look-alike in headline and body."""
        word = target_word or query
        key = f"{kind}-{n:03d}"
        case = Case(query, f"{key}-target", kind, f"{query} among {lookalike}")
        case.stories.append(
            self.story(f"{key}-target", headline_word=word, body_word=word, day_to=400)
        )
        for i in range(mentions):
            case.stories.append(
                self.story(f"{key}-mention-{i}", headline_word=None, body_word=word, day_to=500)
            )
        for i in range(8):
            case.stories.append(
                self.story(
                    f"{key}-lookalike-{i}",
                    headline_word=lookalike,
                    body_word=lookalike,
                    day_from=500,
                )
            )
        return case


def exact_key(word: str) -> str:
    return analyze_forms(word)[0][0]


# The word list is normalised: where these letter pairs stand a hamza was folded away, and
# the word would read oddly in a story.
FOLDED_HAMZA = ("يي", "اي", "وو", "اا")


def collision_pairs(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Pairs (rarer word, commoner word) that Lucene's light stemmer gave one stem."""
    frequencies = arabic_stem.word_frequencies()
    by_stem: dict[str, list[str]] = {}
    for word, zipf in frequencies.items():
        if len(word) < 4 or word in STOPWORDS or zipf < 300 or arabic_stem.is_name(word):
            continue
        if any(folded in word for folded in FOLDED_HAMZA):
            continue
        if arabic_stem.strip_prefixes(word) != word:
            continue
        by_stem.setdefault(arabic_stem.light_stem(word), []).append(word)
    pairs = []
    for words in by_stem.values():
        words.sort(key=lambda w: -frequencies[w])
        common, rare = words[0], words[-1]
        if rare != common and frequencies[common] - frequencies[rare] >= 50:
            if exact_key(rare) != exact_key(common):
                pairs.append((rare, common))
    pairs.sort()
    rng.shuffle(pairs)
    return pairs[:count]


def plural_words(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(plural in ات, its singular in ة) pairs from the word list."""
    frequencies = arabic_stem.word_frequencies()
    found = []
    for word, zipf in frequencies.items():
        singular = word[:-2] + "ه"
        if word.endswith("ات") and zipf >= 380 and frequencies.get(singular, 0) >= 380:
            if arabic_stem.strip_prefixes(word) == word and len(word) >= 5:
                found.append((word, singular))
    found.sort()
    rng.shuffle(found)
    return found[:count]


def build() -> tuple[list[Story], list[Case]]:
    b = Builder()
    cases: list[Case] = []
    for n, (name, lookalike) in enumerate(NAME_LOOKALIKES):
        cases.append(b.lookalike_case(n, name, lookalike, "name"))
    for n, (word, lookalike) in enumerate(WORD_LOOKALIKES):
        cases.append(b.lookalike_case(n, word, lookalike, "collision"))
    for n, (query, written, lookalike) in enumerate(VARIANTS):
        case = b.lookalike_case(n, query, lookalike, "variant", target_word=written, mentions=3)
        case.note = f"{query} finds {written}"
        cases.append(case)
    for n, (rare, common) in enumerate(collision_pairs(52, b.rng), start=len(WORD_LOOKALIKES)):
        cases.append(b.lookalike_case(n, rare, common, "collision"))
    for n, (plural, singular) in enumerate(plural_words(14, b.rng)):
        case = b.lookalike_case(
            n, "ال" + plural, "ب" + singular, "plural", target_word="و" + plural, mentions=5
        )
        case.note = f"plural ال{plural} (target has و{plural}) among {singular}"
        cases.append(case)
    for n, (rare, common) in enumerate(collision_pairs(64, b.rng)[52:64]):
        case = b.lookalike_case(
            n, "وب" + rare, common, "clitic", target_word="ل" + rare, mentions=3
        )
        case.note = f"وب{rare} (target has ل{rare}) among {common}"
        cases.append(case)
    # Phrases: the target has both words together in order, the others have both apart.
    for n, (first, second) in enumerate(collision_pairs(76, b.rng)[64:70]):
        key = f"phrase-{n:03d}"
        case = Case(f'"{first} {second}"', f"{key}-target", "phrase", f"{first} {second} in order")
        case.stories.append(
            b.story(f"{key}-target", headline_word=f"{first} {second}", body_word=None, day_to=300)
        )
        for i in range(6):
            story = b.story(f"{key}-apart-{i}", headline_word=second, body_word=first, day_from=400)
            case.stories.append(story)
        cases.append(case)
    background = [
        b.story(f"background-{i:04d}", headline_word=None, body_word=None)
        for i in range(BACKGROUND)
    ]
    stories = background + [story for case in cases for story in case.stories]
    return stories, cases


def holds_exact(story: Story, query: str) -> bool:
    words = {exact for exact, _ in analyze_forms(query.replace('"', " "))}
    text = f"{story.headline}\n{story.summary}\n{story.body}"
    return words <= {exact for exact, _ in analyze_forms(text)}


def write(stories: list[Story], cases: list[Case]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "stories.jsonl").open("w", encoding="utf-8") as out:
        for story in sorted(stories, key=lambda s: s.published):
            record = {
                "key": story.key,
                "published": story.published.isoformat(),
                "headline": story.headline,
                "summary": story.summary,
                "body": story.body,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (OUT / "queries.tsv").open("w", encoding="utf-8") as out:
        out.write("# query\ttarget story\tkind\tnote\tstories holding the query's exact form\n")
        for case in cases:
            holding = [s.key for s in stories if holds_exact(s, case.query)]
            out.write(
                f"{case.query}\t{case.target}\t{case.kind}\t{case.note}\t{','.join(holding)}\n"
            )


def main() -> int:
    stories, cases = build()
    write(stories, cases)
    print(f"{len(stories)} stories, {len(cases)} queries in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
