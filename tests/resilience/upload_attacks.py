"""Small upload files that describe huge tables: the attack corpus of issue 15, made on demand.

Each entry is a file under the 10 MB body limit that cost the old reader seconds and gigabytes:
an .xlsx whose dimension tag claims every cell of a sheet, one whose single cell unpacks to 200 MB
(as a shared string and as an inline string), a CSV of 100,000 empty columns, and more of the
same family (a row of 16,384 cells, a million empty rows, a zip entry that lies about its size,
entity expansion, a million distinct texts, deep nesting, a 9 MB line, 9 MB of line breaks).
``attacks(home)`` gives name → (filename, content, a text the refusal must contain);
``benign:`` before the text marks a file that is read and then fails the ordinary row checks,
and ``stored`` a file that is fine apart from its lie. ``benchmarks/uploads.py`` times them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from functools import cache

__all__ = ["HEADER", "attacks", "xlsx"]

HEADER = ("care_home_id", "item", "requested", "on_hand", "daily_use", "situation")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OFFICE}.sharedStrings+xml"/>'
    "</Types>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
    '<sheets><sheet name="behov" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

Part = str | Callable[[], Iterator[bytes]]


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _inline(column: int, row: int, value: str) -> str:
    return f'<c r="{_column(column)}{row}" t="inlineStr"><is><t>{value}</t></is></c>'


def _rows_xml(rows: list[list[str]]) -> str:
    return "".join(
        f'<row r="{r}">' + "".join(_inline(c, r, v) for c, v in enumerate(row) if v) + "</row>"
        for r, row in enumerate(rows, start=1)
    )


def _sheet(body: str, dimension: str = "A1:F2") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
        f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'
    )


def xlsx(sheet: Part, strings: Part = f'<sst xmlns="{_MAIN}" count="0" uniqueCount="0"/>') -> bytes:
    """A minimal workbook from a sheet part and a shared-strings part (text or chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, part in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", strings)):
            if isinstance(part, str):
                book.writestr(name, part)
            else:
                with book.open(name, "w", force_zip64=True) as handle:
                    for chunk in part():
                        handle.write(chunk)
    return out.getvalue()


def _good_rows(home: str) -> list[list[str]]:
    return [list(HEADER), [home, "IIR", "10", "1", "", "none"]]


def _huge_shared_string() -> Iterator[bytes]:
    yield f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    block = b"A" * (1024 * 1024)
    for _ in range(200):
        yield block
    yield b"</t></si></sst>"


def _huge_inline_sheet(home: str) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        head = _sheet(_rows_xml([list(HEADER)])).split("</sheetData>")[0]
        yield head.encode() + f'<row r="2">{_inline(0, 2, home)}'.encode()
        yield b'<c r="B2" t="inlineStr"><is><t>'
        block = b"B" * (1024 * 1024)
        for _ in range(200):
            yield block
        yield b"</t></is></c></row></sheetData></worksheet>"

    return chunks


def _wide_rows() -> Iterator[bytes]:
    yield _sheet(_rows_xml([list(HEADER)])).split("</sheetData>")[0].encode()
    for r in range(2, 8):
        yield f'<row r="{r}">'.encode()
        yield "".join(f'<c r="{_column(c)}{r}"><v>1</v></c>' for c in range(16_384)).encode()
        yield b"</row>"
    yield b"</sheetData></worksheet>"


def _empty_rows() -> Iterator[bytes]:
    yield _sheet(_rows_xml([list(HEADER)])).split("</sheetData>")[0].encode()
    for start in range(2, 600_002, 10_000):
        yield "".join(f'<row r="{r}"/>' for r in range(start, start + 10_000)).encode()
    yield b"</sheetData></worksheet>"


def _many_strings() -> Iterator[bytes]:
    yield f'<sst xmlns="{_MAIN}">'.encode()
    for start in range(0, 300_000, 10_000):
        yield "".join(f"<si><t>{i}</t></si>" for i in range(start, start + 10_000)).encode()
    yield b"</sst>"


def _nested(home: str) -> Iterator[bytes]:
    head = _sheet(_rows_xml([list(HEADER)])).split("</sheetData>")[0]
    yield head.encode() + b'<row r="2"><c r="A2" t="inlineStr"><is>'
    yield b"<x>" * 2_000_000
    yield b"</x>" * 2_000_000
    yield b"</is></c></row></sheetData></worksheet>"


def _many_parts(home: str) -> Iterator[bytes]:
    head = _sheet(_rows_xml([list(HEADER)])).split("</sheetData>")[0]
    yield head.encode() + b'<row r="2"><c r="A2" t="inlineStr"><is>'
    for _ in range(150):
        yield b"<t>x</t>" * 10_000
    yield b"</is></c></row></sheetData></worksheet>"


def _lying_size(home: str) -> bytes:
    """A workbook whose sheet entry says it unpacks to 100 bytes but holds 50 MB."""
    sheet = _sheet(_rows_xml(_good_rows(home))).encode() + b" " * 50_000_000
    data = bytearray(xlsx(sheet.decode()))
    name = b"xl/worksheets/sheet1.xml"
    # The uncompressed size sits at byte 22 of the entry's local header and 24 of its central one.
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + f']><sst xmlns="{_MAIN}"><si><t>&lol9;</t></si></sst>'
)


