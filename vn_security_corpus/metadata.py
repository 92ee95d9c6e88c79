"""Metadata from an article's text: date at its real precision, authors, provinces, officials.

Every function here expects normalised text in the traditional tone style (the
normalise stage converts before calling).

>>> article_date("2020-06", ["Sáng 19-6, Công an tỉnh tổ chức hội nghị."])
(ArticleDate(date='2020-06-19', precision='day', source='header+body'), [])
>>> split_byline("Thùy Dương - Anh Tấn")
['Thùy Dương', 'Anh Tấn']
>>> find_places("Công an Thanh Hóa", "Giáp ranh với Nghệ An và TP.HCM; tỉnh Thanh Hoá.").provinces
['Thanh Hóa', 'Nghệ An', 'Hồ Chí Minh']
>>> find_officials("Thiếu tướng Nguyễn Hải Trung, Giám đốc, và đại uý Lê Văn An phát biểu.")
[{'rank': 'Thiếu tướng', 'name': 'Nguyễn Hải Trung'}, {'rank': 'Đại úy', 'name': 'Lê Văn An'}]
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from .package_data import package_file
from .repairs import conflict
from .text import trie_pattern

_DATA = package_file("data")
_PRECISIONS = {1: "year", 2: "month", 3: "day"}

# ---------------------------------------------------------------- dates

# The lead's date phrase opens its paragraph: "Sáng 5-2-2020,", "Chiều 1/10,",
# "Sáng nay (15/1),", "Ngày 15/1/2022,", "Tối 14 tháng 1 năm 2022,".
_LEAD_DATE = re.compile(
    r"(?i)(?:(?:vào|trong)\s+)?(?:rạng\s+sáng|sáng|trưa|chiều|tối|đêm|ngày|hôm)"
    r"(?:\s+(?:hôm\s+nay|hôm\s+qua|nay|qua))?\s*\(?\s*(?:ngày\s+)?"
    r"(?P<day>\d{1,2})\s*(?:[-/.]\s*(?P<month>\d{1,2})|\s+tháng\s+(?P<month_word>\d{1,2}))"
    r"(?:\s*(?:[-/.]|\s+năm\s+)\s*(?P<year>\d{4}))?\s*\)?(?=[\s,.;:]|$)"
)
_LEAD_PARAGRAPHS = 3  # the lead is the first paragraph, or the one after a summary and a caption


class ArticleDate(NamedTuple):
    """An article's date: ISO text at its precision, and where it was found."""

    date: str | None
    precision: str | None
    source: str | None


UNKNOWN_DATE = ArticleDate(None, None, None)


def header_date(value: str | None) -> ArticleDate:
    """The date given in the raw header (already validated as YYYY[-MM[-DD]]).

    >>> header_date("2020-06")
    ArticleDate(date='2020-06', precision='month', source='header')
    """
    if not value:
        return UNKNOWN_DATE
    return ArticleDate(value, _PRECISIONS[value.count("-") + 1], "header")


def lead_date(paragraphs: Sequence[str]) -> tuple[int | None, int, int, str] | None:
    """``(year or None, month, day, phrase)`` of the date phrase opening the lead, if any.

    Only a phrase at the start of one of the first paragraphs counts: dates inside
    sentences (``Nghị định số 03/2019/NĐ-CP ngày 5/9/2019``) are other things' dates.

    >>> lead_date(["Đó là yêu cầu của tỉnh.", "Chiều 1/10, Bí thư chủ trì buổi làm việc."])
    (None, 10, 1, 'Chiều 1/10')
    """
    for paragraph in paragraphs[:_LEAD_PARAGRAPHS]:
        match = _LEAD_DATE.match(paragraph)
        if match:
            day, month = int(match["day"]), int(match["month"] or match["month_word"])
            year = int(match["year"]) if match["year"] else None
            if _is_real_date(year or 2000, month, day):  # 2000: a leap year admits 29/2
                return year, month, day, match.group().rstrip(" ,.;:")
    return None


