"""Generate a synthetic corpus of raw articles for the benchmarks.

The paragraphs of ``raw/`` are read at run time, cut into templates (the numbers,
years, dates, personal names, officials with their rank and provinces become
slots) and recombined into N articles of about 5 KB, each with its own date,
province, people and byline. A share of the articles are exact duplicates of
earlier ones (spacing or blank lines may differ) and a share of the ``.txt``
files come in another encoding or form (UTF-8 with BOM, CRLF line ends, UTF-16,
Windows-1258, NFD). The same arguments (and the same raw/ and Python) give
byte-identical output.

Command line (``python bench/generate.py --help``)::

    python bench/generate.py /tmp/vnsc-corpus --articles 200000 --format both

Output layout (``generation.json`` is written last: its presence means the corpus is complete)::

    OUT_DIR/generation.json                  arguments, counts, bytes, duplicates, variants
    OUT_DIR/txt/000000123_<16 hex>.txt       one raw text file per article (hex: its bytes' SHA-256)
    OUT_DIR/jsonl/articles-00000.jsonl       K objects per file, one per article, in the same order

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     summary = generate(Path(folder) / "corpus", articles=100, seed=7)
>>> summary["counts"]["articles"], summary["counts"]["duplicates"], sum(summary["counts"]["forms"].values())
(100, 2, 100)
"""

from __future__ import annotations

import argparse
import codecs
import functools
import hashlib
import json
import math
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from io import BufferedWriter
from os import PathLike
from pathlib import Path
from typing import Any, TextIO

GENERATOR_VERSION = 1  # bump when the same arguments would give different output
REPO = Path(__file__).resolve().parent.parent
RAW_DIR = REPO / "raw"
FORMATS = ("txt", "jsonl", "both")
# How a .txt file is stored: the default, then the variants that a share of files get.
VARIANT_FORMS = ("utf-8-bom", "utf-8-crlf", "utf-16", "cp1258", "utf-8-nfd")
FORMS = ("utf-8", *VARIANT_FORMS)

# Shares and ranges of the articles' features (raw/: 3 of 5 files have a header date, 4 of 5 a byline).
HEADER_DATE_SHARE = 0.6
LEAD_SHARE = 0.8  # articles opening with a dated lead paragraph ("Sáng 19-6, …")
BYLINE_SHARE = 0.85
TWO_AUTHORS_SHARE = 0.2
CAPTION_SHARE = 0.25  # chance of a photo caption before each further body paragraph
LOWER_RANK_SHARE = 0.2  # articles writing ranks in lower case inside sentences ("đại úy …")
NEW_TONE_STYLE_SHARE = 0.1  # "Đại uý" instead of "Đại úy"
YEARS = (2015, 2025)
TARGET_BYTES = (2_500, 7_500, 4_000)  # triangular (low, high, mode) of an article's size before the last paragraph

