"""Import panel members from a CSV or XLSX file: a dry run first, then the real import.

`check_panel_file` reads the whole file and reports every problem by row and column
without writing anything. `import_panel_file` refuses a file with problems, and otherwise
creates and updates members and their contact details in one transaction, with bulk
upserts keyed on (council, external id) so that importing the same file twice changes
nothing the second time and 50,000 rows take seconds.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from panel.models import MemberContact, PanelMember

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
# A cell starting with one of these can run as a formula when the file is opened in a
# spreadsheet; the council's file is refused rather than silently altered.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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


def _read_table(content: bytes, filename: str) -> tuple[list[list[str]] | None, Problem | None]:
    """Return the file's rows as text, header first, or the problem that stops reading it."""
    if filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            return None, Problem(
                None, "", _("The file is not a readable XLSX workbook (%s).") % error
            )
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows, None
    if not filename.lower().endswith(".csv"):
        return None, Problem(None, "", _("Upload a .csv or .xlsx file."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, Problem(
            None,
            "",
            _(
                "The file is not UTF-8 text (byte %(position)d cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"position": error.start + 1},
        )
    return list(csv.reader(io.StringIO(text, newline=""))), None


def check_panel_file(content: bytes, *, filename: str) -> PanelFileReport:
    """Read a panel file and report every problem by row and column; write nothing."""
    report = PanelFileReport()
    if len(content) > _max_bytes():
        report.problems.append(
            Problem(
                None,
                "",
                _("The file is %(size)d bytes; the largest accepted is %(limit)d bytes.")
                % {"size": len(content), "limit": _max_bytes()},
            )
        )
        return report
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
        if value.startswith(FORMULA_PREFIXES):
            problems.append(
                Problem(
                    number,
                    column,
                    _("The cell starts with “%(char)s”, which a spreadsheet may run as a formula.")
                    % {"char": value[0].replace("\t", "tab").replace("\r", "CR")},
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
