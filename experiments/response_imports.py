"""Import answers collected on paper or by telephone into a wave, in the export's layout.

The file is the wide CSV of the platform's research export (`exports`, one row
per response, theme questions prefixed `t<theme id>_`, codes as in the codebook), plus one
column the council fills in: `external_id`, the member's id in the council's own panel
list. The export's `pseudonym` is accepted and never read: letting a council admin test
pseudonyms against their members would undo the pseudonymisation. The tidy export (one
row per response × theme) is accepted too, folded into one row per member.

`check_response_file` reads the whole file against the wave and reports every problem by
row and column without writing anything. `import_response_file` refuses a file with
problems and otherwise stores every row in one transaction, so a bad file changes
nothing. A member has one response per wave: importing the same file again finds the
responses it made and leaves them as they are (or replaces their answers when a row was
corrected), and a member who answered online keeps the online answers.

The arm is never chosen by the file, nor drawn at import. The nudges a paper respondent
read were fixed when their copy was printed (`experiments.paper`, which allocates by the
wave's own scheme), and a telephone interviewer reads the nudges of the member's arm from
the script printed the same way; an arm drawn only when the answers come back could
differ from what the member was shown. So every imported member must already hold an
allocation, from printing or from opening their link: a paper row must carry the version
code printed on the copy in its `arm` column, and any filled `arm` cell must agree with
the allocation, which catches a row keyed from the wrong version of the questionnaire.
The nudge versions printed on the member's latest copy are recorded as the response's
exposures, as the online theme page records what it shows.

A wave randomised elsewhere (`experiments.randomised_elsewhere`: an earlier study, a
partner's trial) is the one exception: its groups were allocated before the answers came
to the platform, so its file must give every member's group in the `arm` column (the
export's codes), and the import records that group as the member's allocation, once: a
later file must give the same group. Nothing was printed, so no exposure is recorded.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from experiments.models import (
    ActivityAnswer,
    Assignment,
    Exposure,
    Response,
    ResponseMode,
    ResponseStatus,
    ThemeAnswer,
    Wave,
    WaveStatus,
)
from experiments.responses import THEME_ANSWER_FIELDS
from experiments.variables import (
    CODED,
    DATETIME,
    INTEGER,
    STRING,
    Variable,
    load_scope,
    tidy_variables,
    wide_variables,
)
from experiments.waves import ANALYSE_CLOSED_WAVE
from outbox.relay import enqueue
from panel.imports import Problem, _read_table
from panel.models import MemberStatus, PanelMember
from surveyplatform.text import formula_trigger

REQUIRED_COLUMNS = ("external_id", "mode")
PROFILE_FIELDS = ("birth_year", "age_band", "gender", "ethnic_group", "qualification", "ward")
OFFLINE_MODES = (ResponseMode.PAPER, ResponseMode.PHONE)
MAX_EXTERNAL_ID = 100
MAX_WARD = 100
EARLIEST_BIRTH_YEAR = 1900
THEME_COLUMN = re.compile(r"^t(\d+)_(.+)$")
ACTIVITY_ITEM = re.compile(r"^a(\d+)$")
# Derived columns of the export are recomputed by the platform, never read; the filled
# `activities_total` of a theme is the export's mark that the theme page was answered.
ANSWERED_MARK = "activities_total"


class ResponseFileError(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, report: "ResponseFileReport"):
        super().__init__(f"{len(report.problems)} problem(s) in the response file")
        self.report = report


@dataclass(frozen=True)
class ThemeRow:
    items: dict[str, object]
    activities: dict[int, bool]


@dataclass(frozen=True)
class OfflineResponse:
    """One checked row: whose response it is and everything it stores.

    `arm` is the group the file gives, kept only for a wave randomised elsewhere.
    """

    row: int
    member_id: int
    mode: str
    status: str
    language: str
    started_at: datetime | None
    submitted_at: datetime | None
    profile: dict[str, object]
    themes: dict[int, ThemeRow]
    arm: str | None = None


@dataclass
class ResponseFileReport:
    rows: list[OfflineResponse] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "row_count": len(self.rows),
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            # A header may hold a NUL byte, which Postgres jsonb refuses: shown as U+FFFD.
            "problems": [
                {
                    "row": p.row,
                    "column": p.column.replace("\x00", "\ufffd"),
                    "message": p.message.replace("\x00", "\ufffd"),
                }
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class ResponseImportResult:
    created: int
    updated: int
    unchanged: int


def _code_list(variable: Variable) -> str:
    welsh = translation.get_language() == "cy"
    return ", ".join(f"{code} = {cy if welsh else en}" for code, en, cy in variable.codes)


# --- The layout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The wave's wide variables by column name, and what each theme column means."""

    variables: dict[str, Variable]
    theme_names: dict[int, str]
    activities: dict[int, set[int]]  # theme → its activity ids
    # The tidy file's columns, and each theme's activities in the order of act1, act2, …
    tidy: dict[str, Variable]
    activity_order: dict[int, list[int]]


