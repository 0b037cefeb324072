"""Import panel members from a CSV or XLSX file: a dry run first, then the real import.

`check_panel_file` reads the whole file and reports every problem by row and column
without writing anything. `import_panel_file` refuses a file with problems, and otherwise
creates and updates members and their contact details in one transaction, with bulk
upserts keyed on (council, external id) so that importing the same file twice changes
nothing the second time and 50,000 rows take seconds.
"""

import codecs
import csv
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from panel.models import MemberContact, PanelMember
from surveyplatform.text import clean_text, formula_trigger

REQUIRED_COLUMNS = ("external_id", "email")
OPTIONAL_COLUMNS = (
    "name",
    "preferred_language",
    "ward",
    "age_band",
    "gender",
    "household_key",
)
MAX_LENGTHS = {
    "external_id": 100,
    "email": 254,
    "name": 200,
    "ward": 100,
    "age_band": 20,
    "gender": 30,
    "household_key": 100,
}
LANGUAGES = {
    "": "en",
    "en": "en",
    "english": "en",
    "saesneg": "en",
    "cy": "cy",
    "welsh": "cy",
    "cymraeg": "cy",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
BULK_BATCH = 2000


@dataclass(frozen=True)
class Problem:
    row: int | None  # the spreadsheet row number, header = 1; None for the whole file
    column: str
    message: str


@dataclass
class PanelFileReport:
    rows: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "row_count": len(self.rows),
            "problems": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.problems
            ],
        }


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


class PanelFileError(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, report: PanelFileReport):
        super().__init__(f"{len(report.problems)} problem(s) in the panel file")
        self.report = report


