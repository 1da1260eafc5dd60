"""Demo content built from the licence-clean corpora in khabar/data (see its NOTICE.md).

Every story is keyed by a ``demo:`` source id, so loading twice adds nothing.
"""

from __future__ import annotations

import datetime
import random
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Article, Section, StaffProfile, Urgency
from khabar.articles.wire_import import source_id_for
from khabar.site import actors
from khabar.wire.parse import parse_wire

DATA = Path(__file__).resolve().parent.parent / "data"

SECTIONS = {
    "ar": [
        ("politics", "سياسة"),
        ("world", "دولي"),
        ("economy", "اقتصاد"),
        ("culture", "ثقافة"),
        ("sport", "رياضة"),
    ],
    "fa": [
        ("politics", "سیاست"),
        ("world", "بین‌الملل"),
        ("economy", "اقتصاد"),
        ("culture", "فرهنگ"),
    ],
    "en": [
        ("politics", "Politics"),
        ("world", "World"),
        ("economy", "Economy"),
        ("culture", "Culture"),
    ],
}
CITIES = {
    "ar": [
        "طهران",
        "موسكو",
        "بيروت",
        "دمشق",
        "بغداد",
        "القاهرة",
        "الدوحة",
        "جنيف",
        "بكين",
        "نيويورك",
    ],
    "fa": ["تهران", "مسکو", "بیروت", "دمشق", "بغداد", "قاهره", "دوحه", "ژنو", "پکن", "نیویورک"],
    "en": [
        "TEHRAN",
        "MOSCOW",
        "BEIRUT",
        "DAMASCUS",
        "BAGHDAD",
        "CAIRO",
        "DOHA",
        "GENEVA",
        "BEIJING",
        "NEW YORK",
    ],
}
AGENCY = {"ar": "ارنا", "fa": "ایرنا", "en": "IRNA"}
TAGS = {
    "ar": ["إيران", "روسيا", "الأمم المتحدة", "الاقتصاد العالمي", "غزة", "الطاقة"],
    "fa": ["ایران", "روسیه", "سازمان ملل"],
    "en": ["Iran", "Russia", "United Nations", "Energy"],
}
DEMO_USERS = [
    ("reporter", "reporter", "1483"),
    ("editor", "editor", "2342"),
    ("moderator", "moderator", ""),
    ("chief", "chief", "1001"),
]
AR_STORIES = 36
FA_STORIES = 12
EN_TRANSLATIONS = 12


def _sentences(name: str) -> list[str]:
    return (DATA / "corpora" / name).read_text(encoding="utf-8").splitlines()


def _headline(sentence: str, words: int = 11) -> str:
    parts = sentence.rstrip(".،,؛:").split()
    return " ".join(parts[:words]).rstrip(".،,؛:")


def _sections() -> dict[str, list[Section]]:
    result: dict[str, list[Section]] = {}
    for lang, rows in SECTIONS.items():
        result[lang] = []
        for position, (slug, name) in enumerate(rows):
            section, _ = Section.objects.get_or_create(
                lang=lang, slug=slug, defaults={"name": name, "position": position}
            )
            result[lang].append(section)
    return result


def _users() -> None:
    for username, group, code in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
        )
        if created:
            # Development-only demo logins, documented in the README.
            user.set_password(f"{username}-demo-pass")
            user.save()
            user.groups.add(Group.objects.get(name=group))
            StaffProfile.objects.create(user=user, signoff_code=code)


def _make(
    lang: str,
    index: int,
    sentences: list[str],
    section: Section,
    now: datetime.datetime,
    rng: random.Random,
    editor: User,
    group: object = None,
) -> Article | None:
    source_id = f"demo:{lang}:{index}"
    if Article.objects.filter(source_id=source_id).exists():
        return None
    published = now - datetime.timedelta(minutes=37 * index + rng.randint(0, 30))
    city = CITIES[lang][index % len(CITIES[lang])]
    urgency = Urgency.FLASH if index == 1 else Urgency.URGENT if index % 9 == 2 else Urgency.NORMAL
    fields = {
        "lang": lang,
        "headline": _headline(sentences[0]),
        "dateline_city": city,
        "dateline_date": published.date(),
        "dateline_agency": AGENCY[lang],
        "body": "\n\n".join(sentences),
        "signoff": f"{rng.randint(1000, 9999)}",
        "urgency": urgency,
    }
    tags = [TAGS[lang][(index + k) % len(TAGS[lang])] for k in range(2)]
    article, _ = actions.ingest_article(
        source_id=source_id,
        source_version=1,
        section=section,
        fields=fields,
        tag_names=tags,
        publish=False,
        actor=actors.DEMO,
    )
    article = actions.publish_article(article, actor=editor, at=published)
    if group is not None:
        Article.objects.filter(pk=article.pk).update(translation_group=group)
    return article


@transaction.atomic
def load_demo(now: datetime.datetime | None = None) -> int:
    """Create demo sections, users and stories that do not exist yet; return how many stories."""
    now = now or timezone.now()
    rng = random.Random(2342)
    sections = _sections()
    _users()
    editor = User.objects.get(username="editor")
    created = 0
    sample = parse_wire((DATA / "demo" / "wire-ar-moscow-2342.txt").read_bytes(), now=now)
    if not Article.objects.filter(source_id=source_id_for(sample)).exists():
        from khabar.articles.wire_import import story_fields

        article, _ = actions.ingest_article(
            source_id=source_id_for(sample),
            source_version=1,
            section=sections["ar"][1],
            fields={**story_fields(sample), "urgency": Urgency.URGENT},
            tag_names=["إيران", "روسيا", "غزة"],
            publish=False,
            actor=actors.DEMO,
        )
        actions.publish_article(article, actor=editor, at=now - datetime.timedelta(minutes=5))
        created += 1
    ar = _sentences("ar-pud-sentences.txt")
    en = _sentences("en-pud-sentences.txt")
    fa = _sentences("fa-seraji-sentences.txt")
    for index in range(1, AR_STORIES + 1):
        lines = ar[(index - 1) * 5 : index * 5]
        section = sections["ar"][index % len(sections["ar"])]
        article = _make("ar", index, lines, section, now, rng, editor)
        if article is None:
            continue
        created += 1
        if index <= EN_TRANSLATIONS:
            # Line N of the Arabic corpus translates line N of the English one.
            en_section = sections["en"][index % len(sections["en"])]
            en_lines = en[(index - 1) * 5 : index * 5]
            if _make(
                "en", index, en_lines, en_section, now, rng, editor, group=article.translation_group
            ):
                created += 1
    for index in range(1, FA_STORIES + 1):
        lines = [line for line in fa[(index - 1) * 6 : index * 6] if len(line.split()) > 3]
        if lines and _make(
            "fa", index, lines, sections["fa"][index % len(sections["fa"])], now, rng, editor
        ):
            created += 1
    return created