@cache
def attacks(home: str) -> dict[str, tuple[str, bytes, str]]:
    """Name → (filename, content, what the refusal says); every file is under 10 MB."""
    wide_header = ",".join(HEADER) + "," * 100_000 + "\r\n"
    wide_csv = wide_header + "".join(f"{home},IIR,10,1,,none\r\n" for _ in range(1_000))
    dimension = _sheet(_rows_xml(_good_rows(home)), dimension="A1:XFD1048576")
    return {
        "dimension A1:XFD1048576": ("d.xlsx", xlsx(dimension), "stored"),
        "200 MB shared string": (
            "s.xlsx",
            xlsx(_sheet(_rows_xml(_good_rows(home))), _huge_shared_string),
            "packas upp till mer än",
        ),
        "200 MB inline cell": (
            "i.xlsx",
            xlsx(_huge_inline_sheet(home)),
            "packas upp till mer än",
        ),
        "100,000 empty CSV columns × 1,000 rows": (
            "w.csv",
            wide_csv.encode(),
            "längre än",
        ),
        "six rows of 16,384 cells": (
            "c.xlsx",
            xlsx(_wide_rows),
            "benign:finns inte bland kommunens",
        ),
        "600,000 empty rows": ("e.xlsx", xlsx(_empty_rows), "fler än 10000"),
        "a zip entry lying about its size": ("l.xlsx", _lying_size(home), "kunde inte läsas"),
        "entity expansion": (
            "x.xlsx",
            xlsx(_sheet(_rows_xml(_good_rows(home))), _LAUGHS),
            "DOCTYPE",
        ),
        "300,000 distinct texts": (
            "t.xlsx",
            xlsx(_sheet(_rows_xml(_good_rows(home))), _many_strings),
            "olika texter",
        ),
        "nesting two million deep": ("n.xlsx", xlsx(lambda: _nested(home)), "nästlad"),
        "1.5 million parts in one cell": (
            "p.xlsx",
            xlsx(lambda: _many_parts(home)),
            "fler än 64 delar",
        ),
        "one 9 MB line": ("o.csv", b"care_home_id," + b"x" * 9_000_000, "längre än"),
        "9 MB of line breaks": (
            "b.csv",
            (",".join(HEADER) + "\r\n").encode() + b"\n" * 9_000_000,
            "fler än 10000",
        ),
        "a 9 MB quoted cell over many lines": (
            "q.csv",
            (",".join(HEADER) + "\r\n" + f'{home},"').encode() + b"x\n" * 4_500_000 + b'"\r\n',
            "fler än 10000",
        ),
        "a 500-digit quantity": (
            "g.csv",
            (",".join(HEADER) + f"\r\n{home},IIR,{'9' * 500},1,,none\r\n").encode(),
            "längre än 200 tecken",
        ),
        "a superscript digit": (
            "u.xlsx",
            xlsx(_sheet(_rows_xml([list(HEADER), [home, "IIR", "²", "1", "", "none"]]))),
            "benign:requested",
        ),
    }