def article_date(header: str | None, paragraphs: Sequence[str]) -> tuple[ArticleDate, list[str]]:
    """The article's date from the header and the lead, and the conflict between them if any
    (a ``source.conflicts`` entry of code ``date-header-lead``).

    The lead refines the header to the day, borrowing the header's year (and checking its
    month); a lead without a year and no header year gives no date at all. When header
    and lead disagree the header wins and the conflict is recorded.

    >>> article_date(None, ["Sáng 15/1, hội nghị giao ban thực hiện Nghị định ngày 5/9/2019."])
    (ArticleDate(date=None, precision=None, source=None), [])
    >>> article_date("2020-07", ["Sáng 19-6, Công an tỉnh tổ chức hội nghị."])[1]
    ["date-header-lead: the header says 2020-07 but the lead says 'Sáng 19-6'; kept the header"]
    """
    from_header = header_date(header)
    lead = lead_date(paragraphs)
    if lead is None:
        return from_header, []
    year, month, day, phrase = lead
    parts = [int(part) for part in header.split("-")] if header else []
    known = [year, month, day] if year is not None else [None, month, day]
    if parts and any(part != known[index] for index, part in enumerate(parts) if known[index] is not None):
        detail = f"the header says {header} but the lead says {phrase!r}; kept the header"
        return from_header, [conflict("date-header-lead", detail)]
    if year is None:
        if not parts or not _is_real_date(parts[0], month, day):
            return from_header, []
        year, source = parts[0], "header+body"
    else:
        source = "body"
    if len(parts) == 3:
        return from_header, []
    return ArticleDate(f"{year:04d}-{month:02d}-{day:02d}", "day", source), []


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- bylines

# Separators between authors in a byline: a dash with spaces, a comma, "và" (and).
_BYLINE_SEPARATOR = re.compile(r"\s+[-–—]\s+|\s*[,;&/]\s*|\s+và\s+")
_NOT_AUTHORS = {"Theo", "Nguồn", "Ảnh", "Video", "Tin", "Bài"}
_MAX_BYLINE_CHARS = 80
_MAX_NAME_WORDS = 5
# What surrounds the names of a byline without being one: Markdown emphasis (**Lê Thu**), a credit
# ("Tin, ảnh: Đình Hợp", "Bài và ảnh:"), an agency or a note after the names ("Việt Hoàng (TTXVN)").
_EMPHASIS = re.compile(r"^(\*{1,2}|_{1,2})(.+?)\1$")
_CREDIT = re.compile(r"^(?:(?:Tin|Bài)(?:\s*(?:,|và)\s*(?:ảnh|clip|video))?|Nhóm PV|PV)\s*:\s*", re.IGNORECASE)
_NOTE_AFTER = re.compile(r"\s*[(\[](?:TTXVN(?:/[^)\]]*)?|[Tt]ổng hợp|CTV|PV|[A-ZĐ][A-ZĐ.+/ ]{1,14})[)\]]\.?$")
# Lines that close an article after its byline and are not text: the source ("Theo VOV",
# "Nguồn: …"), a compilation note ("(Tổng hợp)"), photo or video credits, aggregators' "more(…)".
_TRAILER = re.compile(
    r"^(?:Theo\s+[^,.;:!?]{1,60}|Nguồn\s*:.{1,100}|[(\[]?\s*[Tt]ổng hợp\s*[)\]]?\.?"
    r"|(?:Ảnh|Video|Clip)(?:\s+minh họa)?\s*:.{0,100}|more\s*\(.*)$"
)
_MAX_TRAILERS = 3
# A byline glued to the end of the last sentence: "… đang được làm rõ. Hồng Quý", "… ý. THANH VÂN".
_GLUED_BYLINE = re.compile(r"^(?P<text>.*[.!?…”\")])\s+(?P<byline>\*{0,2}[^\W\d_][^.!?…”\")]{2,60})$", re.DOTALL)
_MIN_GLUED_WORDS = 2


def split_byline(line: str) -> list[str] | None:
    """The author names of a byline, or None when ``line`` is not a byline.

    A byline is short, has no digits or sentence punctuation, and consists of
    capitalised personal names (or names in capitals, written back in Title Case) joined by
    `` - ``, ``,`` or ``và``; Markdown emphasis, a credit before the names and an agency or
    note after them are not part of the names.

    >>> split_byline("Đình Hợp"), split_byline("Lê Hà, Minh Anh và Quốc Hùng"), split_byline("Các đại biểu.")
    (['Đình Hợp'], ['Lê Hà', 'Minh Anh', 'Quốc Hùng'], None)
    >>> split_byline("**Lê Thu**"), split_byline("Tin, ảnh: Đình Hợp"), split_byline("THANH VÂN (TTXVN)")
    (['Lê Thu'], ['Đình Hợp'], ['Thanh Vân'])
    """
    line = " ".join(line.split())
    emphasis = _EMPHASIS.match(line)
    line = _NOTE_AFTER.sub("", _CREDIT.sub("", emphasis.group(2) if emphasis else line)).strip()
    if not line or len(line) > _MAX_BYLINE_CHARS:
        return None
    if line.isupper():  # a byline in capitals: "THANH VÂN"
        line = line.title().replace(" Và ", " và ")
    names = [name for name in _BYLINE_SEPARATOR.split(line) if name]
    for name in names:
        words = name.split()
        if len(words) > _MAX_NAME_WORDS or not all(map(_is_name_word, words)):
            return None
    if not names or names[0].split()[0] in _NOT_AUTHORS:
        return None
    return names


