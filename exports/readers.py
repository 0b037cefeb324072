"""Read the rows of an export from the database, streamed.

On Postgres the rows are read with one COPY of a query that joins the answers and
formats the times, their cells converted per response and per distinct activity pattern
rather than one by one. Other databases read three server-side cursors merged response
by response, into records.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from experiments.models import (
    ActivityAnswer,
    Assignment,
    Response,
    ThemeAnswer,
    TimeGiven,
    Wave,
)
from exports import pseudonyms
from exports.cells import (
    CHUNK_SIZE,
    ExportError,
    cell_converter,
    csv_converter,
    csv_rows,
    labelled_rows,
)
from exports.codebook import (
    CODED,
    DATETIME,
    FLOAT,
    RESPONSE_FIELDS,
    STRING,
    Scope,
    ThemeInfo,
    Variable,
    theme_item_fields,
    tidy_variables,
)


@dataclass
class ThemeAnswers:
    theme_id: int
    items: dict[str, int | None]
    activities: dict[int, bool | None]


@dataclass
class ResponseAnswers:
    council_id: int
    wave_id: int
    member_id: int
    arm: str | None
    fields: dict[str, object]
    themes: list[ThemeAnswers]


def _merge_by(
    rows: Iterator[tuple], key: Callable[[tuple], object]
) -> Callable[[object], list[tuple]]:
    """Return a function taking ascending keys and giving the rows with that key."""
    pending: list[tuple | None] = [next(rows, None)]

    def take(wanted) -> list[tuple]:
        found = []
        while pending[0] is not None and key(pending[0]) <= wanted:
            if key(pending[0]) == wanted:
                found.append(pending[0])
            pending[0] = next(rows, None)
        return found

    return take


def iter_responses(wave_ids: list[int]) -> Iterator[ResponseAnswers]:
    """Yield every response of the waves with its answers, in response order.

    Three server-side cursors (responses, theme answers, activity answers), all ordered
    by response, are merged, so memory holds one chunk of each and not the wave.
    """
    items = [f.name for f in theme_item_fields()]
    arm = Assignment.objects.filter(wave_id=OuterRef("wave_id"), member_id=OuterRef("member_id"))
    responses = (
        Response.objects.filter(wave_id__in=wave_ids)
        .annotate(assigned_arm=Subquery(arm.values("arm")[:1]))
        .order_by("pk")
        .values_list(
            "pk", "wave__council_id", "wave_id", "member_id", "assigned_arm", *RESPONSE_FIELDS
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    theme_answers = _merge_by(
        ThemeAnswer.objects.filter(response__wave_id__in=wave_ids)
        .order_by("response_id", "theme_id")
        .values_list("response_id", "pk", "theme_id", *items)
        .iterator(chunk_size=CHUNK_SIZE),
        key=lambda row: (row[0],),
    )
    activity_answers = _merge_by(
        ActivityAnswer.objects.filter(theme_answer__response__wave_id__in=wave_ids)
        .order_by("theme_answer__response_id", "theme_answer__theme_id", "activity_id")
        .values_list("theme_answer__response_id", "theme_answer__theme_id", "activity_id", "done")
        .iterator(chunk_size=CHUNK_SIZE),
        key=lambda row: (row[0],),
    )
    for row in responses:
        response_id, council_id, wave_id, member_id, assigned_arm, *values = row
        by_theme: dict[int, dict[int, bool | None]] = {}
        for _rid, theme_id, activity_id, done in activity_answers((response_id,)):
            by_theme.setdefault(theme_id, {})[activity_id] = done
        themes = [
            ThemeAnswers(
                theme_id=answer[2],
                items=dict(zip(items, answer[3:], strict=True)),
                activities=by_theme.get(answer[2], {}),
            )
            for answer in theme_answers((response_id,))
        ]
        yield ResponseAnswers(
            council_id=council_id,
            wave_id=wave_id,
            member_id=member_id,
            arm=assigned_arm,
            fields=dict(zip(RESPONSE_FIELDS, values, strict=True)),
            themes=themes,
        )


def derived_values(theme: ThemeInfo, answers: ThemeAnswers) -> dict[str, object]:
    """Return the derived indices of one response × theme, as the codebook defines them."""
    answered = [answers.activities.get(a) for a, _en, _cy in theme.activities]
    total = len(theme.activities)
    n_answered = sum(done is not None for done in answered)
    n_yes = sum(done is True for done in answered)
    enough = n_answered > 0 and n_answered >= total / 2
    collective = answers.items.get("collective")
    time_now = answers.items.get("time_now")
    return {
        "activities_total": total,
        "activities_answered": n_answered,
        "activities_yes": n_yes,
        "individual_index": n_yes / n_answered if enough else None,
        "collective_any": None if collective is None else int(collective in (1, 2)),
        "gives_time": None if time_now is None else int(time_now >= TimeGiven.FEW_HOURS_MONTH),
    }


def _done_code(done: bool | None) -> int | None:
    return None if done is None else int(done)


class Pseudonymiser:
    """Pseudonymise members, deriving each council's key once per export."""

    def __init__(self):
        self.keys: dict[int, bytes] = {}

    def __call__(self, council_id: int, member_id: int) -> str:
        if council_id not in self.keys:
            self.keys[council_id] = pseudonyms.council_key(council_id)
        return pseudonyms.pseudonym(member_id, key=self.keys[council_id])