def wave_layout(wave: Wave) -> Layout:
    scope = load_scope([wave.pk])
    variables = {variable.name: variable for variable in wide_variables(scope)}
    return Layout(
        variables=variables,
        theme_names={theme.id: theme.name_en for theme in scope.themes},
        activities={theme.id: {a for a, _en, _cy in theme.activities} for theme in scope.themes},
        tidy={variable.name: variable for variable in tidy_variables(scope)},
        activity_order={theme.id: [a for a, *_text in theme.activities] for theme in scope.themes},
    )


def _header_problem(name: str, layout: Layout) -> str | None:
    """Return why a column is not part of the wave's layout, or None when it is."""
    if name == "external_id" or name in layout.variables:
        return None
    match = THEME_COLUMN.match(name)
    if match:
        theme_id = int(match.group(1))
        if theme_id not in layout.theme_names:
            known = ", ".join(f"t{tid} ({label})" for tid, label in layout.theme_names.items())
            return _("Unknown theme t%(theme)d: this wave's themes are %(known)s.") % {
                "theme": theme_id,
                "known": known,
            }
        activity = ACTIVITY_ITEM.match(match.group(2))
        if activity:
            return _(
                "Unknown activity a%(activity)s: it is not one of the activities of the theme "
                "“%(theme)s”."
            ) % {"activity": activity.group(1), "theme": layout.theme_names[theme_id]}
    return _("Unknown column “%(column)s”.") % {"column": name}


# --- Cells ----------------------------------------------------------------------------------


class CellError(ValueError):
    pass


def _whole_number(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": text}) from None
    if not number.is_integer():
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})
    return int(number)


def _coded(variable: Variable, text: str):
    """Return the stored value of a code: the integer itself, or the text it stands for."""
    try:
        code = _whole_number(text)
    except CellError:
        code = None
    if code is None or code not in {c for c, _en, _cy in variable.codes}:
        raise CellError(
            _("“%(value)s” is not one of the codes of this question: %(codes)s.")
            % {"value": text, "codes": _code_list(variable)}
        )
    if variable.text_codes:
        return {number: value for value, number in variable.text_codes.items()}[code]
    return code


