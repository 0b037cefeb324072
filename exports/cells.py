"""Export cells: how one stored value becomes a cell of a CSV, Stata or SPSS file.

A converter is chosen once per column, because an export converts millions of cells.
"""

from collections.abc import Callable
from datetime import UTC

from exports.codebook import CODED, DATETIME, FLOAT, STRING, Variable
from surveyplatform.domain import InvalidInput
from surveyplatform.text import guard_formula

CHUNK_SIZE = 2000


class ExportError(InvalidInput):
    """A request for an export that cannot be made, with a message for the person asking."""


def guard_text(value: str) -> str:
    """Neutralise a text cell that a spreadsheet would run as a formula, even after spaces."""
    return guard_formula(value) if value else value


def cell_converter(variable: Variable) -> Callable[[object], object]:
    """Return the function giving a column's exported cell: a code, a number, a UTC time or
    guarded text. Chosen once per column, because an export converts millions of cells."""
    kind, codes = variable.kind, variable.text_codes
    if kind == STRING:
        return lambda value: None if value is None else guard_text(str(value))
    if kind == DATETIME:
        return lambda value: (
            None if value is None or value == "" else value.astimezone(UTC).replace(tzinfo=None)
        )
    if kind == CODED and codes:

        def coded(value):
            if value is None or value == "":
                return None
            try:
                return codes[value]
            except KeyError:
                raise ExportError(
                    f"The variable {variable.name} holds {value!r}, which is not one of its "
                    f"codes ({', '.join(codes)}); correct the stored answer and export again."
                ) from None

        return coded
    if kind == CODED:
        return lambda value: None if value is None or value == "" else int(value)
    return lambda value: None if value is None or value == "" else value


def cell_value(variable: Variable, value):
    """Return the exported value of one cell (see `cell_converter`)."""
    return cell_converter(variable)(value)


def csv_converter(variable: Variable) -> Callable[[object], str]:
    """Return the function giving a column's CSV text (empty for a missing value)."""
    convert = cell_converter(variable)
    if variable.kind == DATETIME:
        return lambda value: (
            ""
            if value is None or value == ""
            else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    if variable.kind == FLOAT:

        def number(value):
            value = convert(value)
            return "" if value is None else repr(float(value))

        return number

    def text(value):
        value = convert(value)
        return "" if value is None else str(value)

    return text