FAMILY_NAMES: tuple[str, ...] = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
FAMILY_NAMES += ("Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Cao")
MIDDLE_NAMES: tuple[str, ...] = ("Văn", "Thị", "Hữu", "Đức", "Thanh", "Minh", "Quốc", "Ngọc", "Hải", "Xuân", "Đình")
MIDDLE_NAMES += ("Công", "Anh", "Thu", "Hồng", "Trọng", "Tiến", "Việt", "Khắc", "Bảo", "Thùy", "Tố", "Phú", "Nhật")
GIVEN_NAMES: tuple[str, ...] = ("An", "Bình", "Cường", "Dũng", "Dương", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa")
GIVEN_NAMES += ("Hùng", "Hương", "Huyền", "Khánh", "Lan", "Linh", "Long", "Nam", "Nga", "Nhân", "Phong", "Phương")
GIVEN_NAMES += ("Quân", "Sơn", "Tâm", "Tân", "Thắng", "Thành", "Thảo", "Trung", "Tuấn", "Tùng", "Vân", "Vinh", "Yến")
GIVEN_NAMES += ("Hợp", "Tấn")
# Police ranks (Law on People's Public Security 2018, art. 21), weighted towards those named in meeting reports.
RANKS = {"Đại tướng": 1, "Thượng tướng": 1, "Trung tướng": 3, "Thiếu tướng": 8, "Đại tá": 20, "Thượng tá": 15}
RANKS |= {"Trung tá": 10, "Thiếu tá": 8, "Đại úy": 6, "Thượng úy": 4, "Trung úy": 3, "Thiếu úy": 2}
# Provincial units before the 2025 merger, as older articles name them; cities with how text names them.
PROVINCES: tuple[str, ...] = ("Thanh Hóa", "Hà Tĩnh", "Nghệ An", "Thừa Thiên - Huế", "Đắk Lắk", "Quảng Bình")
PROVINCES += ("Quảng Trị", "Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận")
PROVINCES += ("Kon Tum", "Gia Lai", "Đắk Nông", "Lâm Đồng", "Quảng Ninh", "Lạng Sơn", "Cao Bằng", "Hà Giang")
PROVINCES += ("Lào Cai", "Yên Bái", "Tuyên Quang", "Thái Nguyên", "Bắc Kạn", "Phú Thọ", "Vĩnh Phúc", "Bắc Ninh")
PROVINCES += ("Bắc Giang", "Hải Dương", "Hưng Yên", "Thái Bình", "Nam Định", "Hà Nam", "Ninh Bình", "Hòa Bình")
PROVINCES += ("Sơn La", "Điện Biên", "Lai Châu", "Bình Dương", "Bình Phước", "Tây Ninh", "Đồng Nai", "Long An")
PROVINCES += ("Bà Rịa - Vũng Tàu", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang")
PROVINCES += ("Kiên Giang", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau")
CITIES = {"Hà Nội": "thành phố Hà Nội", "TP.HCM": "TP.HCM", "Hải Phòng": "thành phố Hải Phòng"}
CITIES |= {"Đà Nẵng": "thành phố Đà Nẵng", "Cần Thơ": "thành phố Cần Thơ", "Huế": "thành phố Huế"}
TIMES_OF_DAY = ("Sáng", "Sáng", "Chiều", "Chiều", "Tối", "Trưa")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below

_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EFA)) if c.isupper())
_LETTER = "".join(c for c in map(chr, range(0x41, 0x1EFA)) if c.isalpha())
_NAME = rf"(?:{'|'.join(FAMILY_NAMES)})(?: [{_UPPER}][{_LETTER}]*){{1,3}}(?![{_LETTER}])"
_RANK_WORDS = "|".join([*RANKS, *(rank.lower() for rank in RANKS)])
_PLACES = "|".join(sorted([*PROVINCES, *CITIES], key=len, reverse=True))
_LEAD = r"(?:Sáng|Chiều|Tối|Trưa) \d{1,2}[-/]\d{1,2}(?:[-/](?:19|20)\d\d)?(?!\d)"
_YEAR = r"(?<!\d)(?:19|20)\d\d(?!\d)"
# Every slot of a template, tried in this order at each position of the text.
_SLOTS = re.compile(
    "|".join(
        [
            f"(?P<lead>{_LEAD})",
            rf"(?P<date>(?<!\d)\d{{1,2}}[-/]\d{{1,2}}[-/]{_YEAR})",
            f"(?P<year>{_YEAR})",
            f"(?P<rank>(?<![{_LETTER}])(?:{_RANK_WORDS}) {_NAME})",
            f"(?P<name>(?<![{_LETTER}]){_NAME})",
            rf"(?P<province>(?<![{_LETTER}])(?<!TP\. )(?<!TP )(?:tỉnh )?(?:{_PLACES})(?![{_LETTER}]))",
            rf"(?P<number>(?<![{_LETTER}\d-])\d+)",
        ]
    )
)
_HEADER = re.compile(r"\s*date\s+(\d{4})\S*\s+(.*)")
_BYLINE = re.compile(rf"[{_LETTER}]+(?: [{_LETTER}]+)*(?: - [{_LETTER}]+(?: [{_LETTER}]+)*)*")
_SENTENCE_END = re.compile(r"(?<!TP)[.!?…](?: |$)")
_CAPTION_CHARS = 140


class GenerateError(Exception):
    """The generator cannot run with these arguments; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A place in a template that each article fills with its own value.

    ``kind`` is lead, date, year, rank, name, province or number; ``text`` is
    the original text; ``offset`` is the years after the source article's year;
    ``starts`` tells whether the slot starts a sentence (a rank there keeps its capital).
    """

    kind: str
    text: str
    offset: int = 0
    starts: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    """A text with ``{}`` where each slot goes (literal braces doubled), and its slots in order."""

    text: str
    slots: tuple[Slot, ...]


