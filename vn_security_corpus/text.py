"""Text normalisation: Unicode NFC, invisible characters, spacing, markup remnants, Vietnamese tone marks.

Every change is reported as a repair entry (:func:`vn_security_corpus.repairs.repair`) so that
provenance can record it.

>>> clean_text("Công  an\\u00a0tỉnh\\u200b \\nHà Tĩnh")[0]
'Công an tỉnh\\nHà Tĩnh'
>>> from vn_security_corpus.repairs import repair_code
>>> [repair_code(entry) for entry in clean_text("Công  an\\u00a0tỉnh\\u200b \\nHà Tĩnh")[1]]
['invisible-removed', 'odd-spaces', 'spaces-collapsed']
>>> clean_text("Hà Tĩnh")
('Hà Tĩnh', [])
>>> to_tone_style("Thủy, hòa, khỏe; quý, hoàng, thuyền", "new")
'Thuỷ, hoà, khoẻ; quý, hoàng, thuyền'
>>> expand_abbreviations("bảo đảm ANTT, QP - AN")
'bảo đảm an ninh trật tự, quốc phòng – an ninh'
"""

from __future__ import annotations

import functools
import html
import html.entities
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

from .errors import ConfigError
from .package_data import package_file
from .repairs import add_entries, repair

# Characters that take no room and carry no letter: zero-width space/joiners,
# word joiner, byte order mark, soft hyphen.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# C0 and C1 controls (Unicode category Cc) other than tab and line ends.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional controls (embeddings, overrides, isolates, marks): they can make text
# display differently from what it says, and Vietnamese never needs them.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Space separators other than the plain space, tabs, and the Unicode line/paragraph
# separators: each becomes one space.
_ODD_SPACES = "\t\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_REMOVALS = (
    (repair("invisible-removed", "zero-width characters removed"), re.compile(f"[{_ZERO_WIDTH}]")),
    (repair("controls-removed", "control characters removed"), re.compile(f"[{_CONTROLS}]")),
    (repair("bidi-controls-removed", "bidirectional control characters removed"), re.compile(f"[{_BIDI_CONTROLS}]")),
)
_ODD_SPACE = re.compile(f"[{_ODD_SPACES}]")
# Icelandic eth, used in place of the Vietnamese capital D with stroke.
_ETH, _D_STROKE = "\u00d0", "\u0110"
_CRLF, _CR = repair("line-ends-crlf", "CRLF → LF"), repair("line-ends-cr", "CR → LF")
_NFC = repair("unicode-nfc", "composed to NFC")
_D_BAR = repair("letter-d-bar", "Ð (U+00D0) → Đ")
_SPACES = repair("odd-spaces", "odd spaces and tabs turned into spaces")
_COLLAPSED = repair("spaces-collapsed", "runs of spaces collapsed or trimmed")
# Any character that one of the repairs above acts on: one scan tells whether to look closer.
_SUSPECT = re.compile(f"[\r{_ZERO_WIDTH}{_CONTROLS}{_BIDI_CONTROLS}{_ODD_SPACES}{_ETH}]")

ToneStyle = Literal["traditional", "new"]
TONE_STYLES: tuple[ToneStyle, ...] = ("traditional", "new")
# The tone-mark styles differ only on the open syllables oa, oe, uy (hòa/hoà, khỏe/khoẻ,
# thủy/thuỷ): that vowel pair ending a word, after a plain onset (not qu or gi). Each
# pattern finds the pairs written in the other style, so plain text costs one scan.
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
# (A pattern led by two character classes is scanned several times faster by `re` than an
# alternation; the look-behind then keeps only the pairs oa, oe, uy: no "quá", no "của".)
_TONE_PAIRS: dict[ToneStyle, re.Pattern[str]] = {
    "traditional": re.compile(
        "[oOuU][àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ](?<=[oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]|[uU][ỳýỷỹỵỲÝỶỸỴ])" + _NOT_LETTER_AFTER
    ),
    "new": re.compile("[òóỏõọùúủũụÒÓỎÕỌÙÚỦŨỤ][aeyAEY](?<=[òóỏõọÒÓỎÕỌ][aeAE]|[ùúủũụÙÚỦŨỤ][yY])" + _NOT_LETTER_AFTER),
}
_ONSETS = frozenset("b c ch d đ g gh h k kh l m n ng ngh nh p ph r s t th tr v x".split()) | {""}


