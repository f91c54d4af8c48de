"""Reading an uploaded table (UTF-8 CSV, or the first sheet of an .xlsx) within fixed bounds.

An upload is at most the web's body limit (10 MB), but a small file can describe a huge table: an
.xlsx is a zip whose dimension tag can claim 16,384 × 1,048,576 cells, whose one cell can unpack to
hundreds of MB, and a CSV line can hold 100,000 empty columns. So nothing here trusts what a file
says about itself: an .xlsx is read part by part (the workbook, its relations, the shared strings,
the first sheet — never styles or anything else) from the zip as a stream of XML events, each part
refused when it unpacks to more than ``TableLimits.unpacked_bytes``; a CSV is read line by line.
Only the cells of the wanted columns are kept, rows and columns are capped, a cell longer than
``TableLimits.cell_chars`` is refused, and the whole read stops after ``TableLimits.seconds``.
Every refusal is a ``ValidationFailed`` naming the problem in Swedish (field ``file``), so the
caller shows it like any other row error.
"""

from __future__ import annotations

import csv
import io
import math
import time
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from posixpath import join, normpath
from xml.parsers import expat

from data.errors import ValidationFailed

__all__ = ["Table", "TableLimits", "read_table"]

_CHUNK = 64 * 1024
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class TableLimits:
    """How much of a file is read before it is refused."""

    rows: int = 10_001
    """Rows including the header (CSV: physical lines; .xlsx: the last row number)."""
    columns: int = 64
    """Columns looked at; cells to the right of them are skipped unread."""
    cell_chars: int = 200
    """Characters in one kept cell (home ids, item codes, numbers and situations are short)."""
    line_chars: int = 1_000
    """Characters in one CSV line."""
    unpacked_bytes: int = 16 * 1024 * 1024
    """Bytes one .xlsx part may unpack to (a full 10,000-row sheet is about 3 MB)."""
    shared_strings: int = 50_000
    """Distinct texts an .xlsx may hold."""
    elements: int = 250_000
    """XML elements in one .xlsx part (a full 10,000-row sheet has 130,000–170,000)."""
    seconds: float = 3.0
    """Time for the whole read (the caps keep any file far below it; this is the backstop)."""


@dataclass(frozen=True)
class Table:
    """The header (lower-cased names, in column order) and the non-empty data rows.

    Each row is its number in the file (the header is row 1) and its wanted cells by column name.
    """

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _refuse(message: str, line: int | None = None) -> ValidationFailed:
    return ValidationFailed([{"field": "file", "line": line, "message": message}])


class _Clock:
    """The read's deadline, checked every so often (a clock read per cell would cost more)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % 512 == 0:
            self.check()

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _refuse(
                f"filen tog mer än {self.seconds:g} s att läsa; använd mallen (.csv eller .xlsx)"
            )


def _too_many_rows(limits: TableLimits) -> ValidationFailed:
    return _refuse(
        f"filen har fler än {limits.rows - 1} datarader; dela upp den (en kommun i taget)"
    )


def _too_long(limits: TableLimits, line: int, column: str) -> ValidationFailed:
    return _refuse(f"cellen i kolumnen {column} är längre än {limits.cell_chars} tecken", line=line)


def _collect(
    raw_rows: Iterator[tuple[int, dict[int, str]]], wanted: Collection[str], limits: TableLimits
) -> Table:
    """The header from row 1 and, below it, the wanted columns of every non-empty row."""
    header: list[str] = []
    positions: dict[int, str] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in raw_rows:
        if number == 1:
            width = max(cells, default=-1) + 1
            header = [cells.get(i, "").strip().lower() for i in range(width)]
            positions = {i: name for i, name in enumerate(header) if name in wanted}
            for i, name in positions.items():
                if len(cells.get(i, "")) > limits.cell_chars:
                    raise _too_long(limits, 1, name)
            continue
        values = {name: cells.get(i, "").strip() for i, name in positions.items()}
        for name, value in values.items():
            if len(value) > limits.cell_chars:
                raise _too_long(limits, number, name)
        if any(values.values()):
            rows.append((number, values))
    return Table(header, rows)


# CSV -------------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse("filen är UTF-16-kodad; spara den som CSV (UTF-8)")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"filen är inte UTF-8-kodad (byte {exc.start + 1}); spara den som CSV (UTF-8)"
        ) from exc
    if "\x00" in text:
        raise _refuse("filen är inte en textfil (CSV); använd mallen (.csv eller .xlsx)")
    return text


def _lines(text: str, limits: TableLimits, clock: _Clock) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if number > limits.rows:
            raise _too_many_rows(limits)
        if len(line) > limits.line_chars:
            raise _refuse(f"raden är längre än {limits.line_chars} tecken", line=number)
        clock.tick()
        yield line


def _csv_rows(
    content: bytes, limits: TableLimits, clock: _Clock
) -> Iterator[tuple[int, dict[int, str]]]:
    text = _decode(content)
    first = text[: limits.line_chars].splitlines()[0] if text.strip() else ","
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for number, cells in enumerate(csv.reader(_lines(text, limits, clock), dialect), start=1):
        yield number, {i: cell for i, cell in enumerate(cells[: limits.columns]) if cell}


# .xlsx -----------------------------------------------------------------------------------------


class _Part:
    """What a part's reader does with each element; the driver counts and bounds them."""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """An element opens (``tag`` without its namespace; attribute names keep theirs)."""

    def end(self, tag: str) -> None:
        """An element closes."""

    def text(self, data: str) -> None:
        """Text inside the innermost open element."""


