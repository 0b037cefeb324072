"""The streaming Stata and SPSS writers, read back with pyreadstat and pandas."""

import struct
from datetime import datetime

import pandas as pd
import pyreadstat
import pytest

from exports import labelled_files
from exports.labelled_files import DATETIME, FLOAT, INTEGER, STRING, Column

COLUMNS = [
    Column("pseudonym", "Pseudonym", STRING),
    Column("council", "Council", INTEGER, {70000: "Cyngor Sir Ynys Môn", 70001: "Powys"}),
    Column("satisfaction_information", "Satisfied with information", INTEGER, {1: "Yes"}),
    Column("satisfaction_consultation", "Satisfied with consultation", INTEGER, {9: "Don't know"}),
    Column("index", "Index " + "ŵ" * 120, FLOAT),
    Column("submitted_at", "Submitted", DATETIME),
    Column("ward", "Ward", STRING),
]
WHEN = datetime(2026, 3, 1, 9, 30, 15, 250000)  # noqa: DTZ001 - exported times are naive UTC


def planted_rows(count: int):
    """Yield rows whose every cell follows from its row number, with planted gaps."""
    for i in range(count):
        yield (
            f"p{i:06d}",
            70000 + i % 2,
            None if i % 7 == 0 else 1,
            -5 if i == 3 else 9,
            None if i % 5 == 0 else i / 8,
            None if i % 11 == 0 else WHEN,
            "" if i % 3 == 0 else "Llanfair ŵŷ" * (1 + i % 4),
        )


def expected_frame(count: int) -> pd.DataFrame:
    return pd.DataFrame(
        list(planted_rows(count)),
        columns=[c.name for c in COLUMNS],
    )


# More rows than one spool chunk, so the rows cross chunk boundaries.
ROWS = labelled_files.SPOOL_CHUNK * 2 + 17


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        (labelled_files.write_dta, pyreadstat.read_dta),
        (labelled_files.write_sav, pyreadstat.read_sav),
    ],
)
def test_every_cell_and_label_reads_back_with_pyreadstat(tmp_path, writer, reader):
    path = tmp_path / "data.out"

    writer(path, COLUMNS, planted_rows(ROWS))
    frame, meta = reader(str(path))

    expected = expected_frame(ROWS)
    assert list(frame.columns) == [c.name for c in COLUMNS]
    assert len(frame) == ROWS
    assert list(frame["pseudonym"]) == list(expected["pseudonym"])
    assert list(frame["ward"]) == list(expected["ward"])
    assert list(frame["council"]) == list(expected["council"])
    for name in ("satisfaction_information", "satisfaction_consultation", "index"):
        pd.testing.assert_series_equal(
            frame[name].astype(float), expected[name].astype(float), check_names=False
        )
    times = frame["submitted_at"]
    assert times.isna().sum() == len(range(0, ROWS, 11))
    assert set(times.dropna()) == {pd.Timestamp(WHEN)}
    assert meta.column_names_to_labels["council"] == "Council"
    assert meta.variable_value_labels["council"] == {70000: "Cyngor Sir Ynys Môn", 70001: "Powys"}
    assert meta.variable_value_labels["satisfaction_consultation"] == {9: "Don't know"}
    assert set(meta.variable_value_labels) == {
        "council",
        "satisfaction_information",
        "satisfaction_consultation",
    }


def stata_notes(data: bytes) -> dict[str, str]:
    """Return each variable's first note, read from the file's characteristics."""
    start = data.index(b"<characteristics>") + len(b"<characteristics>")
    end = data.index(b"</characteristics>")
    section, notes = data[start:end], {}
    while section:
        assert section.startswith(b"<ch>")
        (size,) = struct.unpack("<I", section[4:8])
        content, section = section[8 : 8 + size], section[8 + size + len(b"</ch>") :]
        variable, characteristic = content[:129].rstrip(b"\0"), content[129:258].rstrip(b"\0")
        if characteristic == b"note1":
            notes[variable.decode()] = content[258:].rstrip(b"\0").decode()
        else:
            assert (characteristic, content[258:]) == (b"note0", b"1\0")
    return notes