class Byline(NamedTuple):
    """The end of an article taken apart: the paragraphs that stay (the last one shortened when a
    byline was glued to it), the byline as written (None: none found), the trailers removed."""

    paragraphs: list[str]
    byline: str | None
    trailers: list[str]


def find_byline(paragraphs: Sequence[str]) -> Byline:
    """The byline of an article's paragraphs, wherever the layouts of real crawls put it: a last
    paragraph of its own, in Markdown bold, before trailers ("Theo VOV", "(Tổng hợp)", photo
    credits: removed), or glued to the end of the last sentence. The first paragraph (the lead)
    is never a byline.

    >>> found = find_byline(["Sáng 19-6, hội nghị.", "Hiện vụ việc đang được làm rõ. Hồng Quý", "Theo VOV"])
    >>> found.paragraphs, found.byline, found.trailers
    (['Sáng 19-6, hội nghị.', 'Hiện vụ việc đang được làm rõ.'], 'Hồng Quý', ['Theo VOV'])
    """
    body, trailers = list(paragraphs), list[str]()
    while len(body) > 1 and len(trailers) < _MAX_TRAILERS and _TRAILER.match(body[-1].strip()):
        trailers.insert(0, body.pop().strip())
    if len(body) > 1 and split_byline(body[-1]) is not None:
        return Byline(body[:-1], body[-1].strip(), trailers)
    glued = _GLUED_BYLINE.match(body[-1].strip()) if body else None
    if glued and len(body) > 1:
        names = split_byline(glued.group("byline"))
        if names and all(len(name.split()) >= _MIN_GLUED_WORDS for name in names) and not _is_place(names):
            return Byline([*body[:-1], glued.group("text")], glued.group("byline"), trailers)
    if trailers:  # no byline before them: they stay text
        return Byline(list(paragraphs), None, [])
    return Byline(body, None, [])


def _is_name_word(word: str) -> bool:
    """A capitalised word of letters only: "Dương", not "dương", "DƯƠNG" or "19".

    >>> _is_name_word("Dương"), _is_name_word("DƯƠNG")
    (True, False)
    """
    return word.isalpha() and word[0].isupper() and (len(word) == 1 or word[1:].islower())


def _is_place(names: Sequence[str]) -> bool:
    """Whether a glued "name" is a province (… tại tỉnh. Thanh Hóa): a glued byline is never a place."""
    table = _compiled_gazetteer()
    return any(name in table.canonical for name in names)


# ---------------------------------------------------------------- provinces

# Common Vietnamese surnames (with the Kinh and the largest minorities' most frequent ones). Before
# a province name they make it a person's name ("Trương Hòa Bình"); a rank followed by one written
# in lower case ("trung tá nguyễn Văn A") is a name mistyped.
SURNAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Trương Đinh Đoàn Lâm Mai Trịnh Đào "
    "Cao Lương Tô Hà Tạ Chu La Lưu Kiều Quách Thái Triệu Tăng Lại Khổng Vương Châu Từ Hứa Mạc Thân Tôn Giang Kim "
    "Âu Bạch Diệp Doãn Khúc Lục Mạch Nghiêm Phùng Quan Tống Trình Vi Lò Lường Hầu Đàm Ông Đồng Nông Lã Lữ Ninh "
    "Khương Viên Cù Cấn Chử Bế Sầm Thạch Danh Kha Ma Mã Ân Đậu Chúc Lạc Tiêu Phí Giáp Văn Ngụy Bành Cổ "
    "Dư Hàn Hoa Lỗ Mẫn Nhan Ôn Tào Thiều Trang Ưng Vưu Kpă Rơ Siu Ksor".split()
)
# Middle names and honorifics that, just before a province name, make it a person's given name
# ("Phạm Thị Hà Giang", "Ngụy Như Kon Tum", "chị Huế"). "Đoàn" (a delegation: "Đoàn Nghệ An thăm …")
# and "Anh" (England) are left out.
_GIVEN_NAME_PARTS = frozenset(
    "Thị Văn Đức Hữu Ngọc Xuân Đình Tiến Trọng Mạnh Quốc Minh Thanh Công Thu Hồng Bá Duy Quang Như Khắc Viết "
    "Thế Huy Hoài Thúy Thùy Phương Bích Diệu Mỹ".split()
)
_HONORIFICS = frozenset("ông bà anh chị cô chú bác cháu cụ Ông Bà Chị Cô Chú Bác Cụ".split())
_PERSON_BEFORE = (SURNAMES - {"Đoàn"}) | _GIVEN_NAME_PARTS | _HONORIFICS
_DASHES = ("-", " - ", "–", " – ")
_NOT_WORD_AFTER = r"(?![^\W_])"