def compile_template(text: str, base_year: int) -> Template:
    """Cut ``text`` into a template; years become offsets from ``base_year``, the source article's year.

    >>> template = compile_template("Sáng 5-2-2020, Đại tá Trần Phú Hà dự 3 hội nghị năm 2019.", 2020)
    >>> template.text, [(slot.kind, slot.offset) for slot in template.slots]
    ('{}, {} dự {} hội nghị năm {}.', [('lead', 0), ('rank', 0), ('number', 0), ('year', -1)])
    """
    pieces, slots, position = [], [], 0
    for match in _SLOTS.finditer(text):
        kind, value = str(match.lastgroup), match.group()
        years = re.findall(_YEAR, value) if kind in ("date", "year") else []
        offset = int(years[-1]) - base_year if years else 0
        starts = kind == "rank" and text[: match.start()].rstrip()[-1:] in ("", ".", ":", "!", "?", "…")
        pieces.append(text[position : match.start()].replace("{", "{{").replace("}", "}}"))
        slots.append(Slot(kind, value, offset, starts))
        position = match.end()
    pieces.append(text[position:].replace("{", "{{").replace("}", "}}"))
    return Template("{}".join(pieces), tuple(slots))


@dataclass(frozen=True)
class Sources:
    """The templates cut from raw/: titles, opening paragraphs, body paragraphs, photo captions."""

    titles: list[Template]
    openings: list[list[Template]]  # per raw article: its paragraphs up to the dated lead paragraph
    body: list[Template]
    captions: list[Template]
    bytes_per_char: float
    files: list[dict[str, str]]  # the raw files read: name and sha256


def load_sources(raw_dir: Path = RAW_DIR) -> Sources:
    """Read the raw text files of ``raw_dir`` and cut them into templates.

    >>> sources = load_sources()
    >>> len(sources.openings), len(sources.body) > 50, len(sources.captions) > 10
    (5, True, True)
    """
    paths = sorted(raw_dir.glob("*.txt"))
    if not paths:
        raise GenerateError(f"{raw_dir}: no raw .txt files to take paragraphs from")
    titles: list[Template] = []
    openings: list[list[Template]] = []
    body: list[Template] = []
    captions: list[Template] = []
    files: list[dict[str, str]] = []
    n_bytes = n_chars = 0
    for path in paths:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        n_bytes, n_chars = n_bytes + len(data), n_chars + len(text)
        files.append({"file": path.name, "sha256": hashlib.sha256(data).hexdigest()})
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        header = _HEADER.fullmatch(lines[0])
        title, paragraphs = (header.group(2) if header else lines[0]), lines[1:]
        if len(paragraphs) > 1 and len(paragraphs[-1]) <= 60 and _BYLINE.fullmatch(paragraphs[-1]):
            paragraphs.pop()
        base_year = _base_year(header.group(1) if header else None, paragraphs)
        lead = next((i for i, p in enumerate(paragraphs[:3]) if re.match(_LEAD, p)), 0)
        openings.append([compile_template(p, base_year) for p in paragraphs[: lead + 1]])
        titles.append(compile_template(title, base_year))
        for paragraph in paragraphs:
            titles += [compile_template(sentence, base_year) for sentence in _title_sentence(paragraph)]
        for paragraph in paragraphs[lead + 1 :]:
            short = len(paragraph) < _CAPTION_CHARS
            (captions if short else body).append(compile_template(paragraph, base_year))
    return Sources(titles, openings, body, captions, n_bytes / n_chars, files)


def _base_year(header_year: str | None, paragraphs: list[str]) -> int:
    """The year an article was written: from its header, its dated lead, or the latest year it names."""
    if header_year:
        return int(header_year)
    text = "\n".join(paragraphs)
    lead = re.search(_LEAD, text)
    years = re.findall(_YEAR, lead.group() if lead and re.search(_YEAR, lead.group()) else text)
    return max(map(int, years), default=YEARS[0])


def _title_sentence(paragraph: str) -> list[str]:
    """The paragraph's first sentence when it makes a headline (8 to 25 words, no colon), without a dated lead.

    >>> _title_sentence("Sáng 19-6, Công an tỉnh tổ chức hội nghị điển hình tiên tiến năm 2020 tại trụ sở. Sau đó …")
    ['Công an tỉnh tổ chức hội nghị điển hình tiên tiến năm 2020 tại trụ sở']
    """
    text = re.sub(f"^{_LEAD}, ", "", paragraph)
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if ":" in sentence or not 8 <= len(sentence.split()) <= 25:
        return []
    return [sentence[0].upper() + sentence[1:]]