def _response_values(response: ResponseAnswers, pseudonymise: Pseudonymiser) -> dict:
    values = {
        "pseudonym": pseudonymise(response.council_id, response.member_id),
        "council": response.council_id,
        "wave": response.wave_id,
        "arm": response.arm,
    }
    values.update(response.fields)
    return values


def tidy_records(scope: Scope, wave_ids: list[int]) -> Iterator[dict]:
    """Yield one record per response × theme answered, keyed by source name."""
    themes = {theme.id: theme for theme in scope.themes}
    pseudonymise = Pseudonymiser()
    for response in iter_responses(wave_ids):
        base = _response_values(response, pseudonymise)
        for answers in response.themes:
            theme = themes[answers.theme_id]
            record = {**base, "theme": theme.id, **answers.items}
            for position, (activity_id, _en, _cy) in enumerate(theme.activities, start=1):
                record[f"act{position}"] = _done_code(answers.activities.get(activity_id))
            record.update(derived_values(theme, answers))
            yield record


def wide_records(scope: Scope, wave_ids: list[int]) -> Iterator[dict]:
    """Yield one record per response, keyed by column name (theme items prefixed)."""
    themes = {theme.id: theme for theme in scope.themes}
    pseudonymise = Pseudonymiser()
    for response in iter_responses(wave_ids):
        record = _response_values(response, pseudonymise)
        for answers in response.themes:
            theme = themes[answers.theme_id]
            prefix = f"t{theme.id}_"
            for name, value in answers.items.items():
                record[prefix + name] = value
            for activity_id, _en, _cy in theme.activities:
                record[f"{prefix}a{activity_id}"] = _done_code(answers.activities.get(activity_id))
            for name, value in derived_values(theme, answers).items():
                record[prefix + name] = value
        yield record


# --- Reading the tidy rows in one query --------------------------------------------------

# A timestamp as `csv_converter` writes it, formatted by Postgres instead of per cell in Python.
SQL_UTC_TEXT = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
# A timestamp as `cell_converter` gives it: naive, in UTC.
SQL_UTC_NAIVE = "({} AT TIME ZONE 'UTC')"
MEMO_LIMIT = 50_000


class _Memo(dict):
    """A cache computing each missing value once; cleared when full, so memory stays flat.

    The cells it holds (coded answers, a theme's activity pattern) take few distinct values,
    so the conversion runs a handful of times instead of once per cell.
    """

    def __init__(self, compute: Callable):
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        if len(self) >= MEMO_LIMIT:
            self.clear()
        value = self[key] = self.compute(key)
        return value


def _reads_in_sql() -> bool:
    """Return whether the database is Postgres, which the one-query readers need."""
    return connection.vendor == "postgresql"


def _parse_activities(text: str | None) -> dict[int, bool | None]:
    """Read the `activity:done` list of one theme answer built by `_tidy_query`."""
    done: dict[int, bool | None] = {}
    for part in text.split(",") if text else ():
        activity_id, _sep, code = part.partition(":")
        done[int(activity_id)] = None if code == "" else code == "1"
    return done