class Places(NamedTuple):
    """Where an article is: its main province, every province named, and the main one's 2025 unit."""

    province: str | None
    provinces: list[str]
    province_2025: str | None


class _Gazetteer(NamedTuple):
    pattern: re.Pattern[str]
    canonical: dict[str, str | None]  # every spelling → canonical name; None: not a place
    province_2025: dict[str, str]


@functools.cache
def gazetteer() -> dict[str, Any]:
    """The gazetteer data file: the 63 provinces (until 2025) with variants, and the 34 units of 2025."""
    data: dict[str, Any] = json.loads((_DATA / "provinces.json").read_text(encoding="utf-8"))
    return data


@functools.cache
def _compiled_gazetteer() -> _Gazetteer:
    data = gazetteer()
    canonical: dict[str, str | None] = {}
    spellings = [(p["name"], form) for p in data["provinces"] for form in (p["name"], *p["variants"])]
    spellings += [(None, phrase) for phrase in data["not_places"]["phrases"]]
    for name, form in spellings:
        parts = re.split(r"\s*[-–]\s*", form)
        for dash in _DASHES if len(parts) > 1 else ("",):
            canonical[dash.join(parts)] = name
    pattern = re.compile(trie_pattern(canonical) + _NOT_WORD_AFTER)
    return _Gazetteer(pattern, canonical, {p["name"]: p["province_2025"] for p in data["provinces"]})


def find_places(title: str, text: str) -> Places:
    """The provinces of an article (title and text normalised, single-spaced, paragraphs
    separated by line breaks).

    ``provinces`` lists every province the article names as a place, in order of first mention:
    not a province's name inside a person's name ("Trương Hòa Bình", "chị Huế"), inside the name
    of a district, commune, ward or street ("huyện Quảng Ninh", "huyện Điện Biên Đông",
    "đường Ngụy Như Kon Tum"), nor "Hồ Chí Minh" the person (the city is "TP Hồ Chí Minh",
    "TP.HCM", "thành phố Hồ Chí Minh", or "Hồ Chí Minh" after "tại" or "ở").

    ``province`` is the province the story happens in. Each mention scores by where it stands
    (the title 6, the lead — the first three paragraphs — 2, further on 1) and how: a local
    authority's ("Công an tỉnh X", "UBND tỉnh X", "BĐBP X": +3), in brackets after a district
    or city ("Công an TP Phan Thiết (Bình Thuận)": +3), the place of the event ("tại X",
    "ở X", "trên địa bàn X": +1). A person's address ("trú tại", "quê", "ngụ", "HKTT",
    "thường trú", "tạm trú"), a route ("tuyến Điện Biên - Lào Cai") and a comparison
    ("so với X", "như X") score nothing; a name listed after one ("X, Y và Z") is read as
    that one. Only a province *anchored* in the article can be ``province``: named in the
    title or the lead, or as a local authority's or in brackets anywhere. The highest score
    among those wins (the first mentioned among equals); with none anchored — a national or
    foreign story that names provinces only in passing — ``province`` is null.

    >>> find_places("Hội nghị ở Hà Tĩnh", "Đoàn Nghệ An thăm Hà Tĩnh. Nghệ An và Nghệ An.")
    Places(province='Hà Tĩnh', provinces=['Hà Tĩnh', 'Nghệ An'], province_2025='Hà Tĩnh')
    >>> find_places("", "Công an tỉnh Hà Tĩnh bắt Lê Văn A (trú tại tỉnh Nghệ An), quê Nghệ An.")
    Places(province='Hà Tĩnh', provinces=['Hà Tĩnh', 'Nghệ An'], province_2025='Hà Tĩnh')
    """
    mentions = _province_mentions(title, _TITLE_WEIGHT) + _province_mentions(text, _BODY_WEIGHT, _lead_end(text))
    order = list(dict.fromkeys(mention.name for mention in mentions))
    scores: Counter[str] = Counter()
    anchored: set[str] = set()
    for mention in mentions:
        scores[mention.name] += mention.score
        if mention.anchored:
            anchored.add(mention.name)
    if not anchored:
        return Places(None, order, None)
    main = max(anchored, key=lambda name: (scores[name], -order.index(name)))
    return Places(main, order, province_2025(main))


