"""Build khabar/lib/data/ar_wordfreq.txt from wordfreq's Arabic word list.

The light stemmer in khabar/lib/arabic.py strips a one-letter proclitic (و ف ب ل ك) only
when the remainder is the more frequent word, so it needs word frequencies. wordfreq and its
msgpack data cost tens of megabytes of memory, so khabar does not import it at runtime:
this script derives a small tab-separated file once, and that file is committed.

Usage (wordfreq is a build-time tool only, never a khabar dependency)::

    .venv/bin/pip install wordfreq
    .venv/bin/python scripts/build_wordfreq.py            # writes the data file
    .venv/bin/python scripts/build_wordfreq.py --check    # exits 1 if the file is stale

Each line is ``word<TAB>zipf*100``, where ``word`` is normalised by
``khabar.lib.arabic.normalize`` and only Arabic-script words are kept. Spellings that
normalise to the same word (أن, إن, ان) are merged by adding their frequencies, because the
stemmer looks words up after normalising them. Lines are sorted by descending frequency, then
by word, so a rebuild gives the same bytes.

The data is derived from wordfreq (https://github.com/rspeer/wordfreq), licensed CC BY-SA 4.0;
see khabar/lib/data/README.md for the attribution.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from khabar.lib.arabic import normalize  # noqa: E402

OUTPUT = ROOT / "khabar" / "lib" / "data" / "ar_wordfreq.txt"
# How many words wordfreq is asked for, and how many merged words are kept. Asking for a few
# more than are kept makes up for spellings that merge into one normalised word.
FETCH = 34_000
KEEP = 30_000


def is_arabic_word(word: str) -> bool:
    """Return True if every character of ``word`` is an Arabic letter."""
    return bool(word) and all("\u0621" <= ch <= "\u064a" for ch in word)


def build_lines() -> list[str]:
    """Return the lines of the data file, newest wordfreq data, deterministic order."""
    import wordfreq

    per_billion: dict[str, float] = {}
    for raw in wordfreq.top_n_list("ar", FETCH):
        zipf = wordfreq.zipf_frequency(raw, "ar")
        word = normalize(raw)
        if not is_arabic_word(word) or zipf <= 0:
            continue
        # Zipf is log10 of occurrences per billion words; add frequencies, not Zipf values.
        per_billion[word] = per_billion.get(word, 0.0) + 10**zipf
    ranked = sorted(
        ((round(math.log10(freq) * 100), word) for word, freq in per_billion.items()),
        key=lambda item: (-item[0], item[1]),
    )
    return [f"{word}\t{zipf100}" for zipf100, word in ranked[:KEEP]]


def main() -> int:
    """Write (or with --check, verify) the frequency file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args()
    text = "\n".join(build_lines()) + "\n"
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date; rerun scripts/build_wordfreq.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} words, {OUTPUT.stat().st_size:,} bytes to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