def _moment(text: str, now: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date and time: write it as 2026-03-01T14:30:00Z.")
            % {"value": text}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the export writes UTC
    if moment > now + timedelta(days=1):
        raise CellError(_("“%(value)s” is in the future.") % {"value": text})
    return moment


def _text(text: str, limit: int) -> str:
    if text.startswith("'") and formula_trigger(text[1:]):
        text = text[1:]  # the export's guard against spreadsheet formulas, undone
    elif trigger := formula_trigger(text):
        raise CellError(
            _("The cell starts with “%(char)s”, which a spreadsheet may run as a formula.")
            % {"char": trigger.replace("\t", "tab").replace("\r", "CR")}
        )
    if len(text) > limit:
        raise CellError(
            _("The value is %(length)d characters long; at most %(limit)d are allowed.")
            % {"length": len(text), "limit": limit}
        )
    return text


def _value(variable: Variable, text: str, now: datetime):
    """Return the stored value of one non-empty cell, or raise CellError saying why not."""
    if variable.kind == CODED:
        return _coded(variable, text.strip())
    if variable.kind == DATETIME:
        return _moment(text.strip(), now)
    if variable.kind == INTEGER:
        number = _whole_number(text.strip())
        if variable.source == "birth_year" and not EARLIEST_BIRTH_YEAR <= number <= now.year:
            raise CellError(
                _("The year of birth must be between %(first)d and %(last)d.")
                % {"first": EARLIEST_BIRTH_YEAR, "last": now.year}
            )
        return number
    if variable.kind == STRING:
        return _text(text, MAX_WARD)
    return text


# --- Checking -------------------------------------------------------------------------------


@dataclass
class _Members:
    """What the check needs to know about the members the file names, read in bulk."""

    by_external_id: dict[str, PanelMember]
    arms: dict[int, str]
    responses: dict[int, tuple[int, str, str]]  # member → (response id, mode, status)
    # For a wave randomised elsewhere: the groups its design allows (else None).
    given_groups: tuple[str, ...] | None = None


def _load_members(wave: Wave, external_ids: list[str]) -> _Members:
    by_external_id: dict[str, PanelMember] = {}
    for start in range(0, len(external_ids), 10000):
        for member in PanelMember.objects.filter(
            council_id=wave.council_id, external_id__in=external_ids[start : start + 10000]
        ).only("pk", "external_id", "status", "erased_at", "preferred_language"):
            by_external_id[member.external_id] = member
    ids = [member.pk for member in by_external_id.values()]
    arms = dict(
        Assignment.objects.filter(wave=wave, member_id__in=ids).values_list("member_id", "arm")
    )
    responses = {
        member_id: (pk, mode, status)
        for pk, member_id, mode, status in Response.objects.filter(
            wave=wave, member_id__in=ids
        ).values_list("pk", "member_id", "mode", "status")
    }
    return _Members(by_external_id, arms, responses)


def check_response_file(wave: Wave, *, content, filename: str) -> ResponseFileReport:
    """Read a file of paper or telephone responses against the wave; write nothing.

    `content` is the file's bytes or the uploaded file, whose size the reader checks first.
    """
    report = ResponseFileReport()

    def whole_file(message: str) -> ResponseFileReport:
        report.problems.append(Problem(None, "", message))
        return report

    if wave.status == WaveStatus.DRAFT:
        return whole_file(_("Responses can be imported into an open or closed wave only."))
    table, problem = _read_table(content, filename)
    if problem is not None:
        report.problems.append(problem)
        return report
    numbered = [
        (number, row)
        for number, row in enumerate(table or [], start=1)
        if any(cell.strip() for cell in row)
    ]
    if not numbered:
        return whole_file(_("The file is empty."))

    layout = wave_layout(wave)
    header_row, header_cells = numbered[0]
    header = [cell.strip().lstrip("\ufeff").lower() for cell in header_cells]
    tidy = _is_tidy(header)
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            report.problems.append(
                Problem(
                    header_row, name, _("The column “%(column)s” appears twice.") % {"column": name}
                )
            )
        seen.add(name)
        if tidy:
            known = name == "external_id" or name in layout.tidy
            message = None if known else _("Unknown column “%(column)s”.") % {"column": name}
        else:
            message = _header_problem(name, layout)
        if message:
            report.problems.append(Problem(header_row, name, message))
    given_groups = _groups_given_by_file(wave)
    required = REQUIRED_COLUMNS + (("arm",) if given_groups is not None else ())
    for column in required:
        if column not in seen:
            report.problems.append(
                Problem(
                    header_row,
                    column,
                    _("The required column “%(column)s” is missing.") % {"column": column},
                )
            )
    if report.problems:
        return report

    rows = [
        (
            number,
            {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name},
        )
        for number, cells in numbered[1:]
    ]
    origin: dict[tuple[int, str], tuple[int, str]] = {}
    if tidy:
        rows, origin = _fold_tidy_rows(layout, rows, report.problems)
    members = _load_members(
        wave, sorted({raw["external_id"].strip() for _n, raw in rows if raw["external_id"].strip()})
    )
    members.given_groups = given_groups
    stored = _stored_offline_answers(
        [pk for pk, mode, _s in members.responses.values() if mode != ResponseMode.WEB]
    )
    now = timezone.now()
    first_row_of: dict[str, int] = {}
    for number, raw in rows:
        problems: list[Problem] = []
        parsed = _check_row(wave, layout, members, number, raw, first_row_of, problems, now)
        # A tidy file's problem is shown on the row and column the cell came from.
        report.problems.extend(
            Problem(*origin.get((p.row, p.column), (p.row, p.column)), p.message) for p in problems
        )
        if parsed is None or problems:
            continue
        report.rows.append(parsed)
        existing = members.responses.get(parsed.member_id)
        if existing is None:
            report.new += 1
        elif _same(parsed, stored.get(existing[0])):
            report.unchanged += 1
        else:
            report.updated += 1
    return report


def _groups_given_by_file(wave: Wave) -> tuple[str, ...] | None:
    """Return the groups a file may give for a wave randomised elsewhere; None otherwise."""
    from experiments.randomised_elsewhere import is_randomised_elsewhere

    if not is_randomised_elsewhere(wave):
        return None
    return tuple(arm["code"] for arm in (wave.design or {}).get("arms", []))


def _is_tidy(header: list[str]) -> bool:
    """Return whether the header is the tidy export's: one row per response × theme."""
    return "theme" in header and not any(THEME_COLUMN.match(name) for name in header)


TIDY_ACTIVITY = re.compile(r"^act(\d+)$")


def _fold_tidy_rows(
    layout: Layout, rows: list[tuple[int, dict[str, str]]], problems: list[Problem]
) -> tuple[list[tuple[int, dict[str, str]]], dict[tuple[int, str], tuple[int, str]]]:
    """Fold tidy rows into one wide row per member, remembering where each cell came from.

    A folded row is numbered by the member's first tidy row; `origin` maps (that number,
    wide column) to (tidy row, tidy column) so that problems point at the cell typed.
    """
    response_columns = {name for name in layout.variables if not THEME_COLUMN.match(name)}
    folded: dict[object, tuple[int, dict[str, str]]] = {}
    origin: dict[tuple[int, str], tuple[int, str]] = {}
    theme_row: dict[tuple[object, int], int] = {}
    for number, raw in rows:
        external_id = raw.get("external_id", "").strip()
        key: object = external_id or ("row", number)
        text = raw.get("theme", "").strip()
        if not text:
            problems.append(Problem(number, "theme", _("The theme is empty.")))
            continue
        try:
            theme_id = _coded(layout.tidy["theme"], text)
        except CellError as error:
            problems.append(Problem(number, "theme", str(error)))
            continue
        if (key, theme_id) in theme_row:
            problems.append(
                Problem(
                    number,
                    "theme",
                    _("The member's answers on this theme are already on row %(row)d.")
                    % {"row": theme_row[(key, theme_id)]},
                )
            )
            continue
        theme_row[(key, theme_id)] = number
        first, wide = folded.setdefault(key, (number, {"external_id": raw.get("external_id", "")}))
        for name, value in raw.items():
            if name in ("external_id", "theme"):
                continue
            if name in response_columns:
                previous = wide.get(name, "")
                if value.strip() and previous.strip() and value != previous:
                    problems.append(
                        Problem(
                            number,
                            name,
                            _(
                                "The value differs from the one on row %(row)d: a response "
                                "has one value for all its themes."
                            )
                            % {"row": origin.get((first, name), (first, name))[0]},
                        )
                    )
                elif value.strip() and not previous.strip():
                    wide[name] = value
                    origin[(first, name)] = (number, name)
                else:
                    wide.setdefault(name, value)
                continue
            activity = TIDY_ACTIVITY.match(name)
            if activity:
                order = layout.activity_order[theme_id]
                position = int(activity.group(1))
                if position > len(order):
                    if value.strip():
                        problems.append(
                            Problem(
                                number,
                                name,
                                _("The theme “%(theme)s” has only %(count)d activities.")
                                % {"theme": layout.theme_names[theme_id], "count": len(order)},
                            )
                        )
                    continue
                column = f"t{theme_id}_a{order[position - 1]}"
            else:
                column = f"t{theme_id}_{name}"
            if column in layout.variables:
                wide[column] = value
                origin[(first, column)] = (number, name)
    return list(folded.values()), origin


def _check_row(
    wave: Wave,
    layout: Layout,
    members: _Members,
    number: int,
    raw: dict[str, str],
    first_row_of: dict[str, int],
    problems: list[Problem],
    now: datetime,
) -> OfflineResponse | None:
    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, message))

    values: dict[str, object] = {}
    for column, text in raw.items():
        if "\x00" in text:
            problem(column, _("The cell contains a NUL character, which cannot be stored."))
            continue
        if column == "external_id" or not text.strip():
            continue
        variable = layout.variables[column]
        if variable.derivation and variable.source != ANSWERED_MARK:
            continue
        if variable.name == "pseudonym":
            continue
        try:
            if variable.name in ("council", "wave"):
                # Checked below against this wave, with a message better than a code list.
                values[column] = _whole_number(text.strip())
                continue
            values[column] = _value(variable, text, now)
        except CellError as error:
            problem(column, str(error))

    external_id = raw["external_id"]
    member = None
    if "\x00" in external_id:
        pass
    elif not external_id.strip():
        problem("external_id", _("The external id is empty."))
    elif len(external_id.strip()) > MAX_EXTERNAL_ID:
        problem(
            "external_id",
            _("The value is %(length)d characters long; at most %(limit)d are allowed.")
            % {"length": len(external_id.strip()), "limit": MAX_EXTERNAL_ID},
        )
    elif external_id.strip() in first_row_of:
        problem(
            "external_id",
            _("The external id “%(id)s” is already used on row %(row)d.")
            % {"id": external_id.strip(), "row": first_row_of[external_id.strip()]},
        )
    else:
        external_id = external_id.strip()
        first_row_of[external_id] = number
        member = members.by_external_id.get(external_id)
        if member is None or member.erased_at is not None:
            problem(
                "external_id",
                _("No member of this council's panel has the external id “%(id)s”.")
                % {"id": external_id},
            )
            member = None
        elif member.status == MemberStatus.WITHDRAWN:
            problem("external_id", _("The member has withdrawn from the panel."))
            member = None
        elif member.pk not in members.arms and members.given_groups is None:
            problem(
                "external_id",
                _(
                    "No paper version was printed for this member from the platform and they "
                    "never opened their link: print their paper questionnaire first."
                ),
            )
            member = None
        else:
            existing = members.responses.get(member.pk)
            if existing is not None and existing[1] == ResponseMode.WEB:
                problem(
                    "external_id",
                    _(
                        "The member has already answered this wave online; the online "
                        "response stands and cannot be replaced by an import."
                    ),
                )
                member = None

    if "council" in values and values["council"] != wave.council_id:
        problem("council", _("The row belongs to another council's data, not to this wave's."))
    if "wave" in values and values["wave"] != wave.pk:
        problem(
            "wave",
            _(
                "The row belongs to wave %(other)d, not to this wave (%(wave)d): correct or "
                "empty the cell."
            )
            % {"other": values["wave"], "wave": wave.pk},
        )

    mode = values.get("mode")
    if "mode" in raw and not raw["mode"].strip():
        problem("mode", _("Say how the answers were collected: 2 = paper or 3 = telephone."))
    elif mode == ResponseMode.WEB:
        problem(
            "mode",
            _(
                "Online answers are collected by the platform and cannot be imported: "
                "use 2 = paper or 3 = telephone."
            ),
        )

    status = values.get("status", ResponseStatus.COMPLETE)
    submitted_at = values.get("submitted_at")
    if status == ResponseStatus.PARTIAL and submitted_at is not None:
        problem(
            "submitted_at",
            _("A partial response has no submission time: empty the cell or mark it complete."),
        )
    started_at = values.get("started_at")
    if started_at and submitted_at and started_at > submitted_at:
        problem("started_at", _("The response starts after it was submitted."))

    if members.given_groups is not None:
        _check_given_group(layout, members, member, raw, values, problem)
    elif mode == ResponseMode.PAPER and not raw.get("arm", "").strip():
        problem(
            "arm",
            _(
                "The version is missing: copy the version number printed on the paper "
                "questionnaire (1 to 4) into the arm column."
            ),
        )
    elif (
        member is not None
        and values.get("arm") is not None
        and members.arms[member.pk] != values["arm"]
    ):
        problem(
            "arm",
            _(
                "The group does not match the member's allocation in this wave; check "
                "which version of the questionnaire the member answered."
            ),
        )

    themes: dict[int, ThemeRow] = {}
    for theme_id in layout.theme_names:
        prefix = f"t{theme_id}_"
        items: dict[str, object] = {}
        activities: dict[int, bool] = {}
        marked = False
        for column, value in values.items():
            if not column.startswith(prefix):
                continue
            source = layout.variables[column].source
            if source == ANSWERED_MARK:
                marked = True
            elif ACTIVITY_ITEM.match(source):
                activities[int(source[1:])] = bool(value)
            else:
                items[source] = value
        for item, asked in (
            ("time_now", wave.asks_time_now),
            ("time_more", wave.asks_time_more),
            ("recalled_nudge", wave.manipulation_check),
        ):
            if items.get(item) is not None and not asked:
                problem(prefix + item, _("This wave does not ask this question: empty the cell."))
        if items or activities or marked:
            themes[theme_id] = ThemeRow(items=items, activities=activities)

    if member is None or problems:
        return None
    return OfflineResponse(
        row=number,
        member_id=member.pk,
        mode=mode,
        status=status,
        language=values.get("language") or member.preferred_language,
        started_at=started_at,
        submitted_at=submitted_at,
        profile={name: values.get(name) for name in PROFILE_FIELDS},
        themes=themes,
        arm=values.get("arm") if members.given_groups is not None else None,
    )