def province_2025(name: str | None) -> str | None:
    """The unit of the 2025 reorganisation that ``name`` (one of the 63) belongs to.

    >>> province_2025("Quảng Bình"), province_2025("Thừa Thiên Huế"), province_2025(None)
    ('Quảng Trị', 'Huế', None)
    """
    return _compiled_gazetteer().province_2025[name] if name else None


class _Mention(NamedTuple):
    name: str  # canonical
    score: int  # what it adds to its province's score
    anchored: bool  # whether it can make its province the article's


# How a mention stands, read from the words before it (and after it, for routes), and what it scores.
_TITLE_WEIGHT, _LEAD_WEIGHT, _BODY_WEIGHT = 6, 2, 1
_BONUS = {"authority": 3, "bracket": 3, "event": 1}
_UNSCORED = frozenset({"address", "route", "comparison"})
_NEAR = 40  # characters looked at for the words just before a mention …
_BEFORE = 160  # … and for a person's address, which runs over several parts
# The words just before a mention (lower-cased) and what they make of it: a city or town in the
# province ("TP Hà Tĩnh", "thị xã Quảng Trị"), a smaller unit or a street of that name ("huyện Quảng
# Ninh", "đường Hà Nội"), a local authority, the place of the event, a comparison. Looked up in this
# order ("thị xã" before "xã") as endings of the text before the mention.
_WORDS_BEFORE = (
    ("town", "thị xã|thành phố"),
    ("unit", "huyện|quận|xã|phường|thị trấn|thôn|xóm|ấp|bản|đường|phố|đại lộ|ngõ|hẻm|kiệt"),
    (
        "authority",
        "công an|ca|ubnd|ủy ban nhân dân|hđnd|tỉnh ủy|thành ủy|bđbp|bộ đội biên phòng|biên phòng|chqs|quân sự"
        "|vksnd|viện kiểm sát nhân dân|tand|tòa án nhân dân",
    ),
    ("event", "tại|ở|trên địa bàn|địa bàn"),
    ("comparison", "so với|so sánh với|hơn|như|giống|tương tự"),
)
_ENDINGS = [(kind, tuple(f" {phrase} " for phrase in phrases.split("|"))) for kind, phrases in _WORDS_BEFORE]
# The word of a province's level between those words and its name ("Công an tỉnh X", "tại TP X").
_LEVEL_WORDS = (" tỉnh ", " thành phố ", " tp ", " tp. ")
# A person's address: the keyword, then only the parts of an address ("xã A, huyện B, tỉnh").
_ADDRESS_KEYWORDS = ("trú", "ngụ", "quê", "HKTT", "hộ khẩu", "nguyên quán", "sinh sống", "nơi ở", "địa chỉ")
_ADDRESS = re.compile(rf"(?<![^\W_])(?:{'|'.join(_ADDRESS_KEYWORDS)})(?![^\W_])")
_ADDRESS_WORDS = frozenset(
    "tại ở quán số thôn xóm ấp bản buôn làng tổ dân khu phố xã phường thị trấn huyện quận thành tỉnh đường ngõ "
    "ngách hẻm kiệt TP TX".split()
)
_ADDRESS_BREAKS = re.compile(r"[.;!?()\[\]\n]")
# A route: two places joined by a dash ("Điện Biên - Lào Cai").
_LONGEST_WORD = 12  # characters, for the word before a dash
_DASH_BEFORE = re.compile(r"([^\W\d_]+) ?[-–—] ?$")
_DASH_AFTER = re.compile(r" ?[-–—] ?([^\W\d_]+)")
# A name listed after another ("Công an tỉnh Hà Tĩnh và Nghệ An").
_LIST_JOIN = re.compile(r"(?:,|,? và|,? hoặc|;)(?: (?:tỉnh|thành phố|TP\.?|Tp\.?))? ")
_HO_CHI_MINH = "Hồ Chí Minh"