def _max_bytes() -> int:
    return getattr(settings, "PANEL_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _normalise_header(name: object) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- Reading a table within limits ------------------------------------------------------
#
# A spreadsheet is small on the wire and can be huge in memory: a 90 KB workbook with one
# cell per row in column XFD pads to 16,384 cells a row, and a 400 KB deflate bomb unpacks
# to 400 MB. So every limit is checked before or while reading, never after: the upload's
# size before a byte is read, the unpacked size from the zip's directory before anything is
# unpacked, and rows, columns and cells as each row is read. The worksheet is streamed and
# every XML element is dropped once read, so memory holds one row at a time plus the table
# built so far, which the cell limit bounds.

# Parts of a workbook that openpyxl parses whole (the manifest, relations, workbook and
# styles) are a few kilobytes in any real file; a larger one is refused before parsing.
WHOLE_PART_MAX_BYTES = 4 * 1024 * 1024
WHOLE_PART_SUFFIXES = ("[Content_Types].xml", ".rels", "workbook.xml", "styles.xml")
# Elements one cell or shared string may hold (rich text runs), and how deep XML may nest.
XML_MAX_ITEM_ELEMENTS = 1000
XML_MAX_DEPTH = 64


class _Unreadable(Exception):
    """The file cannot be read as a table within the limits; the message says why."""

    def __init__(self, message: str, *, row: int | None = None):
        super().__init__(message)
        self.problem = Problem(row, "", message)


@dataclass(frozen=True)
class _Limits:
    rows: int
    columns: int
    cells: int
    unzipped_bytes: int

    @classmethod
    def from_settings(cls) -> "_Limits":
        return cls(
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cells=settings.IMPORT_MAX_CELLS,
            unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_BYTES,
        )


class _Table:
    """The rows read so far, as text; refuses the file as soon as a limit is passed."""

    def __init__(self, limits: _Limits):
        self.limits = limits
        self.rows: list[list[str]] = []
        self.cells = 0

    def add(self, number: int, cells: list[str]) -> None:
        """Add spreadsheet row `number` (1 = the first); rows skipped before it are empty."""
        limits = self.limits
        if number > limits.rows:
            raise _Unreadable(
                _(
                    "The file has more than %(limit)d rows; "
                    "split it into files of at most %(limit)d rows."
                )
                % {"limit": limits.rows}
            )
        if number <= len(self.rows):
            raise _Unreadable(
                _("Row %(row)d comes after row %(previous)d; save the file again and upload it.")
                % {"row": number, "previous": len(self.rows)},
                row=number,
            )
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > limits.columns:
            raise self.too_wide(number, len(cells))
        self.cells += len(cells)
        if self.cells > limits.cells:
            raise self.too_many_cells()
        self.rows.extend([] for _ in range(number - 1 - len(self.rows)))
        self.rows.append([clean_text(cell) for cell in cells])

    def too_many_cells(self) -> _Unreadable:
        return _Unreadable(
            _("The file has more than %(limit)d cells; split it into smaller files.")
            % {"limit": self.limits.cells}
        )

    def too_wide(self, number: int, column: int) -> _Unreadable:
        return _Unreadable(
            _("Row %(row)d has a cell in column %(column)d; at most %(limit)d columns are read.")
            % {"row": number, "column": column, "limit": self.limits.columns},
            row=number,
        )


def upload_size(source) -> int:
    """Return the size of an upload (or of bytes) without reading it."""
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    size = getattr(source, "size", None)
    if size is None:
        position = source.tell()
        size = source.seek(0, io.SEEK_END)
        source.seek(position)
    return size


def _stream(source) -> BinaryIO:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    source.seek(0)
    return source


def _read_table(source, filename: str) -> tuple[list[list[str]] | None, Problem | None]:
    """Return the file's rows as text, header first, or the problem that stops reading it.

    `source` is the file's bytes or an uploaded file, which is read only once its size
    is known to be within PANEL_IMPORT_MAX_BYTES. Cells are text in NFC without invisible
    characters (`surveyplatform.text.clean_text`), trailing empty cells left out.
    """
    size = upload_size(source)
    if size > _max_bytes():
        return None, Problem(
            None,
            "",
            _("The file is %(size)d bytes; the largest accepted is %(limit)d bytes.")
            % {"size": size, "limit": _max_bytes()},
        )
    name = filename.lower()
    if not name.endswith((".csv", ".xlsx")):
        return None, Problem(None, "", _("Upload a .csv or .xlsx file."))
    table = _Table(_Limits.from_settings())
    try:
        if name.endswith(".xlsx"):
            _read_xlsx(_stream(source), table)
        else:
            _read_csv(_stream(source), table)
    except _Unreadable as error:
        return None, error.problem
    return table.rows, None


def _read_csv(stream: BinaryIO, table: _Table) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        for number, cells in enumerate(reader, start=1):
            table.add(number, cells)
    except UnicodeDecodeError:
        raise _Unreadable(
            _(
                "The file is not UTF-8 text (byte %(position)d cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"position": _first_undecodable_byte(stream)}
        ) from None
    except csv.Error as error:
        raise _Unreadable(
            _("Line %(line)d cannot be read as CSV: %(error)s.")
            % {"line": reader.line_num, "error": error},
            row=reader.line_num,
        ) from None
    finally:
        text.detach()  # leave the upload open for whoever stores it


def _first_undecodable_byte(stream: BinaryIO) -> int:
    """Return the 1-based position of the first byte that is not UTF-8."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while True:
        chunk = stream.read(64 * 1024)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            return offset - pending + error.start + 1
        if not chunk:
            return offset + 1
        offset += len(chunk)


def _xml_events(source, item_tag: str):
    """Yield (event, element) of an XML part, keeping only what is being read in memory.

    Start events come for every element; end events for the elements outside an item and
    for each `item_tag` element, with its subtree. An element is removed from its parent
    once the consumer has seen its end, so the parent holds one child at a time.
    """
    from openpyxl.xml.functions import iterparse

    path = []
    item_elements = 0
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            path.append(element)
            if len(path) > XML_MAX_DEPTH:
                raise ValueError(f"XML nested more than {XML_MAX_DEPTH} deep")
            if item_elements or element.tag == item_tag:
                item_elements += 1
                if item_elements > XML_MAX_ITEM_ELEMENTS:
                    raise ValueError(f"a cell of more than {XML_MAX_ITEM_ELEMENTS} elements")
            yield event, element
            continue
        path.pop()
        if element.tag == item_tag:
            item_elements = 0
        elif item_elements:
            continue  # inside the item: read with it when it ends
        yield event, element
        if path:
            path[-1].remove(element)
        else:
            element.clear()


def _read_xlsx(stream: BinaryIO, table: _Table) -> None:
    try:
        _read_workbook(stream, table)
    except _Unreadable:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        SyntaxError,  # xml.etree.ElementTree.ParseError
    ) as error:
        raise _Unreadable(
            _("The file is not a readable XLSX workbook (%s).")
            % (str(error)[:200] or type(error).__name__)
        ) from None


def _read_workbook(stream: BinaryIO, table: _Table) -> None:
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

    # The zip's directory says how large each part unpacks; reading stops there even when
    # the directory lies (the part then fails its checksum), so this bounds the unpacking.
    parts = zipfile.ZipFile(stream).infolist()
    unzipped = sum(part.file_size for part in parts)
    if unzipped > table.limits.unzipped_bytes:
        raise _Unreadable(
            _("The workbook unpacks to %(size)d bytes; at most %(limit)d bytes are read.")
            % {"size": unzipped, "limit": table.limits.unzipped_bytes}
        )
    for part in parts:
        if part.filename.endswith(WHOLE_PART_SUFFIXES) and part.file_size > WHOLE_PART_MAX_BYTES:
            raise _Unreadable(
                _(
                    "The workbook's part %(part)s unpacks to %(size)d bytes; "
                    "at most %(limit)d are read."
                )
                % {"part": part.filename, "size": part.file_size, "limit": WHOLE_PART_MAX_BYTES}
            )

    # openpyxl reads the manifest, workbook and styles; its worksheet and shared-string
    # readers keep every row or string they parse, so those two parts are streamed here.
    reader = ExcelReader(stream, read_only=True, data_only=False, keep_links=False)
    reader.read_manifest()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    workbook = reader.wb
    sheet_path = next(
        (
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ),
        None,
    )
    if sheet_path is None:
        raise _Unreadable(_("The workbook has no worksheet."))

    strings: list[str] = []
    manifest_entry = reader.package.find(SHARED_STRINGS)
    if manifest_entry is not None:
        with reader.archive.open(manifest_entry.PartName[1:]) as source:
            for event, element in _xml_events(source, f"{{{SHEET_MAIN_NS}}}si"):
                if event == "end" and element.tag == f"{{{SHEET_MAIN_NS}}}si":
                    strings.append(Text.from_tree(element).content.replace("x005F_", ""))
                    if len(strings) > table.limits.cells:
                        raise table.too_many_cells()

    cells = WorkSheetParser(
        None,
        strings,
        data_only=False,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    number = 0
    row: dict[int, str] = {}
    with reader.archive.open(sheet_path) as source:
        for event, element in _xml_events(source, CELL_TAG):
            if event == "start":
                if element.tag == ROW_TAG:
                    number = _row_number(element.get("r"), number)
                    cells.row_counter, cells.col_counter = number, 0
                    row = {}
                continue
            if element.tag == CELL_TAG:
                cell = cells.parse_cell(element)
                if cell["column"] > table.limits.columns:
                    raise table.too_wide(number, cell["column"])
                row[cell["column"]] = _cell_text(cell["value"])
            elif element.tag == ROW_TAG and row:
                texts = [""] * max(row)
                for column, text in row.items():
                    texts[column - 1] = text
                table.add(number, texts)
    reader.archive.close()


def _row_number(value: str | None, previous: int) -> int:
    if value is None:
        return previous + 1
    number = float(value)
    if not number.is_integer() or number < 1:
        raise ValueError(f"{value} is not a row number")
    return int(number)


def check_panel_file(content: bytes | BinaryIO, *, filename: str) -> PanelFileReport:
    """Read a panel file and report every problem by row and column; write nothing.

    `content` is the file's bytes or the uploaded file itself, whose size is checked
    before it is read.
    """
    report = PanelFileReport()
    table, problem = _read_table(content, filename)
    if problem is not None:
        report.problems.append(problem)
        return report
    table = [row for row in table if any(cell.strip() for cell in row)] if table else []
    if not table:
        report.problems.append(Problem(None, "", _("The file is empty.")))
        return report

    header = [_normalise_header(name) for name in table[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    for column in missing:
        report.problems.append(
            Problem(
                1, column, _("The required column “%(column)s” is missing.") % {"column": column}
            )
        )
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    for name in header:
        if name and name not in known:
            report.problems.append(
                Problem(1, name, _("Unknown column “%(column)s”.") % {"column": name})
            )
    if missing:
        return report

    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        raw = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
        row_problems = _check_row(number, raw, first_row_of)
        report.problems.extend(row_problems)
        if not row_problems:
            report.rows.append(_clean_row(raw))
    return report


def _check_row(number: int, raw: dict[str, str], first_row_of: dict[str, int]) -> list[Problem]:
    problems = []
    for column, value in raw.items():
        if "\x00" in value:
            problems.append(
                Problem(
                    number,
                    column,
                    _("The cell contains a NUL character, which cannot be stored."),
                )
            )
            continue
        trigger = formula_trigger(value)
        if trigger:
            problems.append(
                Problem(
                    number,
                    column,
                    _("The cell starts with “%(char)s”, which a spreadsheet may run as a formula.")
                    % {"char": trigger.replace("\t", "tab").replace("\r", "CR")},
                )
            )
        limit = MAX_LENGTHS.get(column)
        if limit and len(value.strip()) > limit:
            problems.append(
                Problem(
                    number,
                    column,
                    _("The value is %(length)d characters long; at most %(limit)d are allowed.")
                    % {"length": len(value.strip()), "limit": limit},
                )
            )
    external_id = raw.get("external_id", "").strip()
    if not external_id:
        problems.append(Problem(number, "external_id", _("The external id is empty.")))
    elif external_id in first_row_of:
        problems.append(
            Problem(
                number,
                "external_id",
                _("The external id “%(id)s” is already used on row %(row)d.")
                % {"id": external_id, "row": first_row_of[external_id]},
            )
        )
    else:
        first_row_of[external_id] = number
    email = raw.get("email", "").strip()
    if not email:
        problems.append(Problem(number, "email", _("The e-mail address is empty.")))
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                Problem(
                    number, "email", _("“%(email)s” is not an e-mail address.") % {"email": email}
                )
            )
    language = raw.get("preferred_language", "").strip().lower()
    if language not in LANGUAGES:
        problems.append(
            Problem(
                number,
                "preferred_language",
                _("Unknown language “%(language)s”: use en or cy.")
                % {"language": raw["preferred_language"]},
            )
        )
    return problems


def _clean_row(raw: dict[str, str]) -> dict[str, str]:
    row = {column: raw.get(column, "").strip() for column in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    row["preferred_language"] = LANGUAGES[row["preferred_language"].lower()]
    row["email"] = row["email"].lower()
    return row


def import_panel_file(council, *, content: bytes, filename: str) -> ImportResult:
    """Create and update the council's members from a file with no problems, all or nothing.

    A member's status is never changed by an import, so re-importing the council's full
    list does not bring back someone who withdrew or unsubscribed.
    """
    report = check_panel_file(content, filename=filename)
    if not report.ok:
        raise PanelFileError(report)
    return import_rows(council, rows=report.rows)


def import_rows(council, *, rows: list[dict[str, str]]) -> ImportResult:
    """Upsert checked rows into the council's panel in one transaction."""
    member_fields = ["preferred_language", "ward", "age_band", "gender", "household_key"]
    with transaction.atomic():
        ids = [row["external_id"] for row in rows]
        existing = set()
        for start in range(0, len(ids), 10000):
            existing.update(
                PanelMember.objects.filter(
                    council=council, external_id__in=ids[start : start + 10000]
                ).values_list("external_id", flat=True)
            )
        PanelMember.objects.bulk_create(
            [
                PanelMember(
                    council=council,
                    external_id=row["external_id"],
                    **{name: row[name] for name in member_fields},
                )
                for row in rows
            ],
            batch_size=BULK_BATCH,
            update_conflicts=True,
            unique_fields=["council", "external_id"],
            update_fields=member_fields,
        )
        pk_of: dict[str, int] = {}
        for start in range(0, len(ids), 10000):
            pk_of.update(
                PanelMember.objects.filter(
                    council=council, external_id__in=ids[start : start + 10000]
                ).values_list("external_id", "pk")
            )
        MemberContact.objects.bulk_create(
            [
                MemberContact(
                    member_id=pk_of[row["external_id"]], email=row["email"], name=row["name"]
                )
                for row in rows
            ],
            batch_size=BULK_BATCH,
            update_conflicts=True,
            unique_fields=["member"],
            update_fields=["email", "name"],
        )
    created = len(set(ids) - existing)
    return ImportResult(created=created, updated=len(ids) - created)