def _check_given_group(
    layout: Layout,
    members: _Members,
    member: PanelMember | None,
    raw: dict[str, str],
    values: dict[str, object],
    problem: Callable[[str, str], None],
) -> None:
    """Check the group a file gives for a wave randomised elsewhere, and report why not."""
    codes = _code_list(layout.variables["arm"])
    group = values.get("arm")
    if not raw.get("arm", "").strip():
        problem(
            "arm",
            _(
                "The group is missing: this wave was randomised elsewhere, so each row gives "
                "the member's group in the arm column (%(codes)s)."
            )
            % {"codes": codes},
        )
    elif group is None:
        return  # not a code at all: the cell's own problem says so
    elif group not in members.given_groups:
        problem(
            "arm",
            _("The group is not one of this wave's groups (%(codes)s).") % {"codes": codes},
        )
    elif member is not None and members.arms.get(member.pk, group) != group:
        problem(
            "arm",
            _(
                "The group differs from the one imported for this member before; a "
                "member's group never changes once recorded."
            ),
        )


# --- Comparing with what is stored ----------------------------------------------------------

# The questions of a theme page, as the online save path stores them.
ITEM_FIELDS = tuple(name for name in THEME_ANSWER_FIELDS if name != "saved_at")


def _canonical_profile(profile: dict[str, object]) -> dict[str, object]:
    return {
        name: (profile.get(name) or None) if name != "birth_year" else profile.get(name)
        for name in PROFILE_FIELDS
    }