@dataclass(frozen=True)
class Article:
    """One generated article, as the raw record's fields."""

    title: str
    paragraphs: list[str]
    date: str | None
    byline: str | None


class _Filler:
    """Fills templates for one article: one date, one province, the same person for the same name."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.year = rng.randint(*YEARS)
        self.month = rng.randint(1, 12)
        self.day = rng.randint(1, _DAYS_IN_MONTH[self.month - 1])
        self.place = rng.choice(PROVINCES) if rng.random() < 0.9 else rng.choice(list(CITIES))
        self.lower_ranks = rng.random() < LOWER_RANK_SHARE
        self.people: dict[str, str] = {}
        self.ranks: dict[str, str] = {}

    def fill(self, template: Template) -> str:
        """The template's text with every slot filled."""
        return template.text.format(*[self._slot(slot) for slot in template.slots])

    def _slot(self, slot: Slot) -> str:
        rng, kind = self.rng, slot.kind
        if kind == "number":
            digits = len(slot.text)
            if slot.text[0] == "0" and digits > 1:
                return f"{rng.randrange(10**digits):0{digits}d}"
            return str(rng.randrange(10 ** (digits - 1) if digits > 1 else 1, 10**digits))
        if kind == "year":
            return str(self.year + slot.offset)
        if kind == "date":
            separator, month = slot.text[-5], rng.randint(1, 12)
            day = rng.randint(1, _DAYS_IN_MONTH[month - 1])
            return f"{day}{separator}{month}{separator}{self.year + slot.offset}"
        if kind == "lead":
            separator = rng.choice("-/")
            year = f"{separator}{self.year}" if rng.random() < 0.3 else ""
            return f"{rng.choice(TIMES_OF_DAY)} {self.day}{separator}{self.month}{year}"
        if kind == "province":
            return CITIES.get(self.place, f"tỉnh {self.place}") if slot.text.startswith("tỉnh ") else self.place
        if kind == "name":
            return self._person(slot.text)
        first_word, _, name = slot.text.split(" ", 2)  # a rank is two words: "Đại tá Trần Phú Hà"
        rank = self._rank(name)
        lower = first_word.islower() or (self.lower_ranks and not slot.starts)
        return f"{rank.lower() if lower else rank} {self._person(name)}"

    def _person(self, original: str) -> str:
        if original not in self.people:
            self.people[original] = person_name(self.rng)
        return self.people[original]

    def _rank(self, original: str) -> str:
        if original not in self.ranks:
            rank = self.rng.choices(list(RANKS), weights=list(RANKS.values()))[0]
            self.ranks[original] = rank.replace("úy", "uý") if self.rng.random() < NEW_TONE_STYLE_SHARE else rank
        return self.ranks[original]


def person_name(rng: random.Random) -> str:
    """A full Vietnamese name: family, one or two middle names, given name.

    >>> person_name(random.Random(1))
    'Lê Thanh Linh'
    """
    middle = rng.choice(MIDDLE_NAMES) + (" " + rng.choice(MIDDLE_NAMES) if rng.random() < 0.1 else "")
    return f"{rng.choice(FAMILY_NAMES)} {middle} {rng.choice(GIVEN_NAMES)}"


def _author(rng: random.Random) -> str:
    """A byline name: a pen name of two words ("Thùy Dương") or a full name."""
    return f"{rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}" if rng.random() < 0.6 else person_name(rng)


