"""Read the rows of an export from the database, streamed.

The rows are read with one COPY of a query that joins the answers and formats the times,
every table and column name taken from the models, and their cells are converted per
response and per distinct activity pattern rather than one by one. There is no other
reading path: every environment runs on Postgres.
"""

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from analysis import indices
from analysis.plan import AnalysisPlan
from experiments.models import (
    ActivityAnswer,
    Assignment,
    Response,
    ThemeAnswer,
    Wave,
)
from exports import pseudonyms
from exports.cells import (
    CHUNK_SIZE,
    ExportError,
    cell_converter,
    csv_converter,
)
from exports.codebook import (
    CODED,
    DATETIME,
    FLOAT,
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


def derived_values(theme: ThemeInfo, answers: ThemeAnswers, plan: AnalysisPlan) -> dict:
    """Return the derived cells of one response × theme, by the analysis's own definitions.

    The counts are over the theme's activities as the instrument now has them; the indices
    follow the wave's analysis plan (`analysis.indices`), as its results do.
    """
    answered = [answers.activities.get(a) for a, _en, _cy in theme.activities]
    total = len(theme.activities)
    n_answered = sum(done is not None for done in answered)
    n_yes = sum(done is True for done in answered)
    score = indices.frequency_score(answers.items.get("collective"))
    return {
        "activities_total": total,
        "activities_answered": n_answered,
        "activities_yes": n_yes,
        "individual_index": _number(indices.individual_share(n_yes, n_answered, total, plan=plan)),
        "collective_any": _code(indices.joins_groups(score)),
        "gives_time": _code(indices.gives_time(answers.items.get("time_now"), plan=plan)),
    }


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _code(value) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def wave_plans(wave_ids: list[int]) -> dict[int, AnalysisPlan]:
    """Return each wave's analysis plan, the one its results and derived cells follow."""
    return {
        wave_id: AnalysisPlan.from_dict(plan)
        for wave_id, plan in Wave.objects.filter(pk__in=wave_ids).values_list("pk", "analysis_plan")
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


# Each row of `_tidy_query` opens with the response, council, member and wave ids.
FIXED_COLUMNS = 4


def _tidy_query(
    response_variables: list[Variable],
    item_variables: list[Variable],
    scope: Scope,
    wave_ids: list[int],
    *,
    times_as_text: bool,
    every_response: bool = False,
):
    """Return the SQL, parameters and COPY types of the rows of each response × theme answered.

    Columns: response id, council id, member id, wave id, the response variables (times
    in UTC, as text or naive), theme id, the theme items, then the theme's activity
    answers as `activity:done` text. Only answers to a theme of the scope's instrument for
    their wave are read: a theme taken out of a wave after members answered it is not part
    of the wave's data. With `every_response`, a response without such answers has one
    row whose theme is null.
    """
    quote = connection.ops.quote_name

    def col(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    def tbl(model) -> str:
        return quote(model._meta.db_table)

    sources = {
        "council": f"w.{col(Wave, 'council')}",
        "wave": f"r.{col(Response, 'wave')}",
        "arm": f"s.{col(Assignment, 'arm')}",
    }
    time = SQL_UTC_TEXT if times_as_text else SQL_UTC_NAIVE
    columns = [
        f"r.{col(Response, 'id')}",
        sources["council"],
        f"r.{col(Response, 'member')}",
        sources["wave"],
    ]
    for variable in response_variables:
        source = sources.get(variable.name) or f"r.{col(Response, variable.name)}"
        columns.append(time.format(source) if variable.kind == DATETIME else source)
    columns.append(f"t.{col(ThemeAnswer, 'theme')}")
    columns += [f"t.{col(ThemeAnswer, variable.name)}" for variable in item_variables]
    activity, done = col(ActivityAnswer, "activity"), col(ActivityAnswer, "done")
    columns.append(
        f"(SELECT string_agg(aa.{activity}::text || ':' || coalesce(aa.{done}::int::text, ''),"
        f" ',' ORDER BY aa.{activity}) FROM {tbl(ActivityAnswer)} aa"
        f" WHERE aa.{col(ActivityAnswer, 'theme_answer')} = t.{col(ThemeAnswer, 'id')})"
    )
    types = ["int8"] * FIXED_COLUMNS
    types += [_copy_type(v, times_as_text=times_as_text) for v in response_variables]
    types += ["int8", *(_copy_type(v, times_as_text=True) for v in item_variables), "text"]
    r_wave, r_member = col(Response, "wave"), col(Response, "member")
    sql = (
        f"SELECT {', '.join(columns)}"
        f" FROM {tbl(Response)} r"
        f" JOIN {tbl(Wave)} w ON w.{col(Wave, 'id')} = r.{r_wave}"
        f" LEFT JOIN {tbl(Assignment)} s"
        f" ON s.{col(Assignment, 'wave')} = r.{r_wave}"
        f" AND s.{col(Assignment, 'member')} = r.{r_member}"
        f" {'LEFT JOIN' if every_response else 'JOIN'} {tbl(ThemeAnswer)} t"
        f" ON t.{col(ThemeAnswer, 'response')} = r.{col(Response, 'id')}"
        f" AND (r.{r_wave}, t.{col(ThemeAnswer, 'theme')}) IN"
        f" (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))"
        f" WHERE r.{r_wave} = ANY(%s::bigint[])"
        f" ORDER BY r.{col(Response, 'id')}, t.{col(ThemeAnswer, 'theme')}"
    )
    pairs = [(wave, theme) for theme, waves in scope.wave_themes.items() for wave in waves]
    asked_waves = [wave for wave, _theme in pairs]
    asked_themes = [theme for _wave, theme in pairs]
    return sql, [asked_waves, asked_themes, list(wave_ids)], types


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
    pattern, with `derived_values`.
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

    plans = wave_plans(wave_ids)

    def theme_tail(key) -> list:
        """Return the activity and derived cells of one theme's answers in a wave."""
        wave_id, theme_id, activities, collective, time_now = key
        theme = themes[theme_id]
        answers = _theme_answers(theme_id, activities, collective, time_now)
        plan = plans[wave_id]
        values = {
            f"act{position}": _done_code(answers.activities.get(activity_id))
            for position, (activity_id, _en, _cy) in enumerate(theme.activities, start=1)
        }
        values.update(derived_values(theme, answers, plan))
        return [convert(values.get(name)) for name, convert in tail]

    tails = _Memo(theme_tail)
    pseudonymise = Pseudonymiser()
    sql, params, types = _tidy_query(
        variables[1:theme_at],
        variables[theme_at + 1 : tail_at],
        scope,
        wave_ids,
        times_as_text=times_as_text,
    )
    # Row layout: the fixed ids, the response's cells after the pseudonym, then the cells
    # from `theme` on.
    theme_in_row = FIXED_COLUMNS - 1 + theme_at
    activities_in_row, collective_in_row, time_now_in_row = _row_positions(theme_in_row, item_names)
    current = None
    head: list = []
    chunk = []
    with _copied_rows(sql, params, types) as rows:
        for row in rows:
            if row[0] != current:
                current = row[0]
                head = [pseudonymise(row[1], row[2]), *row[FIXED_COLUMNS:theme_in_row]]
                for i, step in head_steps:
                    head[i] = step(head[i])
            cells = list(row[theme_in_row:activities_in_row])
            for i, step in theme_steps:
                cells[i] = step(cells[i])
            key = (
                row[3],
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
    """Yield the wide rows in chunks of CSV cells, one row per response.

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
            """Return the activity and derived cells of one theme's answers in a wave."""
            wave_id, *answered = key
            answers = _theme_answers(theme.id, *answered)
            plan = plans[wave_id]
            values = {
                f"a{activity_id}": _done_code(answers.activities.get(activity_id))
                for activity_id, _en, _cy in theme.activities
            }
            values.update(derived_values(theme, answers, plan))
            return [convert(values.get(source)) for source, convert in tail]

        blocks[theme.id] = (start, item_steps, _Memo(theme_tail))
        start += size
    if start != len(names):
        raise ExportError("The wide columns are not in the order the export reads them.")

    plans = wave_plans(wave_ids)
    pseudonymise = Pseudonymiser()
    items_at = head_size + 1
    sql, params, types = _tidy_query(
        tidy[1:head_size],
        tidy[items_at : items_at + len(item_names)],
        scope,
        wave_ids,
        times_as_text=True,
        every_response=True,
    )
    # Row layout: the fixed ids, the response's cells after the pseudonym, theme, items.
    theme_in_row = FIXED_COLUMNS - 1 + head_size
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
                record = [pseudonymise(row[1], row[2]), *row[FIXED_COLUMNS:theme_in_row], *blank]
                for i, step in head_steps:
                    record[i] = step(record[i])
            if row[theme_in_row] is None:
                continue  # a response without answers: its theme columns stay empty
            first, item_steps, tails = blocks[row[theme_in_row]]
            cells = list(row[theme_in_row + 1 : activities_in_row])
            for i, step in item_steps:
                cells[i] = step(cells[i])
            cells += tails[
                (row[3], row[activities_in_row], row[collective_in_row], row[time_now_in_row])
            ]
            record[first : first + len(cells)] = cells
        if current is not None:
            chunk.append(record)
        if chunk:
            yield chunk


def wide_csv_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the wide file's rows of CSV cells in chunks: one row per response."""
    converters = [csv_converter(variable) for variable in variables]
    return _wide_chunks(scope, wave_ids, variables, converters)


def tidy_csv_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the tidy file's rows of CSV cells in chunks: one row per response × theme."""
    converters = [csv_converter(variable) for variable in variables]
    return _tidy_chunks(scope, wave_ids, variables, converters, times_as_text=True)


def tidy_labelled_rows(scope: Scope, wave_ids: list[int], variables: list[Variable]) -> Iterator:
    """Yield the tidy rows of exported cells for Stata and SPSS, one by one."""
    converters = [cell_converter(variable) for variable in variables]
    for chunk in _tidy_chunks(scope, wave_ids, variables, converters, times_as_text=False):
        yield from chunk