def _theme_answers(theme_id: int, activities: str | None, collective, time_now) -> ThemeAnswers:
    """The answers a theme's derived cells need, from one row of `_tidy_query`."""
    return ThemeAnswers(
        theme_id=theme_id,
        items={"collective": collective, "time_now": time_now},
        activities=_parse_activities(activities),
    )


def _row_positions(theme_in_row: int, item_names: list[str]) -> tuple[int, int, int]:
    """Where a `_tidy_query` row holds the activities, `collective` and `time_now`."""
    items_at = theme_in_row + 1
    return (
        items_at + len(item_names),
        items_at + item_names.index("collective"),
        items_at + item_names.index("time_now"),
    )


def _copy_type(variable: Variable, *, times_as_text: bool) -> str:
    """Return the type COPY's rows are read as, for a column Postgres gives raw."""
    if variable.kind == DATETIME:
        return "text" if times_as_text else "timestamp"
    if variable.kind == STRING or (variable.kind == CODED and variable.text_codes):
        return "text"
    return "float8" if variable.kind == FLOAT else "int8"


def _tidy_query(
    response_variables: list[Variable],
    item_variables: list[Variable],
    wave_ids: list[int],
    *,
    times_as_text: bool,
    every_response: bool = False,
):
    """Return the SQL, parameters and COPY types of the rows of each response × theme answered.

    Columns: response id, council id, member id, the response variables (times in UTC, as
    text or naive), theme id, the theme items, then the theme's activity answers as
    `activity:done` text. With `every_response`, a response without answers has one row
    whose theme is null.
    """
    quote = connection.ops.quote_name
    response = {field.name: field for field in Response._meta.concrete_fields}
    item = {field.name: field for field in ThemeAnswer._meta.concrete_fields}
    sources = {"council": "w.council_id", "wave": "r.wave_id", "arm": "s.arm"}
    time = SQL_UTC_TEXT if times_as_text else SQL_UTC_NAIVE
    columns = ["r.id", "w.council_id", "r.member_id"]
    for variable in response_variables:
        source = sources.get(variable.name) or f"r.{quote(response[variable.name].column)}"
        columns.append(time.format(source) if variable.kind == DATETIME else source)
    columns.append("t.theme_id")
    columns += [f"t.{quote(item[variable.name].column)}" for variable in item_variables]
    columns.append(
        "(SELECT string_agg(aa.activity_id::text || ':' || coalesce(aa.done::int::text, ''),"
        f" ',' ORDER BY aa.activity_id) FROM {ActivityAnswer._meta.db_table} aa"
        " WHERE aa.theme_answer_id = t.id)"
    )
    types = ["int8"] * 3
    types += [_copy_type(v, times_as_text=times_as_text) for v in response_variables]
    types += ["int8", *(_copy_type(v, times_as_text=True) for v in item_variables), "text"]
    sql = (
        f"SELECT {', '.join(columns)}"
        f" FROM {Response._meta.db_table} r"
        f" JOIN {Wave._meta.db_table} w ON w.id = r.wave_id"
        f" LEFT JOIN {Assignment._meta.db_table} s"
        " ON s.wave_id = r.wave_id AND s.member_id = r.member_id"
        f" {'LEFT JOIN' if every_response else 'JOIN'} {ThemeAnswer._meta.db_table} t"
        " ON t.response_id = r.id"
        " WHERE r.wave_id = ANY(%s::bigint[])"
        " ORDER BY r.id, t.theme_id"
    )
    return sql, [list(wave_ids)], types