def compose(sources: Sources, rng: random.Random) -> Article:
    """A new article from the templates: a title, an opening, body paragraphs and captions, a byline.

    >>> article = compose(load_sources(), random.Random(5))
    >>> article.title, article.byline
    ('Trung tướng Huỳnh Ngọc Hải - Phó Giám đốc Công an tỉnh phát biểu tại hội nghị', 'Khắc An')
    """
    filler = _Filler(rng)
    date = None
    if rng.random() < HEADER_DATE_SHARE:  # at month precision mostly, as in raw/
        year, month, day, roll = filler.year, filler.month, filler.day, rng.random()
        date = f"{year}" if roll < 0.05 else f"{year}-{month:02d}" if roll < 0.9 else f"{year}-{month:02d}-{day:02d}"
    title = filler.fill(rng.choice(sources.titles))
    unused = list(range(len(sources.body)))
    if rng.random() < LEAD_SHARE:
        opening = rng.choice(sources.openings)
    else:
        opening = [sources.body[unused.pop(rng.randrange(len(unused)))]]
    paragraphs = [filler.fill(template) for template in opening]
    target = rng.triangular(*TARGET_BYTES) / sources.bytes_per_char
    size = sum(map(len, paragraphs))
    while size < target and unused:
        if rng.random() < CAPTION_SHARE:
            paragraphs.append(filler.fill(rng.choice(sources.captions)))
        paragraphs.append(filler.fill(sources.body[unused.pop(rng.randrange(len(unused)))]))
        size += len(paragraphs[-1])
    byline = None
    if rng.random() < BYLINE_SHARE:
        byline = " - ".join(_author(rng) for _ in range(2 if rng.random() < TWO_AUTHORS_SHARE else 1))
    return Article(title, paragraphs, date, byline)


def respace(article: Article, rng: random.Random) -> tuple[Article, str]:
    """The same article with different spacing, and the separator between its paragraphs.

    Title and text stay identical once spaces are collapsed and blank lines dropped.

    >>> respace(Article("Tiêu đề", ["Công an tỉnh dự họp."], None, None), random.Random(7))
    (Article(title='Tiêu  đề ', paragraphs=['Công an tỉnh  dự họp. '], date=None, byline=None), '\\n\\n')
    """
    style = rng.choice(("same", "spaces", "lines"))
    if style == "lines":
        return article, rng.choice(("\n", "\n\n\n"))
    if style == "same":
        return article, "\n\n"

    def widen(text: str) -> str:
        space = text.find(" ", rng.randrange(len(text)))
        return (text[:space] + "  " + text[space + 1 :] if space >= 0 else text) + " "

    return replace(article, title=widen(article.title), paragraphs=list(map(widen, article.paragraphs))), "\n\n"


def render_text(article: Article, separator: str = "\n\n") -> str:
    """The raw text format: optional ``date`` prefix and title, paragraphs, optional byline.

    >>> render_text(Article("Tiêu đề", ["Đoạn một.", "Đoạn hai."], "2020-06", "Tố Phương"))
    ' date 2020-06 Tiêu đề\\n\\nĐoạn một.\\n\\nĐoạn hai.\\n\\nTố Phương'
    """
    header = f" date {article.date} " if article.date else ""
    return separator.join([header + article.title, *article.paragraphs, *([article.byline] if article.byline else [])])


def render_json(article: Article) -> str:
    """One JSON Lines object as schema/raw_article.schema.json asks (``source`` is the reader's).

    >>> render_json(Article("Tiêu đề", ["Đoạn một."], None, "Tố Phương"))
    '{"title": "Tiêu đề", "paragraphs": ["Đoạn một."], "byline": "Tố Phương"}'
    """
    record: dict[str, Any] = {"title": article.title, "paragraphs": article.paragraphs}
    record |= {"date": article.date} if article.date else {}
    record |= {"byline": article.byline} if article.byline else {}
    return json.dumps(record, ensure_ascii=False)


def encode(text: str, form: str) -> bytes:
    """The bytes of ``text`` stored in ``form`` (one of :data:`FORMS`).

    >>> encode("Huế", "cp1258"), encode("Huế", "utf-16")[:2]
    (b'Hu\\xea\\xec', b'\\xff\\xfe')
    """
    if form == "utf-8":
        return text.encode()
    if form == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode()
    if form == "utf-8-crlf":
        return text.replace("\n", "\r\n").encode()
    if form == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if form == "cp1258":
        return "".join(map(_cp1258_form, text)).encode("cp1258")
    if form == "utf-8-nfd":
        return unicodedata.normalize("NFD", text).encode()
    raise GenerateError(f"unknown form {form!r}; choose one of {', '.join(FORMS)}")


@functools.cache
def _cp1258_form(char: str) -> str:
    """Windows-1258 spelling: the letter without its tone (precomposed), then the combining tone mark.

    >>> [hex(ord(c)) for c in _cp1258_form("ế")]
    ['0xea', '0x301']
    """
    decomposed = unicodedata.normalize("NFD", char)
    tones = "".join(c for c in decomposed if c in _TONE_MARKS)
    if not tones:
        return char
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS)) + tones