def _canonical_themes(themes: dict[int, ThemeRow]) -> dict[int, tuple]:
    return {
        theme_id: (
            tuple(theme.items.get(name) or None for name in ITEM_FIELDS),
            tuple(sorted(theme.activities.items())),
        )
        for theme_id, theme in themes.items()
    }


def _stored_offline_answers(response_ids: list[int]) -> dict[int, dict]:
    """Return the stored content of imported responses, in the shape `_same` compares."""
    stored: dict[int, dict] = {}
    if not response_ids:
        return stored
    for row in Response.objects.filter(pk__in=response_ids).values(
        "pk", "mode", "status", "language", "started_at", "submitted_at", *PROFILE_FIELDS
    ):
        stored[row["pk"]] = {**row, "themes": {}}
    activities: dict[int, dict[int, bool]] = {}
    for theme_answer_id, activity_id, done in ActivityAnswer.objects.filter(
        theme_answer__response_id__in=response_ids, done__isnull=False
    ).values_list("theme_answer_id", "activity_id", "done"):
        activities.setdefault(theme_answer_id, {})[activity_id] = done
    for answer in ThemeAnswer.objects.filter(response_id__in=response_ids).values(
        "pk", "response_id", "theme_id", *ITEM_FIELDS
    ):
        stored[answer["response_id"]]["themes"][answer["theme_id"]] = ThemeRow(
            items={name: answer[name] for name in ITEM_FIELDS},
            activities=activities.get(answer["pk"], {}),
        )
    return stored