def test_stata_file_reads_back_with_pandas_and_cuts_labels_to_80_characters(tmp_path):
    path = tmp_path / "data.dta"

    labelled_files.write_dta(path, COLUMNS, planted_rows(50))
    with pd.io.stata.StataReader(path) as reader:
        frame = reader.read(convert_categoricals=False)
        labels = reader.variable_labels()
        value_labels = reader.value_labels()

    expected = expected_frame(50)
    assert list(frame["pseudonym"]) == list(expected["pseudonym"])
    assert list(frame["council"]) == list(expected["council"])
    assert labels["index"] == "Index " + "ŵ" * 73 + "…"
    # The whole label is the variable's note, which Stata's `notes index` shows.
    assert stata_notes(path.read_bytes()) == {"index": "Index " + "ŵ" * 120}
    assert value_labels["council"] == {70000: "Cyngor Sir Ynys Môn", 70001: "Powys"}


def test_an_empty_table_is_a_valid_file_of_no_rows(tmp_path):
    for writer, reader, name in (
        (labelled_files.write_dta, pyreadstat.read_dta, "empty.dta"),
        (labelled_files.write_sav, pyreadstat.read_sav, "empty.sav"),
    ):
        writer(tmp_path / name, COLUMNS, iter(()))
        frame, meta = reader(str(tmp_path / name))
        assert len(frame) == 0
        assert meta.column_names == [c.name for c in COLUMNS]


def test_codes_beyond_stata_integers_are_refused_with_the_variables_name(tmp_path):
    columns = [Column("council", "Council", INTEGER, {3_000_000_000: "Too large"})]

    with pytest.raises(labelled_files.LabelledFileError, match="council"):
        labelled_files.write_dta(tmp_path / "data.dta", columns, iter([(3_000_000_000,)]))


def test_text_longer_than_spss_takes_is_refused_with_the_variables_name(tmp_path):
    columns = [Column("ward", "Ward", STRING)]

    with pytest.raises(labelled_files.LabelledFileError, match="ward"):
        labelled_files.write_sav(tmp_path / "data.sav", columns, iter([("ŵ" * 128,)]))


# Codes that stand for answers missing for a known reason, as the exports declare them.
DONT_KNOW, PREFER_NOT_TO_SAY, NOT_ASKED = 9, 4, -1
ANSWERED = [
    Column(
        "efficacy",
        "People in this area can make a difference",
        INTEGER,
        {1: "Strongly agree", 2: "Agree", 9: "Don't know", -1: "Not asked"},
        measure=labelled_files.ORDINAL,
        missing={DONT_KNOW: "a", NOT_ASKED: "c"},
    ),
    Column(
        "gender",
        "How would you describe your gender?",
        INTEGER,
        {1: "Woman", 2: "Man", 4: "Prefer not to say"},
        measure=labelled_files.NOMINAL,
        missing={PREFER_NOT_TO_SAY: "b"},
    ),
    Column(
        "score",
        "A score",
        FLOAT,
        {-1: "Not asked"},
        measure=labelled_files.SCALE,
        missing={NOT_ASKED: "c"},
    ),
    Column("ward", "Ward", STRING, measure=labelled_files.NOMINAL),
    Column("submitted_at", "Submitted", DATETIME),
]
ANSWERED_ROWS = [
    (1, 1, 0.5, "North", WHEN),
    (9, 4, -1, "South", None),
    (-1, 2, None, "", WHEN),
    (None, None, 2.25, "East", WHEN),
]


