"""Which language an article is in, measured with the library's own model of Vietnamese spelling.

Vietnamese is told by its syllables: nearly every word of Vietnamese text is one valid
syllable (:func:`~vn_security_corpus.decode.is_syllable`: onset, rhyme, at most one tone
mark) and many carry its letters or tone marks (ă â đ ê ô ơ ư, à á ả ã ạ …). Other
languages are named by their script (Chinese, Japanese, Korean, Russian, Thai, Khmer, Lao,
Arabic, …) or, in Latin script, by their commonest words (English, French, Spanish,
German, Portuguese, Indonesian); anything else is ``und`` (undetermined). No model file,
no network: the rules ship in this module.

>>> detect("Công an tỉnh tổ chức hội nghị", "Sáng 19-6, Công an tỉnh Thanh Hóa tổ chức hội nghị điển hình.")
Language(code='vi', name='Vietnamese', share=1.0)
>>> detect("Police hold conference", "On Friday the provincial police held a conference on public order.").code
'en'
>>> detect("公安机关召开会议", "省公安厅召开工作会议，部署打击犯罪工作。").name
'Chinese'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .decode import is_syllable

VIETNAMESE, UNDETERMINED = "vi", "und"
_SAMPLE_WORDS = 120  # enough to decide; the rest of a long article costs time and tells nothing more
_VIETNAMESE_SHARE = 0.7  # of the words: valid syllables (Vietnamese text: ~0.9; English: ~0.3)
_MARKED_SHARE = 0.15  # of the words: with a Vietnamese letter or tone mark (Vietnamese text: ~0.6)
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters
# Letters of any script but Latin (Vietnamese letters are all in Latin-1, Latin Extended and its Additional block).
_NOT_LATIN = re.compile("[^\x00-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f\u20ab\u20ac]")
NAMES = {
    "vi": "Vietnamese",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "pt": "Portuguese",
    "id": "Indonesian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "th": "Thai",
    "lo": "Lao",
    "km": "Khmer",
    "ar": "Arabic",
    "hi": "Hindi",
    "el": "Greek",
    "he": "Hebrew",
    "und": "an undetermined language",
}
# Scripts by the first word of their characters' Unicode names, and the language they most likely mean.
_SCRIPTS = {
    "CJK": "zh",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "CYRILLIC": "ru",
    "THAI": "th",
    "LAO": "lo",
    "KHMER": "km",
    "ARABIC": "ar",
    "DEVANAGARI": "hi",
    "GREEK": "el",
    "HEBREW": "he",
}
_COMMON_WORDS = {
    "en": "the and of to in is was for on that with by as at are from this have were has be it an",
    "fr": "le la les des et est du une dans pour que qui sur par au aux pas ce il sont",
    "es": "el los las del que en y por una con para es se al lo como su más",
    "de": "der die und das ist nicht mit den von zu im auf für ein eine sich dem des",
    "pt": "os as do da dos das em um uma para com não que se por ao",
    "id": "yang dan di untuk dengan ini itu dari dalam akan pada tidak adalah ke oleh",
}
_COMMON = {code: frozenset(words.split()) for code, words in _COMMON_WORDS.items()}


@dataclass(frozen=True)
class Language:
    """A measured language: ISO 639-1 code (``und`` when undetermined), English name, and the share
    of the sampled words that are Vietnamese syllables."""

    code: str
    name: str
    share: float


def detect(title: str, text: str) -> Language:
    """The language of an article's title and text (its first few hundred words)."""
    sample = f"{title} {text}"[: _SAMPLE_WORDS * 8]
    if _NOT_LATIN.search(sample):  # another script: which one, if it is most of the letters
        letters = [char for char in sample if char.isalpha()]
        scripts: dict[str, int] = {}
        for char in letters:
            if _NOT_LATIN.match(char):
                code = _SCRIPTS.get(unicodedata.name(char, "").split(" ")[0])
                if code:
                    scripts[code] = scripts.get(code, 0) + 1
        if scripts and sum(scripts.values()) > len(letters) / 2:
            code = "ja" if scripts.get("ja", 0) > len(letters) / 10 else max(sorted(scripts), key=scripts.__getitem__)
            return Language(code, NAMES[code], 0.0)
    cleaned = _WORD.findall(sample)[:_SAMPLE_WORDS]
    if not cleaned:
        return Language("und", NAMES["und"], 0.0)
    share = sum(map(is_syllable, cleaned)) / len(cleaned)
    marked = sum(not word.isascii() for word in cleaned) / len(cleaned)  # Latin letters with marks: ă, đ, ơ, à …
    if share >= _VIETNAMESE_SHARE and marked >= _MARKED_SHARE:
        return Language(VIETNAMESE, NAMES[VIETNAMESE], round(share, 3))
    lower = [word.lower() for word in cleaned]
    hits = {code: sum(word in common for word in lower) for code, common in _COMMON.items()}
    best = max(sorted(hits), key=hits.__getitem__)
    code = best if hits[best] >= max(2, len(lower) // 20) else "und"
    return Language(code, NAMES[code], round(share, 3))