def clean_text(text: str) -> tuple[str, list[str]]:
    """Text cleaned line by line: invisible and control characters removed, NFC, ``Ð`` → ``Đ``,
    single spaces, no spaces at line ends. Line breaks are kept (CRLF and CR become LF).

    Returns the text and the repairs made (empty when nothing changed).
    """
    repairs, removed = [], []
    suspect = _SUSPECT.search(text) is not None
    # Removed characters first: a control character inside a CRLF (`\r\x00\n`) leaves one line end.
    for entry, pattern in _REMOVALS if suspect else ():
        if pattern.search(text):
            text = pattern.sub("", text)
            removed.append(entry)
    if suspect and "\r" in text:
        repairs += line_end_repairs(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    repairs += removed
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        repairs.append(_NFC)
    if suspect and _ETH in text:
        text = text.replace(_ETH, _D_STROKE)
        repairs.append(_D_BAR)
    if suspect and _ODD_SPACE.search(text):
        text = _ODD_SPACE.sub(" ", text)
        repairs.append(_SPACES)
    if "  " in text or " \n" in text or "\n " in text or text.startswith(" ") or text.endswith(" "):
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
        repairs.append(_COLLAPSED)
    return text, repairs


def line_end_repairs(text: str) -> list[str]:
    """The repairs that turning ``text``'s CRLF and CR line ends into LF makes (each kind once).

    >>> line_end_repairs("a\\r\\nb\\rc"), line_end_repairs("a\\nb")
    (['line-ends-crlf: CRLF → LF', 'line-ends-cr: CR → LF'], [])
    """
    carriage_returns = text.count("\r")
    if not carriage_returns:
        return []
    crlf = text.count("\r\n")
    return ([_CRLF] if crlf else []) + ([_CR] if carriage_returns > crlf else [])


def to_tone_style(text: str, style: ToneStyle) -> str:
    """``text`` with the open syllables oa, oe, uy written in tone-mark ``style``.

    ``traditional`` puts the mark on the first vowel (hòa, khỏe, thủy, Đại úy), ``new``
    on the second (hoà, khoẻ, thuỷ, Đại uý). Nothing else changes: closed syllables
    (hoàng, thuyền), qu/gi onsets (quý, già) and three-vowel clusters (ngoài, khuya)
    are the same in both. Expects NFC text.

    >>> to_tone_style("HÒA BÌNH, Hoà Bình, Đại uý", "traditional")
    'HÒA BÌNH, Hòa Bình, Đại úy'
    """
    return _TONE_PAIRS[check_tone_style(style)].sub(_move_tone, text)


def check_tone_style(style: object) -> ToneStyle:
    """``style`` if it is a tone-mark style; :class:`ConfigError` otherwise.

    >>> check_tone_style("modern")
    Traceback (most recent call last):
    vn_security_corpus.errors.ConfigError: tone style 'modern': choose traditional or new
    """
    if style not in TONE_STYLES:
        raise ConfigError(f"tone style {style!r}: choose {' or '.join(TONE_STYLES)}")
    return style


def _move_tone(match: re.Match[str]) -> str:
    """The matched vowel pair with its tone mark moved to the other vowel, when what comes
    before it in the word is a plain onset (``quý``, ``gìa`` stay as they are)."""
    pair, start = match.group(), match.start()
    while start > 0 and match.string[start - 1].isalpha():
        start -= 1
    if match.string[start : match.start()].lower() not in _ONSETS:
        return pair
    first, second = unicodedata.normalize("NFD", pair[0]), unicodedata.normalize("NFD", pair[1])
    # exactly one of the two carries the tone mark: swap the marks
    return unicodedata.normalize("NFC", first[0] + second[1:]) + unicodedata.normalize("NFC", second[0] + first[1:])


# ---------------------------------------------------------------- markup remnants

# Crawled text carries remnants of the HTML or Markdown it was taken from: each kind is repaired
# and recorded. A whole web page is not an article's text (markup_page says why).
_ENTITY = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]{1,31})|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_MAX_PASSES = 4
# HTML elements that end a line of text where they stand (a paragraph, a line break, a cell) …
_BLOCK_TAGS = frozenset(
    "address article aside audio blockquote br caption center dd details dialog div dl dt embed fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr iframe legend li main nav noscript object ol p "
    "picture pre section summary table tbody td tfoot th thead tr ul video".split()
)
# … and those that sit inside a line (emphasis, links, images, spans, form controls).
_INLINE_TAGS = frozenset(
    "a abbr b bdi bdo big button cite code data del dfn em font i img input ins kbd label link mark meta option q "
    "s samp select small source span strike strong sub sup textarea time tt u var wbr".split()
)
# A tag (of an HTML element, or of an XML namespace as Word writes them: <o:p>) or a comment.
# Attributes hold anything but < and >; "x < y", <ten@mien.vn> and <y and z> are no tags.
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)(:[A-Za-z][A-Za-z0-9]*)?(?:\s[^<>]*)?/?>", re.DOTALL)
# What only a web page holds; the same pattern as schema/raw_article.schema.json's plainText rule.
PAGE_MARKUP = (
    r"<(?:![Dd][Oo][Cc][Tt][Yy][Pp][Ee]|\?[Xx][Mm][Ll]"
    r"|/?(?:[Hh][Tt][Mm][Ll]|[Hh][Ee][Aa][Dd]|[Bb][Oo][Dd][Yy]|[Ss][Cc][Rr][Ii][Pp][Tt]|[Ss][Tt][Yy][Ll][Ee])"
    r"(?:[\s/>]|$))|<!\[CDATA\["
)
_PAGE = re.compile(PAGE_MARKUP)
_PAGE_END = " \t\n\r\f\v/>"  # what the pattern matches after a page tag's name
_HTML_TAGS = _BLOCK_TAGS | _INLINE_TAGS
_MAX_TAG_SHARE = 0.5  # more of the characters in tags than that: a page, not text
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\)")
_MD_LINK = re.compile(r"\[([^\[\]\n]*)\]\((?:<[^<>\n]*>|[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)")
# A line of only = or - (a heading's underline, or a rule), or of three or more * or _ (a rule).
_RULE_LINE = re.compile(r"[ \t]*(?:={3,}|-{3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})[ \t]*")
_ATX_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.*?\S)\1")
_MD_ITALIC = re.compile(
    r"(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])|(?<![\w\\])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)"
)
# The characters that any of it needs: plain text costs a few substring searches, far faster than
# a regular expression's scan of the same text (str.find of one character runs at memory speed).
_MARKUP_CHARACTERS = tuple("<&*_[#=")

