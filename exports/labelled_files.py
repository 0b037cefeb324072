"""Stata (.dta) and SPSS (.sav) files written row by row, with variable and value labels.

pyreadstat writes these formats from one whole DataFrame, so the file of a large wave
needed the whole wave in memory at once. These writers take rows from an iterator
instead. Both formats declare each string's width and each variable's storage type in
the header, before the data, so a first pass spools the rows to an anonymous temporary
file in chunks while measuring them, and a second pass writes the file from the spool.
Memory holds one chunk of rows, however many rows there are.

Only what the exports need is written: numbers, times and UTF-8 strings, variable
labels, integer value labels, SPSS measure levels, and codes that stand for an answer
missing for a known reason (declared missing in SPSS, Stata's extended missing values
.a, .b, … in Stata, each with its label). The layouts follow the published descriptions of Stata's
format 118 (Stata 14 and later) and of the SPSS system file (uncompressed, UTF-8); the
tests read the files back with pyreadstat and pandas.
"""

import pickle
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

INTEGER, FLOAT, STRING, DATETIME = "integer", "float", "string", "datetime"
NOMINAL, ORDINAL, SCALE = "nominal", "ordinal", "scale"
SPOOL_CHUNK = 2000
# SPSS declares at most three discrete missing values per variable.
MAX_MISSING_CODES = 3


class LabelledFileError(ValueError):
    """Data that the file format cannot hold, with a message for the person exporting."""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # INTEGER, FLOAT, STRING or DATETIME
    value_labels: dict[int, str] = field(default_factory=dict)
    measure: str = ""  # NOMINAL, ORDINAL or SCALE, for SPSS; empty leaves it unknown
    # Codes that stand for an answer missing for a known reason, each with the letter of
    # the Stata extended missing value written in its place (.a to .z). SPSS keeps the
    # code and declares it missing. Their labels are in `value_labels`.
    missing: dict[int, str] = field(default_factory=dict)


def _check_columns(columns: list[Column]) -> None:
    """Refuse what neither format can hold, before anything is written."""
    for column in columns:
        if column.measure not in ("", NOMINAL, ORDINAL, SCALE):
            raise LabelledFileError(f"The variable {column.name} has no measure {column.measure}.")
        if not column.missing:
            continue
        if column.kind not in (INTEGER, FLOAT):
            raise LabelledFileError(f"The variable {column.name} cannot declare missing codes.")
        if len(column.missing) > MAX_MISSING_CODES:
            raise LabelledFileError(
                f"The variable {column.name} declares more than {MAX_MISSING_CODES} missing "
                "codes, which SPSS does not take."
            )
        letters = list(column.missing.values())
        if len(set(letters)) != len(letters) or not all(
            len(letter) == 1 and "a" <= letter <= "z" for letter in letters
        ):
            raise LabelledFileError(
                f"The variable {column.name} needs one distinct letter a to z per missing code."
            )


def _missing_number(letter: str) -> int:
    """Return 1 for .a, 2 for .b, …: the offset of an extended missing value from `.`."""
    return ord(letter) - ord("a") + 1