def _lead_end(text: str) -> int:
    """Where the lead — the first ``_LEAD_PARAGRAPHS`` paragraphs — ends in ``text``.

    >>> _lead_end("a\\n\\nb\\n\\nc\\n\\nd"), _lead_end("a\\nb")
    (7, 3)
    """
    end = 0
    for _ in range(_LEAD_PARAGRAPHS):
        found = text.find("\n", end)
        if found < 0:
            return len(text)
        end = found
        while text.startswith("\n", end):
            end += 1
    return found


def _words_before(near: str) -> tuple[str | None, str | None]:
    """What the words just before a mention make of it, as written next to it and past the word of
    a province's level ("Công an *tỉnh* X"); None: nothing.

    >>> _words_before("Công an tỉnh "), _words_before("huyện "), _words_before("tại thành phố ")
    ((None, 'authority'), ('unit', 'unit'), ('town', 'event'))
    """
    if not near.endswith(" "):
        return None, None
    lowered = " " + near[near.rfind("\n") + 1 :].lower()  # "…\n\nCông an tỉnh X"
    if "(" in lowered or "“" in lowered:
        lowered = lowered.replace("(", " ").replace("“", " ")  # "(BĐBP X)", "“Công an X"
    next_to = _phrase_kind(lowered)
    for level in _LEVEL_WORDS:
        if lowered.endswith(level):
            return next_to, _phrase_kind(lowered[: 1 - len(level)]) or next_to
    return next_to, next_to


def _phrase_kind(lowered: str) -> str | None:
    for kind, endings in _ENDINGS:
        if lowered.endswith(endings):
            return kind
    return None


def _province_mentions(text: str, weight: int, lead_end: int = 0) -> list[_Mention]:
    """The province mentions of ``text``: those before ``lead_end`` weigh as the lead's, the others
    ``weight``; names of people, of smaller units and streets are left out."""
    table = _compiled_gazetteer()
    mentions: list[_Mention] = []
    previous: tuple[int, str] | None = None  # the last mention's end and how it stood
    for match in table.pattern.finditer(text):
        start, end, written = match.start(), match.end(), match.group()
        name = table.canonical[written]
        if name is None or (start and text[start - 1].isalnum()):
            continue
        near = text[max(0, start - _NEAR) : start]
        word = near[:-1].rsplit(maxsplit=1)[-1:] if near.endswith(" ") else []
        if word and word[0] in _PERSON_BEFORE:
            continue  # "Nguyễn Hà Nam", "Trương Hòa Bình", "chị Huế": a person
        next_to, past_level = _words_before(near)
        if written == _HO_CHI_MINH and next_to not in ("town", "event"):
            continue  # "tư tưởng Hồ Chí Minh", "Chủ tịch Hồ Chí Minh": the person
        route = _is_route(near, text, end)
        if next_to == "unit" and not route:
            continue  # "huyện Quảng Ninh", "đường Hà Nội": a smaller unit or a street of that name
        if previous is not None and _LIST_JOIN.fullmatch(text, previous[0], start):
            how = previous[1]  # "Công an tỉnh Hà Tĩnh và Nghệ An", "trú tại Hà Tĩnh, Nghệ An"
        elif route:
            how = "route"
        elif _is_address(text[max(0, start - _BEFORE) : start]):
            how = "address"
        elif text[start - 1 : start] == "(" and text[end : end + 1] == ")":
            how = "bracket"  # "huyện Kỳ Anh (Hà Tĩnh)"
        else:
            how = past_level if past_level in ("authority", "event", "comparison") else "plain"
        previous = (end, how)
        place = _LEAD_WEIGHT if start < lead_end else weight
        if how in _UNSCORED:
            mentions.append(_Mention(name, 0, False))
        else:
            anchored = place >= _LEAD_WEIGHT or how in ("authority", "bracket")
            mentions.append(_Mention(name, place + _BONUS.get(how, 0), anchored))
    return mentions