@contextlib.contextmanager
def _copied_rows(sql: str, params: list, types: list[str]) -> Iterator[Iterator[tuple]]:
    """Give the rows of a query streamed with COPY, each column read as its type.

    A context manager, so that leaving early (an error, an abandoned export) ends the
    COPY and the transaction at once rather than whenever the iterator is collected.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # The plan's estimated cost calls for JIT compilation, which takes longer than
        # running these queries does.
        cursor.execute("SET LOCAL jit = off")
        # COPY streams the rows while they are converted (a cursor's fetches would leave
        # the server idle between them); memory holds what the socket buffers.
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
            copy.set_types(types)
            yield copy.rows()


def _python_step(variable: Variable, convert: Callable) -> Callable | None:
    """Return how Python finishes a cell that Postgres gives raw, or None if it is final.

    Numbers, codes and times are final as read (the CSV writer writes None as nothing);
    text is guarded; text choices become codes through a cache, having few distinct values.
    """
    if variable.kind == STRING:
        return convert
    if variable.kind == CODED and variable.text_codes:
        return _Memo(convert).__getitem__
    return None


def _tidy_chunks(
    scope: Scope,
    wave_ids: list[int],
    variables: list[Variable],
    converters: list[Callable],
    *,
    times_as_text: bool,
) -> Iterator[list[list]]:
    """Yield the tidy rows in chunks, each cell as `converters` give it (Postgres only).

    Postgres joins the answers and formats the times; Python converts each response's
    cells once for all its themes, and each theme's activity pattern once per distinct
    pattern, with the same functions as `tidy_records`.
    """
    names = [variable.name for variable in variables]
    item_names = [field.name for field in theme_item_fields()]
    theme_at = names.index("theme")  # the response's columns come before it
    tail_at = theme_at + 1 + len(item_names)
    if names[0] != "pseudonym" or names[theme_at:tail_at] != ["theme", *item_names]:
        raise ExportError("The tidy columns are not in the order the export reads them.")
    steps = [(i, _python_step(variables[i], converters[i])) for i in range(len(variables))]
    head_steps = [(i, step) for i, step in steps[1:theme_at] if step]
    theme_steps = [(i - theme_at, step) for i, step in steps[theme_at:tail_at] if step]
    tail = list(zip(names[tail_at:], converters[tail_at:], strict=True))
    themes = {theme.id: theme for theme in scope.themes}

    def theme_tail(key) -> list:
        """Return the activity and derived cells of one theme's answers (as tidy_records)."""
        theme_id, activities, collective, time_now = key
        theme = themes[theme_id]
        answers = _theme_answers(theme_id, activities, collective, time_now)
        values = {
            f"act{position}": _done_code(answers.activities.get(activity_id))
            for position, (activity_id, _en, _cy) in enumerate(theme.activities, start=1)
        }
        values.update(derived_values(theme, answers))
        return [convert(values.get(name)) for name, convert in tail]

    tails = _Memo(theme_tail)
    pseudonymise = Pseudonymiser()
    sql, params, types = _tidy_query(
        variables[1:theme_at],
        variables[theme_at + 1 : tail_at],
        wave_ids,
        times_as_text=times_as_text,
    )
    # Row layout: response id, council id, member id, then the cells from `theme` on.
    theme_in_row = 2 + theme_at
    activities_in_row, collective_in_row, time_now_in_row = _row_positions(theme_in_row, item_names)
    current = None
    head: list = []
    chunk = []
    with _copied_rows(sql, params, types) as rows:
        for row in rows:
            if row[0] != current:
                current = row[0]
                head = [pseudonymise(row[1], row[2]), *row[3:theme_in_row]]
                for i, step in head_steps:
                    head[i] = step(head[i])
            cells = list(row[theme_in_row:activities_in_row])
            for i, step in theme_steps:
                cells[i] = step(cells[i])
            key = (
                row[theme_in_row],
                row[activities_in_row],
                row[collective_in_row],
                row[time_now_in_row],
            )
            chunk.append(head + cells + tails[key])
            if len(chunk) == CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _wide_chunks(
    scope: Scope, wave_ids: list[int], variables: list[Variable], converters: list[Callable]
) -> Iterator[list[list]]:
    """Yield the wide rows in chunks of CSV cells, as `csv_rows` of `wide_records` (Postgres).

    The rows of `_tidy_query` with every response, each theme answer's cells put in its
    theme's columns; the activity and derived cells are computed once per pattern.
    """
    names = [variable.name for variable in variables]
    item_names = [field.name for field in theme_item_fields()]
    tidy = tidy_variables(scope)
    head_size = [variable.name for variable in tidy].index("theme")
    derived = [variable.name for variable in tidy if variable.derivation]
    if names[:head_size] != [variable.name for variable in tidy[:head_size]]:
        raise ExportError("The wide columns are not in the order the export reads them.")
    head_steps = [
        (i, step)
        for i in range(1, head_size)
        if (step := _python_step(variables[i], converters[i]))
    ]
    blocks = {}  # theme id → (first column, item steps, cache of the activity and derived cells)
    start = head_size
    for theme in scope.themes:
        prefix = f"t{theme.id}_"
        size = len(item_names) + len(theme.activities) + len(derived)
        expected = [prefix + name for name in item_names]
        expected += [f"{prefix}a{activity_id}" for activity_id, _en, _cy in theme.activities]
        expected += [prefix + name for name in derived]
        if names[start : start + size] != expected:
            raise ExportError("The wide columns are not in the order the export reads them.")
        item_steps = [
            (i, step)
            for i in range(len(item_names))
            if (step := _python_step(variables[start + i], converters[start + i]))
        ]
        tail = [
            (variables[i].source, converters[i])
            for i in range(start + len(item_names), start + size)
        ]

        def theme_tail(key, theme=theme, tail=tail) -> list:
            """Return the activity and derived cells of one theme's answers (as wide_records)."""
            answers = _theme_answers(theme.id, *key)
            values = {
                f"a{activity_id}": _done_code(answers.activities.get(activity_id))
                for activity_id, _en, _cy in theme.activities
            }
            values.update(derived_values(theme, answers))
            return [convert(values.get(source)) for source, convert in tail]

        blocks[theme.id] = (start, item_steps, _Memo(theme_tail))
        start += size
    if start != len(names):
        raise ExportError("The wide columns are not in the order the export reads them.")

    pseudonymise = Pseudonymiser()
    items_at = head_size + 1
    sql, params, types = _tidy_query(
        tidy[1:head_size],
        tidy[items_at : items_at + len(item_names)],
        wave_ids,
        times_as_text=True,
        every_response=True,
    )
    # Row layout: response id, council id, member id, the response's cells, theme, items.
    theme_in_row = 2 + head_size
    activities_in_row, collective_in_row, time_now_in_row = _row_positions(theme_in_row, item_names)
    blank = [None] * (len(names) - head_size)
    current = None
    record: list = []
    chunk = []
    with _copied_rows(sql, params, types) as rows:
        for row in rows:
            if row[0] != current:
                if current is not None:
                    chunk.append(record)
                    if len(chunk) == CHUNK_SIZE:
                        yield chunk
                        chunk = []
                current = row[0]
                record = [pseudonymise(row[1], row[2]), *row[3:theme_in_row], *blank]
                for i, step in head_steps:
                    record[i] = step(record[i])
            if row[theme_in_row] is None:
                continue  # a response without answers: its theme columns stay empty
            first, item_steps, tails = blocks[row[theme_in_row]]
            cells = list(row[theme_in_row + 1 : activities_in_row])
            for i, step in item_steps:
                cells[i] = step(cells[i])
            cells += tails[(row[activities_in_row], row[collective_in_row], row[time_now_in_row])]
            record[first : first + len(cells)] = cells
        if current is not None:
            chunk.append(record)
        if chunk:
            yield chunk


def wide_csv_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the wide file's rows of CSV cells in chunks, as `csv_rows` of `wide_records`."""
    if not _reads_in_sql():
        return csv_rows(wide_records(scope, wave_ids), variables)
    converters = [csv_converter(variable) for variable in variables]
    return _wide_chunks(scope, wave_ids, variables, converters)


def tidy_csv_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the tidy file's rows of CSV cells in chunks, as `csv_rows` of `tidy_records`.

    Read in one query on Postgres; other databases (the SQLite of `make run`) take the
    record by record path.
    """
    if not _reads_in_sql():
        return csv_rows(tidy_records(scope, wave_ids), variables)
    converters = [csv_converter(variable) for variable in variables]
    return _tidy_chunks(scope, wave_ids, variables, converters, times_as_text=True)


def tidy_labelled_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the tidy rows of exported cells for Stata and SPSS, as `labelled_rows` does."""
    if not _reads_in_sql():
        yield from labelled_rows(tidy_records(scope, wave_ids), variables)
        return
    converters = [cell_converter(variable) for variable in variables]
    for chunk in _tidy_chunks(scope, wave_ids, variables, converters, times_as_text=False):
        yield from chunk