_ENTITIES = repair("html-entities-decoded")
_TAGS = repair("html-tags-removed")
_IMAGES = repair("markdown-images-removed")
_LINKS = repair("markdown-links-unwrapped")
_RULES = repair("heading-underlines-removed")
_HEADINGS = repair("markdown-heading-marks-removed")
_EMPHASIS = repair("markdown-emphasis-removed")


def strip_markup(text: str) -> tuple[str, list[str]]:
    """``text`` with the remnants of HTML and Markdown repaired, and the repairs made.

    Character references are decoded (``bi&ecirc;n`` → ``biên``, ``&#7871;`` → ``ế``), HTML
    tags and comments removed — a tag that ends a line of text (``<p>``, ``<br>``, ``<div>``,
    ``<li>``, …) becomes a line break —, Markdown images removed, links unwrapped to their
    text, heading underlines and rules (``====``, ``----``) and heading marks (``## ``)
    removed, bold and italic markers taken off. A ``<`` or ``&`` that is no markup
    (``x < y``, ``R&D``, ``<ten@mien.vn>``) stays. Whether a text is a whole web page
    instead is :func:`markup_page`'s question.

    >>> from vn_security_corpus.repairs import repair_code
    >>> text, repairs = strip_markup("Đồn <b>Biên phòng</b> bi&ecirc;n gi&#7899;i<br>**Lê Thu**")
    >>> text, [repair_code(entry) for entry in repairs]
    ('Đồn Biên phòng biên giới\\nLê Thu', ['html-entities-decoded', 'html-tags-removed', 'markdown-emphasis-removed'])
    >>> strip_markup("Xem [bài gốc](https://x.vn/a)![ảnh](a.jpg) khi x < y, R&D.")[0]
    'Xem bài gốc khi x < y, R&D.'
    """
    repairs: list[str] = []
    for _ in range(_MAX_PASSES):  # again while a pass uncovers more ("&am<b></b>p;", "****x****")
        if not may_hold_markup(text):
            break
        stripped, made = _strip_markup_once(text)
        if stripped == text:
            break
        text = stripped
        add_entries(repairs, made)
    return text, repairs