def _is_address(before: str) -> bool:
    """Whether the text before a mention ends in a person's address that the mention continues.

    >>> _is_address("Lê Văn A (SN 1990, trú tại xã Kỳ Tân, huyện Kỳ Anh, tỉnh "), _is_address("quê ở ")
    (True, True)
    >>> _is_address("Lê Văn A (trú tại Hà Tĩnh) bị Công an tỉnh ")
    False
    """
    for keyword in _ADDRESS_KEYWORDS:  # substring searches first: far faster than the scan below
        if keyword in before:
            break
    else:
        return False
    keywords = list(_ADDRESS.finditer(before))
    if not keywords:
        return False
    rest = before[keywords[-1].end() :].removesuffix("(")  # "trú tại huyện Kỳ Anh (Hà Tĩnh)"
    if _ADDRESS_BREAKS.search(rest):
        return False
    words = rest.replace(",", " ").replace(":", " ").split()
    return all(not word[0].islower() or word in _ADDRESS_WORDS for word in words)


def _is_route(near: str, text: str, end: int) -> bool:
    """Whether a mention is an end of a route joined by a dash ("Điện Biên - Lào Cai",
    "Thanh Hóa – Hủa Phăn"); a dateline ("Hà Tĩnh - Sáng 19-6") is no route."""
    after = _DASH_AFTER.match(text, end)
    if after and after.group(1)[0].isupper() and after.group(1) not in _SENTENCE_STARTS | _DATE_WORDS:
        return True
    dashed = near.rstrip(" ")[-1:] in ("-", "–", "—") and near.strip()
    before = _DASH_BEFORE.search(near, max(0, len(near) - _LONGEST_WORD)) if dashed else None
    return before is not None and before.group(1)[0].isupper()


# ---------------------------------------------------------------- officials

RANKS = (
    "Đại tướng", "Thượng tướng", "Trung tướng", "Thiếu tướng",
    "Đại tá", "Thượng tá", "Trung tá", "Thiếu tá",
    "Đại úy", "Thượng úy", "Trung úy", "Thiếu úy",
    "Thượng sĩ", "Trung sĩ", "Hạ sĩ", "Binh nhất", "Binh nhì",
    "Chuẩn Đô đốc", "Phó Đô đốc", "Đô đốc",
)  # fmt: skip
# Each rank as written: capitalised, Sentence case or lower case, either spelling of úy.
_RANK_FORMS = {
    written: rank
    for rank in RANKS
    for spelling in (rank, rank.replace("úy", "uý"))
    for written in (spelling, spelling[0] + spelling[1:].lower(), spelling.lower())
}
# A rank is found by its last word ("tá" of "Đại tá"), which `re` finds much faster than the
# first words (Đại, Trung, …: letters that start half the words of a text); the words
# before it are then looked up.
_RANK_LAST_WORD = re.compile(
    " (" + trie_pattern({form.rsplit(" ", 1)[1] for form in _RANK_FORMS}) + ")" + _NOT_WORD_AFTER
)
# Every ending of a rank's words ("tá", "Đại tá", "Đô đốc", "Phó Đô đốc"): where looking back stops.
_RANK_SUFFIXES = frozenset(" ".join(form.split()[-count:]) for form in _RANK_FORMS for count in range(2, 4))
# Academic and professional titles that may stand between a rank and the name: "Trung tướng,
# PGS.TS Nguyễn Văn Bình", "Đại tá, Tiến sĩ Lê Văn A".
_ACADEMIC_TITLE = (
    r"(?:P?GS|TSKH|TS|Th[Ss]|KS|BS(?:CKI{1,2})?|CKI{1,2}|LS|NCS"
    r"|(?:Phó )?Giáo sư|Tiến sĩ|Thạc sĩ|Bác sĩ|Kỹ sư|Luật sư)"
)
_NAME_AFTER_RANK = re.compile(
    rf"(?:,? {_ACADEMIC_TITLE}(?:\.? ?,? ?{_ACADEMIC_TITLE})*\.?)? ([^\W\d_]+(?: [^\W\d_]+){{0,5}})"
)
# Capitalised words that start a job title rather than continue a name ("Trần Phú Hà Giám đốc").
_TITLE_WORDS = frozenset(
    "Giám Phó Trưởng Chủ Bí Ủy Chỉ Tổng Cục Chánh Thứ Bộ Đội Tỉnh Huyện Viện Sở Phòng Ban Đảng".split()
)
# Words that start a sentence and are no syllable of a name: a caption glued to the next sentence
# ("Thượng úy Long Ngày 28/6, …") ends the name there. "Sáng", "Năm" and "Tháng" are names too:
# they end one only before a date ("Sáng 19-6", "Năm 2020") or a time word ("Sáng nay").
_SENTENCE_STARTS = frozenset(
    "Ngày Chiều Tối Trưa Đêm Hôm Sau Trước Tại Theo Khi Trong Lúc Qua Vào Với Cùng Để Do Vì Nhưng Còn Ngoài "
    "Đây Đó Các Những Một Nhiều Mặc Nếu Riêng Ngay Thời Dự Tham".split()
)
_DATE_WORDS = frozenset({"Sáng", "Năm", "Tháng"})
_AFTER_DATE_WORD = re.compile(r" (?:\d|(?:nay|qua|mai|sớm|hôm|ngày|đó|này)(?![^\W_]))")
_AN = re.compile(r" an(?![^\W_])")
_MIN_NAME_WORDS, _MAX_OFFICIAL_NAME_WORDS = 2, 5