def _same(row: OfflineResponse, stored: dict | None) -> bool:
    """Return whether importing the row would leave the stored response as it is."""
    if stored is None:
        return False
    return (
        row.mode == stored["mode"]
        and row.status == stored["status"]
        and row.language == stored["language"]
        and row.started_at in (None, stored["started_at"])
        and row.submitted_at in (None, stored["submitted_at"])
        and _canonical_profile(row.profile) == _canonical_profile(stored)
        and _canonical_themes(row.themes) == _canonical_themes(stored["themes"])
    )


# --- Importing ------------------------------------------------------------------------------


def import_response_file(wave: Wave, *, content: bytes, filename: str) -> ResponseImportResult:
    """Store the responses of a file with no problems, all or nothing.

    The file is checked again inside the transaction, under a lock on the wave, so two
    imports of the same file run one after the other and the second finds the first's
    responses; a member who starts online meanwhile is stopped by the unique constraint
    on (wave, member), which rolls the whole import back.
    """
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        report = check_response_file(wave, content=content, filename=filename)
        if not report.ok:
            raise ResponseFileError(report)
        result = _store(wave, report)
        if wave.status == WaveStatus.CLOSED and (result.created or result.updated):
            # The results of a closed wave must include the answers just added.
            enqueue(
                ANALYSE_CLOSED_WAVE, wave_id=wave.pk, requested_after=timezone.now().isoformat()
            )
    return result