def _strip_markup_once(text: str) -> tuple[str, list[str]]:
    repairs = []
    if "&" in text:
        decoded, before = text, None
        while decoded != before:  # "&amp;nbsp;" (escaped twice) → "&nbsp;" → a no-break space
            before, decoded = decoded, _ENTITY.sub(_decode_entity, decoded)
        if decoded != text:
            text = decoded.replace("\r\n", "\n").replace("\r", "\n")
            repairs.append(_ENTITIES)
    if "<" in text:
        removed = _TAG.sub(_replace_tag, text)
        if removed != text:
            text = removed
            repairs.append(_TAGS)
    if "](" in text:
        text, images = _MD_IMAGE.subn("", text)
        if images:
            repairs.append(_IMAGES)
        text, links = _MD_LINK.subn(r"\1", text)
        if links:
            repairs.append(_LINKS)
    lines = text.split("\n")
    if any(_RULE_LINE.fullmatch(line) for line in lines):
        lines = ["" if _RULE_LINE.fullmatch(line) else line for line in lines]
        repairs.append(_RULES)
    if "#" in text:
        headings = [_ATX_HEADING.fullmatch(line) for line in lines]
        if any(headings):
            lines = [heading.group(1) if heading else line for line, heading in zip(lines, headings, strict=True)]
            repairs.append(_HEADINGS)
    text = "\n".join(lines)
    if "*" in text or "_" in text:
        plain = _MD_ITALIC.sub(lambda match: match.group(1) or match.group(2), _MD_BOLD.sub(r"\2", text))
        if plain != text:
            text = plain
            repairs.append(_EMPHASIS)
    return text, repairs


def strip_markup_lines(lines: Sequence[str]) -> tuple[list[tuple[int, str]], list[str]]:
    """The lines of a text with its markup remnants repaired (:func:`strip_markup`), each as
    ``(index of the line it came from, text)``, and the repairs made.

    A line split by a tag that ends a line (``<p>``, ``<br>``) gives several, with the same index;
    a line left blank by the repairs (an image, an underline) is dropped; blank lines stay. A tag
    or comment that spans lines is removed, the lines it spanned kept (blank), so that every
    line keeps its number.

    >>> strip_markup_lines(["Tiêu đề", "=======", "", "Đoạn một<br>Đoạn hai", "![ảnh](a.jpg)"])[0]
    [(0, 'Tiêu đề'), (2, ''), (3, 'Đoạn một'), (3, 'Đoạn hai')]
    """
    whole = "\n".join(lines)
    if not may_hold_markup(whole):
        return list(enumerate(lines)), []
    repairs = []
    if "<" in whole and "\n" in whole:
        spanning = _TAG.sub(_blank_spanning_tag, whole)
        if spanning != whole:
            lines, whole = spanning.split("\n"), spanning
            repairs.append(_TAGS)
    pieces = []
    for index, line in enumerate(lines):
        cleaned, made = strip_markup(line)
        if cleaned == line:
            pieces.append((index, line))
            continue
        add_entries(repairs, made)
        pieces.extend((index, piece) for piece in cleaned.split("\n") if piece.strip())
    return pieces, repairs