def find_officials(text: str) -> list[dict[str, str]]:
    """Every ``{rank, name}`` in ``text`` (normalised, single-spaced), in order of first
    appearance, without repeats.

    The rank is written in its canonical form (``đại uý`` → ``Đại úy``); the name is the
    personal name that follows it (2 to 5 capitalised words; an academic title between them is
    skipped), ended by a job title, by ``Công an``, or by a word that starts the next sentence.
    A surname mistyped in lower case is written back capitalised. ``Đại hội``, ``Đại biểu``
    are not ranks.

    >>> find_officials("Đại biểu dự Đại hội; Thượng tá Phạm Thị Vân Hạnh - Phó Trưởng phòng")
    [{'rank': 'Thượng tá', 'name': 'Phạm Thị Vân Hạnh'}]
    >>> find_officials("Trung tướng, PGS.TS Nguyễn Văn Bình; Trung tá nguyễn Viết Thắng Công an tỉnh")
    [{'rank': 'Trung tướng', 'name': 'Nguyễn Văn Bình'}, {'rank': 'Trung tá', 'name': 'Nguyễn Viết Thắng'}]
    """
    found: dict[tuple[str, str], None] = {}
    for last in _RANK_LAST_WORD.finditer(text):
        rank = _rank_ending_at(text, last.start(), last.group(1))
        following = _NAME_AFTER_RANK.match(text, last.end()) if rank else None
        if rank is None or following is None:
            continue
        name = _personal_name(text, following.start(1), following.group(1).split(" "))
        if name:
            found[(rank, name)] = None
    return [{"rank": rank, "name": name} for rank, name in found]


def _personal_name(text: str, start: int, tokens: list[str]) -> str | None:
    """The personal name that ``tokens`` (the words at ``text[start:]``) begin with, or None.

    >>> _personal_name("Long Ngày 28/6", 0, ["Long", "Ngày"]), _personal_name("lê Văn An", 0, ["lê", "Văn", "An"])
    (None, 'Lê Văn An')
    """
    if tokens and not _is_name_word(tokens[0]) and tokens[0].isalpha() and tokens[0].islower():
        surname = tokens[0][0].upper() + tokens[0][1:]
        if surname in SURNAMES and len(tokens) > 1 and _is_name_word(tokens[1]):
            tokens = [surname, *tokens[1:]]  # a surname mistyped in lower case: "nguyễn Viết Thắng"
    words: list[str] = []
    end = start
    for index, word in enumerate(tokens):
        end += len(word) + (1 if index else 0)
        if (
            len(words) == _MAX_OFFICIAL_NAME_WORDS
            or not _is_name_word(word)
            or (words and word in _TITLE_WORDS)
            or word in _SENTENCE_STARTS
            or (word in _DATE_WORDS and _AFTER_DATE_WORD.match(text, end))
            or (word == "Công" and _AN.match(text, end))  # "… Văn Hải Công an tỉnh"
        ):
            break
        words.append(word)
    return " ".join(words) if len(words) >= _MIN_NAME_WORDS else None


def _rank_ending_at(text: str, space: int, last_word: str) -> str | None:
    """The canonical rank whose last word follows ``text[space]``, if the words before complete one
    (the longest: "Phó Đô đốc" rather than "Đô đốc").

    >>> _rank_ending_at("của (Phó Đô đốc", 11, "đốc"), _rank_ending_at("hội.\\nĐại tá", 8, "tá")
    ('Phó Đô đốc', 'Đại tá')
    """
    found, words, end = None, last_word, space
    while True:
        start = end
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        words = f"{text[start:end]} {words}"
        if words not in _RANK_SUFFIXES:
            return found
        found = _RANK_FORMS.get(words, found)
        if start == 0 or text[start - 1] != " ":
            return found
        end = start - 1