def _store(wave: Wave, report: ResponseFileReport) -> ResponseImportResult:
    now = timezone.now()
    member_ids = [row.member_id for row in report.rows]
    existing = dict(
        Response.objects.filter(wave=wave, member_id__in=member_ids).values_list("member_id", "pk")
    )
    stored = _stored_offline_answers(list(existing.values()))
    created = updated = unchanged = 0
    to_write: list[tuple[OfflineResponse, Response]] = []
    for row in report.rows:
        response_id = existing.get(row.member_id)
        if response_id is not None and _same(row, stored.get(response_id)):
            unchanged += 1
            continue
        submitted_at = row.submitted_at
        if row.status == ResponseStatus.COMPLETE and submitted_at is None:
            kept = stored.get(response_id, {}).get("submitted_at") if response_id else None
            submitted_at = kept or now
        fields = {
            "mode": row.mode,
            "status": row.status,
            "language": row.language,
            "submitted_at": submitted_at,
            **{
                name: row.profile.get(name) or "" for name in PROFILE_FIELDS if name != "birth_year"
            },
            "birth_year": row.profile.get("birth_year"),
        }
        if response_id is None:
            response = Response.objects.create(wave=wave, member_id=row.member_id, **fields)
            created += 1
        else:
            Response.objects.filter(pk=response_id).update(updated_at=now, **fields)
            ThemeAnswer.objects.filter(response_id=response_id).delete()
            response = Response(pk=response_id)
            updated += 1
        started_at = row.started_at or submitted_at or now
        Response.objects.filter(pk=response.pk).update(
            started_at=started_at, consented_at=started_at, about_saved_at=started_at
        )
        to_write.append((row, response))

    pairs = [
        (row.themes[theme_id], response, theme_id)
        for row, response in to_write
        for theme_id in row.themes
    ]
    theme_answers = ThemeAnswer.objects.bulk_create(
        [
            ThemeAnswer(
                response_id=response.pk,
                theme_id=theme_id,
                **{name: theme.items.get(name) for name in ITEM_FIELDS if name != "recalled_nudge"},
                recalled_nudge=theme.items.get("recalled_nudge") or "",
            )
            for theme, response, theme_id in pairs
        ],
        batch_size=2000,
    )
    ActivityAnswer.objects.bulk_create(
        [
            ActivityAnswer(theme_answer=answer, activity_id=activity_id, done=done)
            for (theme, _response, _theme_id), answer in zip(pairs, theme_answers, strict=True)
            for activity_id, done in theme.activities.items()
        ],
        batch_size=2000,
    )
    if any(row.arm for row in report.rows):
        _record_given_groups(wave, report.rows)
    else:
        _record_printed_exposures(wave, [response for _row, response in to_write])
    return ResponseImportResult(created=created, updated=updated, unchanged=unchanged)