def markup_page(text: str) -> tuple[str, int] | None:
    """Why ``text`` is a web page rather than an article's text, and where (an offset) — or None.

    A page holds ``<html``, ``<head``, ``<body``, ``<script``, ``<style``, a doctype, an XML
    declaration or CDATA, or is more than half HTML tags by characters; text with a few tags
    in it is repaired instead (:func:`strip_markup`).

    >>> markup_page("<!DOCTYPE html><html><body><p>Tin</p></body></html>")
    ("it holds '<!DOCTYPE'", 0)
    >>> markup_page("<div><span>Tin</span></div>"), markup_page("Đoạn <b>một</b> của bài.")
    (('HTML tags make up 89% of its characters', 0), None)
    """
    if "<" not in text:
        return None
    page = _PAGE.search(text)
    if page:
        return f"it holds {page.group().rstrip(_PAGE_END)!r}", page.start()
    tags = [match for match in _TAG.finditer(text) if _is_tag(match)]
    share = sum(len(match.group()) for match in tags) / len(text)
    if share > _MAX_TAG_SHARE:
        return f"HTML tags make up {share:.0%} of its characters", tags[0].start()
    return None


def may_hold_markup(text: str) -> bool:
    """Whether ``text`` holds a character that markup needs (a quick test: most text has none).

    >>> may_hold_markup("Sáng 19-6, hội nghị."), may_hold_markup("a &amp; b")
    (False, True)
    """
    return any(character in text for character in _MARKUP_CHARACTERS) or "--" in text


def _decode_entity(match: re.Match[str]) -> str:
    """The character a reference stands for; a name that HTML does not define stays as written."""
    name = match.group(1)
    if name is not None:
        return html.entities.html5.get(name + ";", match.group())
    return html.unescape(match.group())


def _is_tag(match: re.Match[str]) -> bool:
    """Whether a match of ``_TAG`` is a comment or the tag of an HTML element or an XML namespace."""
    name = match.group(2)
    return name is None or match.group(3) is not None or name.lower() in _HTML_TAGS


def _blank_spanning_tag(match: re.Match[str]) -> str:
    """A tag or comment spanning lines as the line ends it spans; any other match as it is."""
    found = match.group()
    return "\n" * found.count("\n") if "\n" in found and _is_tag(match) else found


def _replace_tag(match: re.Match[str]) -> str:
    if not _is_tag(match):
        return match.group()
    name = match.group(2)
    return "\n" if name is not None and match.group(3) is None and name.lower() in _BLOCK_TAGS else ""


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, factored as a trie.

    Python's ``re`` tries alternatives one by one; sharing prefixes makes a search
    for a hundred names cost about as much as one.

    >>> trie_pattern(["Hà Nam", "Hà Nội", "Huế", "Hà"])
    'H(?:uế|à(?:\\\\ N(?:am|ội))?)'
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node(trie)


_Trie = dict[str, "_Trie"]


def _trie_node(node: _Trie) -> str:
    branches = [re.escape(char) + _trie_node(child) for char, child in sorted(node.items()) if char]
    optional = "?" if "" in node else ""
    if not branches:
        return ""
    if len(branches) > 1:
        return f"(?:{'|'.join(branches)}){optional}"
    if not optional or len(branches[0]) == 1:
        return branches[0] + optional
    return f"(?:{branches[0]})?"


@functools.cache
def _abbreviations() -> tuple[re.Pattern[str], dict[str, str]]:
    path = package_file("data", "abbreviations.json")
    expansions: dict[str, str] = {}
    alternatives = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["abbreviations"]:
        for form in (entry["abbreviation"], *entry["variants"]):
            expansions[form.replace("-", "")] = entry["expansion"]
            alternatives.append(r"\s*[-–]\s*".join(map(re.escape, form.split("-"))))
    alternatives.sort(key=len, reverse=True)
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})(?![^\W_])"), expansions


def expand_abbreviations(text: str) -> str:
    """``text`` with the field's abbreviations (data/abbreviations.json) written out.

    A hyphenated abbreviation also matches with spaced dashes (QP - AN, KT – XH).
    Published records keep abbreviations as written; this is for users who want them
    expanded.

    >>> expand_abbreviations("UBND tỉnh và CBCS; TP.HCM")
    'Ủy ban nhân dân tỉnh và cán bộ, chiến sĩ; TP.HCM'
    """
    pattern, expansions = _abbreviations()
    return pattern.sub(lambda match: expansions[re.sub(r"\s*[-–]\s*", "", match.group())], text)