class _Spool:
    """The rows pickled in chunks to a temporary file, with the sizes the headers need."""

    def __init__(self, columns: list[Column], rows: Iterable[tuple], file: BinaryIO):
        self.file = file
        self.count = 0
        self.widths = [0] * len(columns)  # UTF-8 bytes of the longest string
        self.low: list[int | None] = [None] * len(columns)
        self.high: list[int | None] = [None] * len(columns)
        self._strings = [i for i, column in enumerate(columns) if column.kind == STRING]
        self._integers = [i for i, column in enumerate(columns) if column.kind == INTEGER]
        chunk = []
        for row in rows:
            chunk.append(tuple(row))
            if len(chunk) == SPOOL_CHUNK:
                self._dump(chunk)
                chunk = []
        if chunk:
            self._dump(chunk)

    def _dump(self, chunk: list[tuple]) -> None:
        """Measure a chunk column by column, then append it to the spool."""
        for i in self._strings:
            lengths = [len(value.encode("utf-8")) for value in _present(chunk, i)]
            self.widths[i] = max([self.widths[i], *lengths])
        for i in self._integers:
            values = _present(chunk, i)
            if values:
                low, high = min(values), max(values)
                self.low[i] = low if self.low[i] is None else min(self.low[i], low)
                self.high[i] = high if self.high[i] is None else max(self.high[i], high)
        pickle.dump(chunk, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(chunk)

    def __iter__(self) -> Iterator[tuple]:
        self.file.seek(0)
        while True:
            try:
                chunk = pickle.load(self.file)
            except EOFError:
                return
            yield from chunk


def _present(chunk: list[tuple], index: int) -> list:
    return [row[index] for row in chunk if row[index] is not None]


def _truncate(text: str, limit: int) -> bytes:
    """Return the text in UTF-8, cut to at most `limit` bytes without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return data
    return data[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def _shortened(text: str, *, characters: int, size: int) -> bytes:
    """Return a label in UTF-8 within both limits, cut after a word and marked with "…".

    Labels are questions: a cut in mid-word reads as a different question, so a long one
    ends at the last whole word that fits (the codebook holds every wording in full).
    """
    data = text.encode("utf-8")
    if len(text) <= characters and len(data) <= size:
        return data
    ellipsis = "…"
    keep = min(len(text), characters - 1)
    while len(text[:keep].encode("utf-8")) > size - len(ellipsis.encode("utf-8")):
        keep -= 1
    cut = text[:keep]
    space = cut.rfind(" ")
    if space > keep // 2:
        cut = cut[:space]
    return (cut.rstrip(" ,;:") + ellipsis).encode("utf-8")


def _fixed(data: bytes, size: int, fill: bytes = b"\0") -> bytes:
    return data[:size].ljust(size, fill)


def write_dta(path: Path, columns: list[Column], rows: Iterable[tuple], *, label: str = "") -> None:
    """Write a Stata format 118 file, row by row."""
    _check_columns(columns)
    with tempfile.TemporaryFile(dir=path.parent, prefix=".partial-spool-") as file:
        spool = _Spool(columns, rows, file)
        with path.open("wb") as stream:
            _DtaWriter(stream, columns, spool, label=label).write()


# Stata's storage types, their missing value and the range they hold (format 118).
_DTA_INTEGERS = (
    (65530, "b", 101, -127, 100),  # byte
    (65529, "h", 32741, -32767, 32740),  # int
    (65528, "i", 2147483621, -2147483647, 2147483620),  # long
)
_DTA_DOUBLE = 65526
_DTA_MISSING_DOUBLE = 2.0**1023
# Value labels of extended missing values use the long type's encoding whatever the
# variable's type: `.` is 2147483621, .a 2147483622, and so on.
_DTA_MISSING_LABEL = 2147483621
_STATA_EPOCH = datetime(1960, 1, 1)  # noqa: DTZ001 - Stata times are naive, read as UTC
_DTA_SECTIONS = (
    "stata_data",
    "map",
    "variable_types",
    "varnames",
    "sortlist",
    "formats",
    "value_label_names",
    "variable_labels",
    "characteristics",
    "data",
    "strls",
    "value_labels",
    "stata_data_close",
    "end-of-file",
)


class _DtaWriter:
    def __init__(self, stream: BinaryIO, columns: list[Column], spool: _Spool, *, label: str):
        self.stream = stream
        self.columns = columns
        self.spool = spool
        self.label = label
        self.offsets: dict[str, int] = {}
        self.types, self.codes, self.missing, self.formats = [], [], [], []
        for i, column in enumerate(columns):
            self._choose_type(i, column)
        self.row = struct.Struct("<" + "".join(self.codes))
        # Each missing code becomes its extended missing value in the column's type.
        self.extended = {
            i: {code: self._extended(i, letter) for code, letter in column.missing.items()}
            for i, column in enumerate(columns)
            if column.missing
        }

    def _extended(self, i: int, letter: str) -> int | float:
        """Return how the column's type stores the extended missing value `.letter`."""
        if self.codes[i] == "d":
            # A double's `.a` adds 1 to the 12 bits after the exponent of `.`, and so on.
            return _DTA_MISSING_DOUBLE * (1 + _missing_number(letter) / 4096)
        return self.missing[i] + _missing_number(letter)

    def _choose_type(self, i: int, column: Column) -> None:
        if column.kind == STRING:
            width = max(1, self.spool.widths[i])
            if width > 2045:
                raise LabelledFileError(
                    f"The variable {column.name} holds text longer than Stata's 2045 bytes."
                )
            self.types.append(width)
            self.codes.append(f"{width}s")
            self.missing.append(b"")
            self.formats.append(f"%-{min(width, 244)}s")
            return
        if column.kind == INTEGER:
            low, high = self.spool.low[i], self.spool.high[i]
            for type_code, code, missing, smallest, largest in _DTA_INTEGERS:
                if low is None or (smallest <= low and high <= largest):
                    self.types.append(type_code)
                    self.codes.append(code)
                    self.missing.append(missing)
                    self.formats.append("%8.0g")
                    return
            if column.value_labels:
                raise LabelledFileError(
                    f"The variable {column.name} holds codes too large for Stata's labels."
                )
        self.types.append(_DTA_DOUBLE)
        self.codes.append("d")
        self.missing.append(_DTA_MISSING_DOUBLE)
        self.formats.append("%tc" if column.kind == DATETIME else "%10.0g")

    @staticmethod
    def _note(column: Column) -> bytes:
        """Return the characteristics that make the full label the variable's one note."""
        name = _fixed(_truncate(column.name, 128), 129)
        records = []
        for characteristic, text in (("note1", column.label), ("note0", "1")):
            content = name + _fixed(characteristic.encode(), 129) + _truncate(text, 67_000) + b"\0"
            records.append(b"<ch>" + struct.pack("<I", len(content)) + content + b"</ch>")
        return b"".join(records)

    def _mark(self, section: str) -> None:
        self.offsets[section] = self.stream.tell()

    def _tag(self, section: str, content: bytes = b"") -> None:
        self._mark(section)
        self.stream.write(
            b"<" + section.encode() + b">" + content + b"</" + section.encode() + b">"
        )

    def write(self) -> None:
        write = self.stream.write
        k = len(self.columns)
        self._mark("stata_data")
        label = _truncate(self.label, 80)
        write(
            b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder>"
            + b"<K>"
            + struct.pack("<H", k)
            + b"</K><N>"
            + struct.pack("<Q", self.spool.count)
            + b"</N><label>"
            + struct.pack("<H", len(label))
            + label
            + b"</label><timestamp>\x00</timestamp></header>"
        )
        self._mark("map")
        write(b"<map>" + b"\0" * 8 * len(_DTA_SECTIONS) + b"</map>")
        self._tag("variable_types", struct.pack(f"<{k}H", *self.types))
        self._tag("varnames", b"".join(_fixed(_truncate(c.name, 128), 129) for c in self.columns))
        self._tag("sortlist", b"\0\0" * (k + 1))
        self._tag("formats", b"".join(_fixed(f.encode(), 57) for f in self.formats))
        self._tag(
            "value_label_names",
            b"".join(
                _fixed(_truncate(c.name, 128) if c.value_labels else b"", 129) for c in self.columns
            ),
        )
        # Stata shows up to 80 characters of a variable label; a longer one is cut after a
        # word and kept whole as the variable's note (`notes <variable>` shows it).
        labels = [_shortened(c.label, characters=80, size=320) for c in self.columns]
        self._tag("variable_labels", b"".join(_fixed(label, 321) for label in labels))
        self._tag(
            "characteristics",
            b"".join(
                self._note(column)
                for column, label in zip(self.columns, labels, strict=True)
                if label != column.label.encode("utf-8")
            ),
        )
        self._mark("data")
        write(b"<data>")
        self._write_rows()
        write(b"</data>")
        self._tag("strls")
        self._mark("value_labels")
        write(b"<value_labels>")
        for column in self.columns:
            if column.value_labels:
                write(b"<lbl>" + self._value_label_table(column) + b"</lbl>")
        write(b"</value_labels>")
        self._mark("stata_data_close")
        write(b"</stata_dta>")
        self._mark("end-of-file")
        self.stream.seek(self.offsets["map"] + len(b"<map>"))
        write(struct.pack("<14Q", *(self.offsets[section] for section in _DTA_SECTIONS)))

    def _write_rows(self) -> None:
        missing = self.missing
        strings = [i for i, column in enumerate(self.columns) if column.kind == STRING]
        times = [i for i, column in enumerate(self.columns) if column.kind == DATETIME]
        extended = list(self.extended.items())
        pack = self.row.pack
        buffer = []
        for row in self.spool:
            # Most cells are numbers that go in as they are; strings and times are fixed after.
            cells = [
                empty if value is None else value for value, empty in zip(row, missing, strict=True)
            ]
            for i, stored in extended:
                if row[i] in stored:
                    cells[i] = stored[row[i]]
            for i in strings:
                if row[i] is not None:
                    cells[i] = row[i].encode("utf-8")
            for i in times:
                if row[i] is not None:
                    cells[i] = (row[i] - _STATA_EPOCH).total_seconds() * 1000
            buffer.append(pack(*cells))
            if len(buffer) == SPOOL_CHUNK:
                self.stream.write(b"".join(buffer))
                buffer = []
        self.stream.write(b"".join(buffer))

    @staticmethod
    def _value_label_table(column: Column) -> bytes:
        # A missing code's label goes to its extended missing value, which replaces the code.
        entries = sorted(
            (
                _DTA_MISSING_LABEL + _missing_number(column.missing[value])
                if value in column.missing
                else value,
                text,
            )
            for value, text in column.value_labels.items()
        )
        texts = [_truncate(text, 32000) + b"\0" for _value, text in entries]
        offsets, position = [], 0
        for text in texts:
            offsets.append(position)
            position += len(text)
        table = (
            struct.pack("<ii", len(entries), position)
            + struct.pack(f"<{len(entries)}i", *offsets)
            + struct.pack(f"<{len(entries)}i", *(value for value, _text in entries))
            + b"".join(texts)
        )
        name = _fixed(_truncate(column.name, 128), 129)
        return struct.pack("<i", len(table)) + name + b"\0\0\0" + table


def write_sav(path: Path, columns: list[Column], rows: Iterable[tuple], *, label: str = "") -> None:
    """Write an uncompressed SPSS system file in UTF-8, row by row."""
    _check_columns(columns)
    with tempfile.TemporaryFile(dir=path.parent, prefix=".partial-spool-") as file:
        spool = _Spool(columns, rows, file)
        with path.open("wb") as stream:
            _SavWriter(stream, columns, spool, label=label).write()


_SAV_SYSMIS = -1.7976931348623157e308
_SAV_HIGHEST = 1.7976931348623157e308
# The double next to -DBL_MAX, which SPSS calls LOWEST (-0x1.ffffffffffffep+1023).
_SAV_LOWEST = -1.7976931348623155e308
_SPSS_EPOCH = datetime(1582, 10, 14)  # noqa: DTZ001 - SPSS times carry no zone
_SAV_VARIABLE = struct.Struct("<iiiiii8s")
# Print and write formats: (type << 16) | (width << 8) | decimals.
_SAV_FORMATS = {INTEGER: (5 << 16) | (8 << 8), FLOAT: (5 << 16) | (12 << 8) | 6}
_SAV_DATETIME_FORMAT = (22 << 16) | (20 << 8)
# SPSS value labels hold up to 120 bytes, variable labels up to 255.
_SAV_VALUE_LABEL_BYTES = 120
_SAV_VARIABLE_LABEL_BYTES = 255
_SAV_MEASURES = {"": 0, NOMINAL: 1, ORDINAL: 2, SCALE: 3}
_SAV_LEFT, _SAV_RIGHT = 0, 1


def _short_names(columns: list[Column]) -> list[bytes]:
    """Return unique names of up to 8 bytes, which SPSS needs beside the long ones."""
    taken: set[bytes] = set()
    names = []
    for number, column in enumerate(columns, start=1):
        stem = "".join(ch for ch in column.name.upper() if ch.isascii() and ch.isalnum())
        name = (stem if stem[:1].isalpha() else "V" + stem)[:8].encode()
        if name in taken:
            name = (stem[: 8 - len(str(number)) - 1] + "_" + str(number)).encode()
            if not name[:1].isalpha() or name in taken:
                name = f"V{number}".encode()
        taken.add(name)
        names.append(name)
    return names


class _SavWriter:
    def __init__(self, stream: BinaryIO, columns: list[Column], spool: _Spool, *, label: str):
        self.stream = stream
        self.columns = columns
        self.spool = spool
        self.label = label
        self.widths = []  # string width in bytes, 0 for numbers
        for i, column in enumerate(columns):
            if column.kind != STRING:
                self.widths.append(0)
                continue
            width = max(1, spool.widths[i])
            if width > 255:
                raise LabelledFileError(
                    f"The variable {column.name} holds text longer than 255 bytes, which "
                    "this SPSS file does not take; use the CSV or Stata export."
                )
            self.widths.append(width)
        self.slots = [max(1, -(-width // 8)) for width in self.widths]

    def write(self) -> None:
        write = self.stream.write
        now = datetime.now(UTC)
        write(
            struct.pack(
                "<4s60siiiiid9s8s64s3s",
                b"$FL2",
                _fixed(b"@(#) SPSS DATA FILE - surveyplatform", 60, b" "),
                2,
                sum(self.slots),
                0,
                0,
                self.spool.count,
                100.0,
                now.strftime("%d %b %y").encode(),
                now.strftime("%H:%M:%S").encode(),
                _fixed(_truncate(self.label, 64), 64, b" "),
                b"\0\0\0",
            )
        )
        short = _short_names(self.columns)
        indexes = []  # the 1-based dictionary index of each variable, for value labels
        index = 1
        for column, name, width, slots in zip(
            self.columns, short, self.widths, self.slots, strict=True
        ):
            indexes.append(index)
            index += slots
            if column.kind == STRING:
                style = (1 << 16) | (width << 8)
            elif column.kind == DATETIME:
                style = _SAV_DATETIME_FORMAT
            else:
                style = _SAV_FORMATS[column.kind]
            text = _shortened(
                column.label,
                characters=_SAV_VARIABLE_LABEL_BYTES,
                size=_SAV_VARIABLE_LABEL_BYTES,
            )
            missing = sorted(column.missing)
            write(_SAV_VARIABLE.pack(2, width, 1 if text else 0, len(missing), style, style, name))
            if text:
                write(struct.pack("<i", len(text)) + _fixed(text, -(-len(text) // 4) * 4, b" "))
            if missing:
                write(struct.pack(f"<{len(missing)}d", *map(float, missing)))
            for _slot in range(slots - 1):
                write(_SAV_VARIABLE.pack(2, -1, 0, 0, 0, 0, b" " * 8))
        for column, variable_index in zip(self.columns, indexes, strict=True):
            if column.value_labels:
                write(self._value_labels(column, variable_index))
        write(struct.pack("<iiii8i", 7, 3, 4, 8, 1, 0, 0, -1, 1, 1, 2, 65001))
        write(struct.pack("<iiii3d", 7, 4, 8, 3, _SAV_SYSMIS, _SAV_HIGHEST, _SAV_LOWEST))
        write(self._display())
        long_names = b"\t".join(
            name + b"=" + column.name.encode("utf-8")
            for name, column in zip(short, self.columns, strict=True)
        )
        write(struct.pack("<iiii", 7, 13, 1, len(long_names)) + long_names)
        write(struct.pack("<iiii", 7, 20, 1, 5) + b"UTF-8")
        write(struct.pack("<ii", 999, 0))
        self._write_rows()

    def _display(self) -> bytes:
        """Return the record of each variable's measure, display width and alignment."""
        values = []
        for column, width in zip(self.columns, self.widths, strict=True):
            if column.kind == STRING:
                values += [_SAV_MEASURES[column.measure], max(8, min(width, 40)), _SAV_LEFT]
            else:
                shown = 20 if column.kind == DATETIME else 8
                values += [_SAV_MEASURES[column.measure], shown, _SAV_RIGHT]
        return struct.pack(f"<iiii{len(values)}i", 7, 11, 4, len(values), *values)

    @staticmethod
    def _value_labels(column: Column, variable_index: int) -> bytes:
        entries = sorted(column.value_labels.items())
        record = [struct.pack("<ii", 3, len(entries))]
        for value, text in entries:
            data = _truncate(text, _SAV_VALUE_LABEL_BYTES)
            # The length byte and the label together fill a multiple of 8 bytes.
            record.append(
                struct.pack("<dB", float(value), len(data))
                + _fixed(data, -(-(len(data) + 1) // 8) * 8 - 1, b" ")
            )
        record.append(struct.pack("<iii", 4, 1, variable_index))
        return b"".join(record)

    def _write_rows(self) -> None:
        codes = "".join(
            f"{slots * 8}s" if width else "d"
            for width, slots in zip(self.widths, self.slots, strict=True)
        )
        pack = struct.Struct("<" + codes).pack
        strings = [
            (i, slots * 8)
            for i, (column, slots) in enumerate(zip(self.columns, self.slots, strict=True))
            if column.kind == STRING
        ]
        times = [i for i, column in enumerate(self.columns) if column.kind == DATETIME]
        buffer = []
        for row in self.spool:
            # SPSS stores every number as a double, a missing one as the system-missing value.
            cells = [_SAV_SYSMIS if value is None else value for value in row]
            for i, size in strings:
                cells[i] = (row[i] or "").encode("utf-8").ljust(size, b" ")
            for i in times:
                if row[i] is not None:
                    cells[i] = (row[i] - _SPSS_EPOCH).total_seconds()
            buffer.append(pack(*cells))
            if len(buffer) == SPOOL_CHUNK:
                self.stream.write(b"".join(buffer))
                buffer = []
        self.stream.write(b"".join(buffer))