def check_out_dir(out_dir: Path) -> Path:
    """``out_dir`` resolved, if it is outside any git work tree and is new or empty; else GenerateError."""
    out = out_dir.resolve()
    for folder in (REPO, *(parent for parent in (out, *out.parents) if (parent / ".git").exists())):
        if out.is_relative_to(folder):
            raise GenerateError(
                f"{out_dir}: inside the repository {folder}; write the corpus outside it, e.g. /tmp/vnsc-corpus"
            )
    if out.exists() and not out.is_dir():
        raise GenerateError(f"{out_dir}: exists and is not a folder; name a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise GenerateError(f"{out_dir}: the folder is not empty; name a new or empty folder")
    return out


@dataclass(frozen=True)
class Plan:
    """Which articles are duplicates (of which earlier article) and which files get another form."""

    duplicate_of: dict[int, int]
    forms: dict[int, str]

    @classmethod
    def make(cls, articles: int, seed: int, duplicate_share: float, variant_share: float) -> Plan:
        """Exactly round(share × articles) duplicates and variants, spread at random.

        >>> plan = Plan.make(100, 0, 0.05, 0.1)
        >>> len(plan.duplicate_of), all(source < index for index, source in plan.duplicate_of.items())
        (5, True)
        >>> sorted(Counter(plan.forms.values()).values())
        [2, 2, 2, 2, 2]
        """
        rng = random.Random(seed)
        duplicate_of: dict[int, int] = {}
        for index in sorted(rng.sample(range(1, articles), min(round(articles * duplicate_share), articles - 1))):
            source = rng.randrange(index)
            duplicate_of[index] = duplicate_of.get(source, source)
        variants = rng.sample(range(articles), round(articles * variant_share))
        return cls(duplicate_of, {index: VARIANT_FORMS[k % len(VARIANT_FORMS)] for k, index in enumerate(variants)})


def article_rng(seed: int, index: int) -> random.Random:
    """The random source of article ``index``: article i is the same whatever the corpus size."""
    return random.Random(seed << 40 | index)


class _JsonlWriter:
    """JSON Lines, ``per_file`` objects per file: articles-00000.jsonl, articles-00001.jsonl, …"""

    def __init__(self, folder: Path, per_file: int) -> None:
        self.folder, self.per_file, self.count, self.bytes = folder, per_file, 0, 0
        folder.mkdir(parents=True)
        self.file = self._open(0)

    def _open(self, number: int) -> BufferedWriter:
        return (self.folder / f"articles-{number:05d}.jsonl").open("wb")

    def write(self, line: str) -> None:
        if self.count and self.count % self.per_file == 0:
            self.file.close()
            self.file = self._open(self.count // self.per_file)
        data = line.encode() + b"\n"
        self.file.write(data)
        self.count, self.bytes = self.count + 1, self.bytes + len(data)

    def close(self) -> None:
        self.file.close()


class _Progress:
    """A one-line progress report on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.stream, self.start = total, stream, time.perf_counter()

    def update(self, done: int) -> None:
        if self.stream is None or (done % 2_000 and done != self.total):
            return
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed else 0.0
        eta = (self.total - done) / rate if rate else 0.0
        self.stream.write(f"\r{done:,}/{self.total:,} articles  {rate:,.0f}/s  ETA {eta:,.0f}s ")
        if done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def generate(
    out_dir: str | PathLike[str],
    articles: int = 200_000,
    seed: int = 0,
    fmt: str = "txt",
    *,
    jsonl_per_file: int = 10_000,
    duplicate_share: float = 0.02,
    variant_share: float = 0.03,
    raw_dir: str | PathLike[str] = RAW_DIR,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Write a synthetic corpus into ``out_dir`` (new or empty, outside the repository).

    ``fmt`` is txt, jsonl or both; ``progress`` a stream for a progress line.
    Returns the summary also written to ``out_dir/generation.json``.
    """
    if not 1 <= articles < 10**9 or seed < 0 or jsonl_per_file < 1 or fmt not in FORMATS:
        raise GenerateError(
            f"articles must be 1 to 999,999,999 (got {articles}), seed ≥ 0 (got {seed}), "
            f"jsonl_per_file ≥ 1 (got {jsonl_per_file}), format one of {', '.join(FORMATS)} (got {fmt!r})"
        )
    if not (0 <= duplicate_share < 1 and 0 <= variant_share <= 1):
        raise GenerateError(
            f"shares must be fractions: duplicates in [0, 1), variants in [0, 1] (got "
            f"{duplicate_share}, {variant_share})"
        )
    out = check_out_dir(Path(out_dir))
    sources = load_sources(Path(raw_dir))
    plan = Plan.make(articles, seed, duplicate_share, variant_share)
    txt_dir = out / "txt" if fmt in ("txt", "both") else None
    if txt_dir:
        txt_dir.mkdir(parents=True)
    jsonl = _JsonlWriter(out / "jsonl", jsonl_per_file) if fmt in ("jsonl", "both") else None
    forms: Counter[str] = Counter()
    txt_bytes = with_date = with_byline = 0
    report = _Progress(articles, progress)
    for index in range(articles):
        source = plan.duplicate_of.get(index, index)
        article, separator = compose(sources, article_rng(seed, source)), "\n\n"
        if source != index:
            article, separator = respace(article, article_rng(seed, index))
        with_date += article.date is not None
        with_byline += article.byline is not None
        if txt_dir:
            form = plan.forms.get(index, "utf-8")
            data = encode(render_text(article, separator), form)
            (txt_dir / f"{index:09d}_{hashlib.sha256(data).hexdigest()[:16]}.txt").write_bytes(data)
            forms[form] += 1
            txt_bytes += len(data)
        if jsonl:
            jsonl.write(render_json(article))
        report.update(index + 1)
    if jsonl:
        jsonl.close()
    jsonl_bytes = jsonl.bytes if jsonl else 0
    summary = {
        "generator": "bench/generate.py",
        "generator_version": GENERATOR_VERSION,
        "arguments": {
            "articles": articles,
            "seed": seed,
            "format": fmt,
            "jsonl_per_file": jsonl_per_file,
            "duplicate_share": duplicate_share,
            "variant_share": variant_share,
        },
        "raw_inputs": sources.files,
        "folders": {"txt": "txt" if txt_dir else None, "jsonl": "jsonl" if jsonl else None},
        "counts": {
            "articles": articles,
            "unique": articles - len(plan.duplicate_of),
            "duplicates": len(plan.duplicate_of),
            "with_header_date": with_date,
            "with_byline": with_byline,
            "txt_files": articles if txt_dir else 0,
            "jsonl_files": math.ceil(articles / jsonl_per_file) if jsonl else 0,
            "forms": {form: forms[form] for form in FORMS} if txt_dir else {},
        },
        "bytes": {"txt": txt_bytes, "jsonl": jsonl_bytes, "total": txt_bytes + jsonl_bytes},
        "duplicates": [[index, source] for index, source in sorted(plan.duplicate_of.items())],
        "variants": [[index, form] for index, form in sorted(plan.forms.items())] if txt_dir else [],
    }
    text = json.dumps(summary, ensure_ascii=False, indent=1) + "\n"
    (out / "generation.json").write_text(text, encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (0 done, 2 usage or refused output folder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", metavar="OUT_DIR", help="new or empty folder outside the repository")
    parser.add_argument("--articles", type=int, default=200_000, metavar="N", help="number of articles (200000)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")
    parser.add_argument("--format", choices=FORMATS, default="txt", help="what to write (txt)")
    parser.add_argument("--jsonl-per-file", type=int, default=10_000, metavar="K", help="objects per .jsonl (10000)")
    parser.add_argument("--duplicates", type=float, default=0.02, metavar="SHARE", help="exact duplicates (0.02)")
    parser.add_argument("--variants", type=float, default=0.03, metavar="SHARE", help="other encodings/forms (0.03)")
    parser.add_argument("--raw", default=str(RAW_DIR), metavar="DIR", help="raw articles to recombine (raw/)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    terminal = sys.stderr if sys.stderr.isatty() else None
    try:
        summary = generate(
            args.out_dir,
            args.articles,
            args.seed,
            args.format,
            jsonl_per_file=args.jsonl_per_file,
            duplicate_share=args.duplicates,
            variant_share=args.variants,
            raw_dir=args.raw,
            progress=terminal,
        )
    except GenerateError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if terminal:
        seconds = time.perf_counter() - start
        megabytes = summary["bytes"]["total"] / 1e6
        print(f"wrote {args.articles:,} articles ({megabytes:,.0f} MB) in {seconds:.1f}s", file=terminal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