def _record_given_groups(wave: Wave, rows: list[OfflineResponse]) -> None:
    """Record the group each row gives as its member's allocation, for those without one.

    Runs under the import's lock on the wave; the unique constraint on (wave, member)
    stops anything else from allocating the same member meanwhile.
    """
    from experiments.models import AllocationScheme

    allocated = set(
        Assignment.objects.filter(
            wave=wave, member_id__in=[row.member_id for row in rows]
        ).values_list("member_id", flat=True)
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                wave=wave,
                member_id=row.member_id,
                arm=row.arm,
                scheme=AllocationScheme.EXTERNAL,
                design_hash=wave.design_hash,
            )
            for row in rows
            if row.member_id not in allocated
        ],
        batch_size=2000,
    )


def _record_printed_exposures(wave: Wave, responses: list[Response]) -> None:
    """Record the nudges printed on each member's latest copy, once per response."""
    from experiments.paper import printed_nudge_texts

    ids = [response.pk for response in responses]
    exposed = set(
        Exposure.objects.filter(response_id__in=ids).values_list("response_id", flat=True)
    )
    members = dict(
        Response.objects.filter(pk__in=set(ids) - exposed).values_list("member_id", "pk")
    )
    printed = printed_nudge_texts(wave, list(members))
    Exposure.objects.bulk_create(
        [
            Exposure(response_id=members[member_id], nudge_text_id=text_id)
            for member_id, text_ids in printed.items()
            for text_id in text_ids
        ],
        batch_size=2000,
    )
