"""Hostile spreadsheets: small files built by hand that unpack or pad to something huge.

Each starts from a real workbook saved by openpyxl, so that every part but the worksheet
is what a spreadsheet program writes, and swaps in a worksheet written here.
"""

import io
import zipfile

import openpyxl

SHEET_PATH = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _template() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["placeholder"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_with_sheet(chunks, *, level: int = 9) -> bytes:
    """Return an XLSX whose first worksheet is the concatenated XML text `chunks`."""
    source = zipfile.ZipFile(io.BytesIO(_template()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            if info.filename == SHEET_PATH:
                with target.open(SHEET_PATH, "w") as sheet:
                    for chunk in chunks:
                        sheet.write(chunk.encode())
            else:
                target.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def far_column_workbook(rows: int, *, column: str = "XFD") -> bytes:
    """Return an XLSX of a header and `rows` rows, each with one cell in `column`.

    A reader that pads every row to the widest one builds rows × 16,384 cells.
    """

    def chunks():
        yield SHEET_HEAD + f'<dimension ref="A1:{column}{rows + 1}"/><sheetData>'
        yield (
            '<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>email</t></is></c></row>'
        )
        for number in range(2, rows + 2):
            yield f'<row r="{number}"><c r="{column}{number}"><v>1</v></c></row>'
        yield "</sheetData></worksheet>"

    return workbook_with_sheet(chunks())


def deflate_bomb(unpacked_bytes: int) -> bytes:
    """Return an XLSX whose worksheet unpacks to about `unpacked_bytes`: rows of one long
    run of a letter, which deflate packs about a thousand to one."""
    run = "A" * (1024 * 1024)
    row = f'<row><c t="inlineStr"><is><t>{run}</t></is></c></row>'

    def chunks():
        yield SHEET_HEAD + "<sheetData>"
        for _ in range(max(1, unpacked_bytes // len(row))):
            yield row
        yield "</sheetData></worksheet>"

    return workbook_with_sheet(chunks())


def understated_bomb(unpacked_bytes: int, *, claimed: int = 1000) -> bytes:
    """Return a deflate bomb whose zip headers claim the worksheet unpacks to `claimed` bytes."""
    content = bytearray(deflate_bomb(unpacked_bytes))
    name = SHEET_PATH.encode()
    # The local header: uncompressed size at offset 22.
    local = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(SHEET_PATH).header_offset
    content[local + 22 : local + 26] = claimed.to_bytes(4, "little")
    # The central directory, found from its end record: uncompressed size at offset 24.
    end = content.rfind(b"PK\x05\x06")
    entries = int.from_bytes(content[end + 10 : end + 12], "little")
    entry = int.from_bytes(content[end + 16 : end + 20], "little")
    for _ in range(entries):
        lengths = [
            int.from_bytes(content[entry + at : entry + at + 2], "little") for at in (28, 30, 32)
        ]
        if content[entry + 46 : entry + 46 + lengths[0]] == name:
            content[entry + 24 : entry + 28] = claimed.to_bytes(4, "little")
        entry += 46 + sum(lengths)
    return bytes(content)