def test_spss_declares_missing_codes_and_measure_levels(tmp_path):
    path = tmp_path / "data.sav"

    labelled_files.write_sav(path, ANSWERED, iter(ANSWERED_ROWS))
    kept, meta = pyreadstat.read_sav(str(path), user_missing=True)
    plain, _meta = pyreadstat.read_sav(str(path))

    assert meta.missing_ranges == {
        "efficacy": [{"lo": -1.0, "hi": -1.0}, {"lo": 9.0, "hi": 9.0}],
        "gender": [{"lo": 4.0, "hi": 4.0}],
        "score": [{"lo": -1.0, "hi": -1.0}],
    }
    assert meta.variable_measure == {
        "efficacy": "ordinal",
        "gender": "nominal",
        "score": "scale",
        "ward": "nominal",
        "submitted_at": "unknown",
    }
    # The codes stay in the data, declared missing; a plain read gives them as missing.
    assert list(kept["efficacy"].fillna(0)) == [1, 9, -1, 0]
    assert list(kept["gender"].fillna(0)) == [1, 4, 2, 0]
    assert list(plain["efficacy"].isna()) == [False, True, True, True]
    assert list(plain["gender"].isna()) == [False, True, False, True]
    assert list(plain["score"].isna()) == [False, True, True, False]
    assert meta.variable_value_labels["efficacy"][9] == "Don't know"
    assert meta.variable_value_labels["efficacy"][-1] == "Not asked"
    assert meta.column_names_to_labels["gender"] == "How would you describe your gender?"


def test_stata_writes_missing_codes_as_labelled_extended_missing_values(tmp_path):
    path = tmp_path / "data.dta"

    labelled_files.write_dta(path, ANSWERED, iter(ANSWERED_ROWS))
    kept, meta = pyreadstat.read_dta(str(path), user_missing=True)
    plain, _meta = pyreadstat.read_dta(str(path))

    assert list(kept["efficacy"].fillna(0)) == [1, "a", "c", 0]
    assert list(kept["gender"].fillna(0)) == [1, "b", 2, 0]
    assert list(kept["score"].fillna(0)) == [0.5, "c", 0, 2.25]
    assert meta.missing_user_values == {"efficacy": ["a", "c"], "gender": ["b"], "score": ["c"]}
    assert meta.variable_value_labels["efficacy"] == {
        1: "Strongly agree",
        2: "Agree",
        "a": "Don't know",
        "c": "Not asked",
    }
    assert meta.variable_value_labels["gender"] == {1: "Woman", 2: "Man", "b": "Prefer not to say"}
    assert list(plain["efficacy"].isna()) == [False, True, True, True]
    # Stata's own reader sees the same extended missing values.
    with pd.io.stata.StataReader(path) as reader:
        frame = reader.read(convert_missing=True, convert_dates=False, convert_categoricals=False)
    assert [str(value) for value in frame["efficacy"]] == ["1", ".a", ".c", "."]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (Column("ward", "Ward", STRING, missing={9: "a"}), "cannot declare missing"),
        (Column("x", "X", INTEGER, missing={7: "b", 8: "c", 9: "a", -1: "d"}), "more than 3"),
        (Column("x", "X", INTEGER, missing={8: "a", 9: "a"}), "distinct letter"),
        (Column("x", "X", INTEGER, measure="interval"), "no measure"),
    ],
)
def test_declarations_the_formats_cannot_hold_are_refused_before_writing(tmp_path, column, message):
    for writer in (labelled_files.write_dta, labelled_files.write_sav):
        path = tmp_path / "data.out"
        with pytest.raises(labelled_files.LabelledFileError, match=message):
            writer(path, [column], iter([(1,)]))
        assert not path.exists()


def test_spss_file_names_its_special_values_as_spss_defines_them(tmp_path):
    path = tmp_path / "data.sav"

    labelled_files.write_sav(path, COLUMNS, planted_rows(3))

    # System-missing is -DBL_MAX, HIGHEST is DBL_MAX, LOWEST the double next to -DBL_MAX.
    highest = float.fromhex("0x1.fffffffffffffp+1023")
    lowest = float.fromhex("-0x1.ffffffffffffep+1023")
    assert struct.pack("<iiii3d", 7, 4, 8, 3, -highest, highest, lowest) in path.read_bytes()