def _parse(
    book: zipfile.ZipFile, name: str, reader: _Part, limits: TableLimits, clock: _Clock
) -> None:
    """Feed one part of the zip to ``reader`` as a stream of XML events, within the limits.

    expat with plain callbacks: no element tree is built (a row of 16,384 cells costs no memory,
    and a handful of Python calls per cell keep a full 10,000-row sheet near 0.1 s). Elements
    per part and nesting are capped, and a DOCTYPE (entity expansion) is refused outright.
    """
    try:
        info = book.getinfo(name)
    except KeyError as exc:
        raise _refuse(f"filen saknar delen {name}; spara den som .xlsx i Excel") from exc
    if info.file_size > limits.unpacked_bytes:
        raise _refuse(
            f"filen packas upp till mer än {limits.unpacked_bytes // (1024 * 1024)} MB; "
            "använd mallen (.csv eller .xlsx)"
        )
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    elements = 0

    def doctype(*_: object) -> None:
        raise _refuse("filen innehåller en DOCTYPE; spara den som .xlsx i Excel")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, elements
        depth += 1
        elements += 1
        if depth > 32:
            raise _refuse("filens XML är för djupt nästlad; spara om den i Excel")
        if elements > limits.elements:
            raise _refuse(
                f"filen har fler än {limits.elements} delar; använd mallen (.csv eller .xlsx)"
            )
        if elements % 4096 == 0:
            clock.check()
        reader.start(tag.rpartition("}")[2], attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        reader.end(tag.rpartition("}")[2])

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = reader.text
    with book.open(info) as part:
        while chunk := part.read(_CHUNK):
            clock.check()
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


class _Workbook(_Part):
    """The relation id of the first sheet."""

    def __init__(self) -> None:
        self.first = ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet" and not self.first:
            self.first = attrs.get(f"{_RELATIONS}}}id", "")


class _Relations(_Part):
    """Relation id → part path, and the shared strings' path."""

    def __init__(self) -> None:
        self.targets: dict[str, str] = {}
        self.strings = ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag != "Relationship":
            return
        target = attrs.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        self.targets[attrs.get("Id", "")] = path
        if attrs.get("Type", "").endswith("/sharedStrings"):
            self.strings = path


class _Text:
    """The text of one string (``t`` elements, not phonetic runs), kept to ``cap`` characters."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.open = False
        self.phonetic = 0
        self.elements = 0

    def reset(self) -> None:
        self.parts, self.size, self.open, self.phonetic, self.elements = [], 0, False, 0, 0

    def start(self, tag: str) -> None:
        self.elements += 1
        if self.elements > 64:
            raise _refuse("en cell i filen har fler än 64 delar; spara om den i Excel")
        if tag == "rPh":
            self.phonetic += 1
        elif tag in ("t", "v") and not self.phonetic:
            self.open = True

    def end(self, tag: str) -> None:
        if tag == "rPh":
            self.phonetic -= 1
        elif tag in ("t", "v"):
            self.open = False

    def add(self, data: str) -> None:
        # Beyond the cap only "too long" matters, so a prefix stands for the rest.
        if self.open and self.size <= self.cap:
            self.parts.append(data[: self.cap + 1 - self.size])
            self.size += len(self.parts[-1])

    def value(self) -> str:
        return "".join(self.parts)


class _SharedStrings(_Part):
    def __init__(self, limits: TableLimits) -> None:
        self.limits = limits
        self.strings: list[str] = []
        self.current = _Text(limits.cell_chars)
        self.inside = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "si":
            if len(self.strings) >= self.limits.shared_strings:
                raise _refuse(f"filen har fler än {self.limits.shared_strings} olika texter")
            self.current.reset()
            self.inside = True
        elif self.inside:
            self.current.start(tag)

    def end(self, tag: str) -> None:
        if tag == "si":
            self.strings.append(self.current.value())
            self.inside = False
        elif self.inside:
            self.current.end(tag)

    def text(self, data: str) -> None:
        if self.inside:
            self.current.add(data)


def _column(reference: str) -> int:
    """0-based column of a cell reference such as ``AB12`` (-1 when it names none)."""
    index = 0
    for char in reference:
        if not ("A" <= char <= "Z"):
            break
        index = index * 26 + ord(char) - 64
    return index - 1


def _number(raw: str) -> str:
    """A stored number as the user typed it: whole numbers without ``.0`` or exponent."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return raw


class _Sheet(_Part):
    """The rows of a sheet: row 1 whole (up to the column cap), below it the wanted columns."""

    def __init__(self, strings: list[str], wanted: Collection[str], limits: TableLimits) -> None:
        self.strings = strings
        self.wanted = wanted
        self.limits = limits
        self.rows: list[tuple[int, dict[int, str]]] = []
        self.keep: Collection[int] = range(limits.columns)
        self.number = 0
        self.column = -1
        self.cells: dict[int, str] = {}
        self.kind = ""
        self.in_cell = False
        self.value = _Text(limits.cell_chars)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            reference = attrs.get("r", "")
            ok = reference.isascii() and reference.isdigit()
            self.number = int(reference) if ok else self.number + 1
            if self.number > self.limits.rows:
                raise _too_many_rows(self.limits)
            self.column, self.cells = -1, {}
        elif tag == "c":
            cell = attrs.get("r", "")
            self.column = _column(cell) if cell else self.column + 1
            self.in_cell = self.column in self.keep
            self.kind = attrs.get("t", "n")
            self.value.reset()
        elif self.in_cell:
            self.value.start(tag)

    def end(self, tag: str) -> None:
        if tag == "c" and self.in_cell:
            self.in_cell = False
            value = self._cell(self.value.value())
            if value:
                self.cells[self.column] = value[: self.limits.cell_chars + 1]
        elif tag == "row":
            self.rows.append((self.number, self.cells))
            if self.number == 1:
                header = {i: v.strip().lower() for i, v in self.cells.items()}
                self.keep = {i for i, name in header.items() if name in self.wanted}
        elif self.in_cell:
            self.value.end(tag)

    def text(self, data: str) -> None:
        if self.in_cell:
            self.value.add(data)

    def _cell(self, raw: str) -> str:
        if self.kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError) as exc:
                raise _refuse("filen hänvisar till en text som saknas; spara om den") from exc
        return _number(raw) if self.kind == "n" else raw


