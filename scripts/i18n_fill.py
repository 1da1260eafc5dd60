"""Tidy and fill the ar/fa/en translation catalogues under khabar/ after ``makemessages``.

    .venv/bin/python scripts/i18n_fill.py [TABLE.json]

The ``.po`` files are the source of truth; this only saves typing. For every catalogue it
sets the language and plural-form headers, drops obsolete entries and fuzzy guesses (a
fuzzy msgstr is msgmerge's guess from a similar string, usually wrong for a news desk), makes
the English catalogue complete (msgstr = msgid), and fills an empty Arabic or Persian entry
from TABLE (``{"ar": {msgid: msgstr or [plural forms]}, "fa": {...}}``) or else from the same
msgid already translated in another catalogue of that language. It prints what is left.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "khabar"
LANGS = ("ar", "fa", "en")

# Arabic has six plural forms: zero, one, two, few (3-10), many (11-99), other (100, 101…).
PLURAL_FORMS = {
    "ar": (
        "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
        "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
    ),
    "fa": "nplurals=2; plural=(n > 1);",
    "en": "nplurals=2; plural=(n != 1);",
}
NPLURALS = {"ar": 6, "fa": 2, "en": 2}


def catalogues(lang: str) -> list[Path]:
    return sorted(ROOT.glob(f"**/locale/{lang}/LC_MESSAGES/django.po"))


def _key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def _is_done(entry: polib.POEntry, lang: str) -> bool:
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return len(forms) == NPLURALS[lang] and all(forms.get(i) for i in range(NPLURALS[lang]))
    return bool(entry.msgstr)


def _set(entry: polib.POEntry, value: str | list[str], lang: str) -> None:
    if entry.msgid_plural:
        forms = [value] * NPLURALS[lang] if isinstance(value, str) else value
        if len(forms) != NPLURALS[lang]:
            raise SystemExit(f"{lang}: {entry.msgid!r} needs {NPLURALS[lang]} plural forms")
        entry.msgstr_plural = dict(enumerate(forms))
    else:
        if not isinstance(value, str):
            raise SystemExit(f"{lang}: {entry.msgid!r} is not a plural string")
        entry.msgstr = value


def _known(lang: str, files: list[polib.POFile]) -> dict[str, str | list[str]]:
    known: dict[str, str | list[str]] = {}
    for po in files:
        for entry in po:
            if entry.obsolete or "fuzzy" in entry.flags or not _is_done(entry, lang):
                continue
            if entry.msgid_plural:
                known.setdefault(
                    _key(entry), [entry.msgstr_plural[i] for i in range(NPLURALS[lang])]
                )
            else:
                known.setdefault(_key(entry), entry.msgstr)
    return known


def fill(table: dict[str, dict[str, str | list[str]]]) -> int:
    missing = 0
    for lang in LANGS:
        paths = catalogues(lang)
        files = [polib.pofile(str(p), wrapwidth=100) for p in paths]
        for po in files:
            for entry in list(po):
                if entry.obsolete:
                    po.remove(entry)
                elif "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
                    entry.previous_msgid = entry.previous_msgid_plural = None
                    _set(entry, [""] * NPLURALS[lang] if entry.msgid_plural else "", lang)
        known = {**_known(lang, files), **table.get(lang, {})}
        for path, po in zip(paths, files, strict=True):
            po.metadata = {
                "Project-Id-Version": "khabar",
                "Report-Msgid-Bugs-To": "",
                "POT-Creation-Date": po.metadata.get("POT-Creation-Date", ""),
                "PO-Revision-Date": po.metadata.get("POT-Creation-Date", ""),
                "Last-Translator": "khabar desk <newsroom@localhost>",
                "Language-Team": lang,
                "Language": lang,
                "MIME-Version": "1.0",
                "Content-Type": "text/plain; charset=UTF-8",
                "Content-Transfer-Encoding": "8bit",
                "Plural-Forms": PLURAL_FORMS[lang],
            }
            po.header = "Translation catalogue of khabar."
            po.metadata_is_fuzzy = False
            for entry in po:
                if lang == "en":
                    plural = [entry.msgid, entry.msgid_plural]
                    _set(entry, plural if entry.msgid_plural else entry.msgid, lang)
                elif _key(entry) in table.get(lang, {}) or not _is_done(entry, lang):
                    if _key(entry) in known:
                        _set(entry, known[_key(entry)], lang)
                if not _is_done(entry, lang):
                    missing += 1
                    print(f"untranslated {lang} {path.relative_to(ROOT)}: {entry.msgid!r}")
            po.save(str(path))
    return missing


def main() -> None:
    table = json.loads(Path(sys.argv[1]).read_text("utf-8")) if len(sys.argv) > 1 else {}
    sys.exit(1 if fill(table) else 0)


if __name__ == "__main__":
    main()