def _xlsx_rows(
    content: bytes, wanted: Collection[str], limits: TableLimits, clock: _Clock
) -> Iterator[tuple[int, dict[int, str]]]:
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _refuse("filen är ingen .xlsx-fil och kunde inte läsas; använd mallen") from exc
    with book:
        workbook, relations = _Workbook(), _Relations()
        _parse(book, "xl/workbook.xml", workbook, limits, clock)
        _parse(book, "xl/_rels/workbook.xml.rels", relations, limits, clock)
        if workbook.first not in relations.targets:
            raise _refuse("filen har inget kalkylblad; spara den som .xlsx i Excel")
        strings = _SharedStrings(limits)
        if relations.strings:
            _parse(book, relations.strings, strings, limits, clock)
        sheet = _Sheet(strings.strings, wanted, limits)
        _parse(book, relations.targets[workbook.first], sheet, limits, clock)
    return iter(sheet.rows)


def read_table(
    filename: str, content: bytes, wanted: Collection[str], limits: TableLimits | None = None
) -> Table:
    """The header and the wanted columns of a .csv or .xlsx; ``ValidationFailed`` naming why not.

    Cells are text: a formula is never evaluated (an .xlsx cell gives its stored value only).
    """
    bounds = limits or TableLimits()
    clock = _Clock(bounds.seconds)
    if not content:
        raise _refuse("filen är tom")
    try:
        if filename.lower().endswith(".xlsx"):
            return _collect(_xlsx_rows(content, wanted, bounds, clock), wanted, bounds)
        return _collect(_csv_rows(content, bounds, clock), wanted, bounds)
    except ValidationFailed:
        raise
    except (expat.ExpatError, csv.Error, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _refuse(
            f"filen kunde inte läsas ({type(exc).__name__}); använd mallen (.csv eller .xlsx)"
        ) from exc
