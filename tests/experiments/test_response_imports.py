"""Paper and telephone responses imported in the layout of the platform's own wide export."""

import csv
import io
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from analysis.datasets import load_case_frame
from analysis.models import AnalysisRun
from analysis.plan import AnalysisPlan
from analysis.results import compute_results
from experiments.invitations import issue_invitation
from experiments.models import (
    ActivityAnswer,
    Assignment,
    Response,
    ResponseMode,
    ThemeAnswer,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from exports import jobs
from exports.models import ExportFormat
from exports.pseudonyms import council_key, pseudonym
from outbox.models import OutboxMessage
from panel.models import MemberStatus
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

ARMS = ["ab", "a", "b", "none"]
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
GENDERS = ["woman", "man"]
ETHNIC = ["white", "asian", "black", "mixed"]
QUALIFICATIONS = ["none", "level_1_2", "level_3", "level_4"]


def build_wave(*, members=80, status=WaveStatus.CLOSED, seed=7):
    """Return a wave of two themes (three activities each) answered online by every member."""
    rng = random.Random(seed)
    council = CouncilFactory()
    wave = WaveFactory(council=council, status=WaveStatus.OPEN)
    themes = []
    for _ in range(2):
        theme = WaveThemeFactory(wave=wave).theme
        themes.append((theme, [ActivityFactory(theme=theme) for _ in range(3)]))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    people = []
    for i in range(members):
        member = PanelMemberFactory(council=council, external_id=f"PAPER-{i:04d}")
        issue_invitation(wave, member=member)
        Assignment.objects.create(wave=wave, member=member, arm=ARMS[i % 4], scheme="simple")
        response = Response.objects.create(
            wave=wave,
            member=member,
            status="complete" if i % 10 else "partial",
            submitted_at=start + timedelta(hours=i, minutes=17) if i % 10 else None,
            language="cy" if i % 3 == 0 else "en",
            birth_year=1940 + rng.randrange(60),
            age_band=rng.choice(AGE_BANDS),
            gender=rng.choice(GENDERS),
            ethnic_group=rng.choice(ETHNIC),
            qualification=rng.choice(QUALIFICATIONS),
            ward=rng.choice(["North", "South", "=East", "Llan-ŵy"]),
        )
        Response.objects.filter(pk=response.pk).update(started_at=start + timedelta(hours=i))
        for theme, activities in themes:
            answer = ThemeAnswer.objects.create(
                response=response,
                theme=theme,
                collective=rng.choice([1, 2, 3, None]),
                time_now=rng.choice([1, 2, 3, 4]),
                time_more=rng.choice([1, 2, 3, 4, None]),
                conditions=rng.choice([1, 2, 3, 4, 5]),
                satisfaction_information=rng.choice([1, 2, 3, 4, 5, 9]),
                satisfaction_consultation=rng.choice([1, 2, 3, 4, 5]),
                satisfaction_response=rng.choice([1, 2, 3, 4, 5]),
                efficacy=rng.choice([1, 2, 3, 4, 5, 9]),
            )
            for activity in activities:
                done = rng.random() < 0.3 + 0.1 * ARMS.index(ARMS[i % 4])
                if rng.random() < 0.9:
                    ActivityAnswer.objects.create(theme_answer=answer, activity=activity, done=done)
        people.append(member)
    if status == WaveStatus.CLOSED:
        wave.status = WaveStatus.CLOSED
        wave.closed_at = timezone.now()
        wave.save(update_fields=["status", "closed_at"])
    return wave, themes, people


def wide_csv(wave) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "wide.csv"
        jobs.write_export(path, wave_ids=[wave.pk], format=ExportFormat.CSV_WIDE)
        return path.read_bytes()


def read_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def write_rows(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def as_paper_returns(content: bytes, wave, members) -> bytes:
    """Return the export as a council would key it: external ids in, mode paper.

    The pseudonym → external id mapping is made here with the council's key, which a
    council never holds; it stands for the mapping the council keeps of its paper returns.
    """
    key = council_key(wave.council_id)
    external = {pseudonym(m.pk, key=key): m.external_id for m in members}
    rows = read_rows(content)
    for row in rows:
        row["external_id"] = external[row["pseudonym"]]
        row["mode"] = "2"
    return write_rows(rows, ["external_id", *read_rows(content)[0]])


def tables(wave) -> dict:
    results = compute_results(load_case_frame(wave.pk), plan=AnalysisPlan())
    results.pop("timings_seconds")
    return results


def problems(report) -> list[tuple]:
    return [(p.row, p.column, p.message) for p in report.problems]


def stored_state(wave) -> list:
    """Every stored row an import could touch, for comparing before and after."""
    return [
        sorted(
            Response.objects.filter(wave=wave).values_list(
                "pk", "member_id", "mode", "status", "language", "submitted_at", "updated_at"
            )
        ),
        sorted(
            ThemeAnswer.objects.filter(response__wave=wave).values_list(
                "pk", "response_id", "theme_id", "collective", "efficacy", "saved_at"
            )
        ),
        sorted(
            ActivityAnswer.objects.filter(theme_answer__response__wave=wave).values_list(
                "pk", "activity_id", "done"
            )
        ),
        sorted(Assignment.objects.filter(wave=wave).values_list("pk", "member_id", "arm")),
        AnalysisRun.objects.filter(wave=wave).count(),
    ]


# --- The round trip -------------------------------------------------------------------------


def test_an_exported_wave_imported_again_reproduces_the_analysis_exactly(db):
    # Given a closed wave answered online, its tables, and its wide export keyed as paper
    wave, _themes, members = build_wave()
    before = tables(wave)
    exported = wide_csv(wave)
    paper = as_paper_returns(exported, wave, members)

    # When its answers are deleted and the file is imported
    Response.objects.filter(wave=wave).delete()
    assert tables(wave)["n_rows"] == 0
    result = import_response_file(wave, content=paper, filename="returns.csv")

    # Then every response is back, as paper, and every table is the same
    assert (result.created, result.updated, result.unchanged) == (80, 0, 0)
    assert set(Response.objects.filter(wave=wave).values_list("mode", flat=True)) == {"paper"}
    after = tables(wave)
    assert before["n_rows"] == after["n_rows"] == 72 * 2
    assert after == before
    # And the data export reads the same apart from the mode, now paper (code 2)
    again = read_rows(wide_csv(wave))
    original = read_rows(exported)
    assert [row["mode"] for row in again] == ["2"] * 80
    assert [row["mode"] for row in original] == ["1"] * 80
    for row in again + original:
        row.pop("mode")
    assert again == original


def test_importing_the_same_file_twice_changes_nothing_the_second_time(db):
    wave, _themes, members = build_wave(members=12)
    paper = as_paper_returns(wide_csv(wave), wave, members)
    Response.objects.filter(wave=wave).delete()
    import_response_file(wave, content=paper, filename="returns.csv")
    state = stored_state(wave)

    report = check_response_file(wave, content=paper, filename="returns.csv")
    result = import_response_file(wave, content=paper, filename="returns.csv")

    assert (report.new, report.updated, report.unchanged) == (0, 0, 12)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 12)
    assert stored_state(wave) == state


def test_a_corrected_row_replaces_the_answers_it_imported_before(db):
    # Given paper returns imported once
    wave, themes, members = build_wave(members=4)
    paper = as_paper_returns(wide_csv(wave), wave, members)
    Response.objects.filter(wave=wave).delete()
    import_response_file(wave, content=paper, filename="returns.csv")

    # When one member's collective answer is corrected and the file imported again
    rows = read_rows(paper)
    column = f"t{themes[0][0].pk}_collective"
    rows[1][column] = "3"
    result = import_response_file(wave, content=write_rows(rows), filename="returns.csv")

    # Then that response alone is updated, still one per member
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert Response.objects.filter(wave=wave).count() == 4
    answer = ThemeAnswer.objects.get(response__member=members[1], theme=themes[0][0])
    assert answer.collective == 3


def test_a_dry_run_writes_nothing_even_for_a_clean_file(db):
    wave, _themes, members = build_wave(members=8)
    paper = as_paper_returns(wide_csv(wave), wave, members)
    Response.objects.filter(wave=wave).delete()
    state = stored_state(wave)

    report = check_response_file(wave, content=paper, filename="returns.csv")

    assert report.ok
    assert report.new == 8
    assert stored_state(wave) == state


# --- Members, arms and allocation -----------------------------------------------------------


def small_wave(status=WaveStatus.OPEN):
    wave = WaveFactory(status=status)
    theme = WaveThemeFactory(wave=wave).theme
    activities = [ActivityFactory(theme=theme) for _ in range(2)]
    return wave, theme, activities


def paper_file(wave, theme, activities, rows: list[dict]) -> bytes:
    prefix = f"t{theme.pk}_"
    header = [
        "external_id",
        "mode",
        "arm",
        "status",
        "submitted_at",
        "birth_year",
        "gender",
        "ward",
        f"{prefix}collective",
        f"{prefix}efficacy",
        *(f"{prefix}a{activity.pk}" for activity in activities),
    ]
    return write_rows([{name: row.get(name, "") for name in header} for row in rows], header)


def test_a_member_never_allocated_is_refused_not_allocated_at_import(db):
    # Given an open wave and a member invited, who never opened their link and for whom
    # no paper questionnaire was printed
    wave, theme, activities = small_wave()
    member = PanelMemberFactory(council=wave.council, external_id="P-1")
    issue_invitation(wave, member=member)
    rows = [{"external_id": "P-1", "mode": mode, "arm": "1"} for mode in ("2", "3")]
    for row in rows:
        content = paper_file(wave, theme, activities, [row])

        report = check_response_file(wave, content=content, filename="returns.csv")

        # Then the row is refused, on paper and by telephone, and nobody is allocated
        assert problems(report) == [
            (
                2,
                "external_id",
                "No paper version was printed for this member from the platform and they never "
                "opened their link: print their paper questionnaire first.",
            )
        ]
        with pytest.raises(ResponseFileError):
            import_response_file(wave, content=content, filename="returns.csv")
    assert not Assignment.objects.filter(wave=wave).exists()


def test_a_paper_row_must_carry_the_version_printed(one_member_wave):
    # The member holds arm A and B (code 1); a paper row without the version is refused,
    # a telephone row may leave it empty, and either with a different version is refused.
    wave, theme, activities = one_member_wave
    assert one_row_problems(wave, theme, activities, arm="") == [
        (
            2,
            "arm",
            "The version is missing: copy the version number printed on the paper "
            "questionnaire (1 to 4) into the arm column.",
        )
    ]
    assert one_row_problems(wave, theme, activities, mode="3", arm="") == []
    mismatch = (
        2,
        "arm",
        "The group does not match the member's allocation in this wave; check which version "
        "of the questionnaire the member answered.",
    )
    assert one_row_problems(wave, theme, activities, arm="2") == [mismatch]
    assert one_row_problems(wave, theme, activities, mode="3", arm="4") == [mismatch]
    assert one_row_problems(wave, theme, activities, arm="1") == []


def test_every_member_problem_is_reported_on_its_row(db):
    # Given members in every state a paper return can meet
    wave, theme, activities = small_wave()
    other_council_member = PanelMemberFactory(external_id="ELSEWHERE")
    issue_invitation(WaveFactory(council=other_council_member.council), member=other_council_member)
    PanelMemberFactory(council=wave.council, external_id="NOT-INVITED")
    withdrawn = PanelMemberFactory(council=wave.council, external_id="WITHDRAWN")
    issue_invitation(wave, member=withdrawn)
    withdrawn.status = MemberStatus.WITHDRAWN
    withdrawn.save()
    online = PanelMemberFactory(council=wave.council, external_id="ONLINE")
    issue_invitation(wave, member=online)
    Assignment.objects.create(wave=wave, member=online, arm="a", scheme="simple")
    Response.objects.create(wave=wave, member=online)
    allocated = PanelMemberFactory(council=wave.council, external_id="ALLOCATED")
    issue_invitation(wave, member=allocated)
    Assignment.objects.create(wave=wave, member=allocated, arm="b", scheme="simple")
    unallocated = PanelMemberFactory(council=wave.council, external_id="UNALLOCATED")
    issue_invitation(wave, member=unallocated)
    rows = [
        {"external_id": "ELSEWHERE", "mode": "2", "arm": "1"},
        {"external_id": "NOT-INVITED", "mode": "2", "arm": "1"},
        {"external_id": "WITHDRAWN", "mode": "3"},
        {"external_id": "ONLINE", "mode": "2", "arm": "2"},
        {"external_id": "ALLOCATED", "mode": "2", "arm": "2"},  # 2 = A only; allocated B
        {"external_id": "UNALLOCATED", "mode": "2", "arm": "4"},
        {"external_id": "ALLOCATED", "mode": "2", "arm": "3"},
        {"external_id": "", "mode": "2", "arm": "1"},
    ]
    state = stored_state(wave)

    report = check_response_file(
        wave, content=paper_file(wave, theme, activities, rows), filename="returns.csv"
    )

    assert problems(report) == [
        (2, "external_id", "No member of this council's panel has the external id “ELSEWHERE”."),
        (
            3,
            "external_id",
            "No paper version was printed for this member from the platform and they never "
            "opened their link: print their paper questionnaire first.",
        ),
        (4, "external_id", "The member has withdrawn from the panel."),
        (
            5,
            "external_id",
            "The member has already answered this wave online; the online response stands and "
            "cannot be replaced by an import.",
        ),
        (
            6,
            "arm",
            "The group does not match the member's allocation in this wave; check which version "
            "of the questionnaire the member answered.",
        ),
        (
            7,
            "external_id",
            "No paper version was printed for this member from the platform and they never "
            "opened their link: print their paper questionnaire first.",
        ),
        (8, "external_id", "The external id “ALLOCATED” is already used on row 6."),
        (9, "external_id", "The external id is empty."),
    ]
    with pytest.raises(ResponseFileError):
        import_response_file(
            wave, content=paper_file(wave, theme, activities, rows), filename="returns.csv"
        )
    assert stored_state(wave) == state


# --- Cells and the file ---------------------------------------------------------------------


@pytest.fixture
def one_member_wave(db):
    wave, theme, activities = small_wave()
    member = PanelMemberFactory(council=wave.council, external_id="P-1")
    issue_invitation(wave, member=member)
    Assignment.objects.create(wave=wave, member=member, arm="ab", scheme="simple")
    return wave, theme, activities


def one_row_problems(wave, theme, activities, **cells) -> list[tuple]:
    cells = {key.replace("T_", f"t{theme.pk}_"): value for key, value in cells.items()}
    row = {"external_id": "P-1", "mode": "2", "arm": "1", **cells}
    content = paper_file(wave, theme, activities, [row])
    return problems(check_response_file(wave, content=content, filename="returns.csv"))


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        (
            {"T_collective": "4"},
            "T_collective",
            "“4” is not one of the codes of this question: 1 = Often, 2 = Sometimes, 3 = Never.",
        ),
        (
            {"T_collective": "often"},
            "T_collective",
            "“often” is not one of the codes of this question: 1 = Often, 2 = Sometimes, "
            "3 = Never.",
        ),
        (
            {"T_efficacy": "2.5"},
            "T_efficacy",
            "“2.5” is not one of the codes of this question: 1 = Strongly agree, 2 = Agree, "
            "3 = Neither agree nor disagree, 4 = Disagree, 5 = Strongly disagree, "
            "9 = Don't know.",
        ),
        ({"birth_year": "nineteen"}, "birth_year", "“nineteen” is not a whole number."),
        ({"birth_year": "1850"}, "birth_year", "The year of birth must be between 1900 and 2026."),
        (
            {"gender": "7"},
            "gender",
            "“7” is not one of the codes of this question: 1 = Woman, 2 = Man, "
            "3 = In another way, 4 = Prefer not to say.",
        ),
        (
            {"submitted_at": "yesterday"},
            "submitted_at",
            "“yesterday” is not a date and time: write it as 2026-03-01T14:30:00Z.",
        ),
        ({"submitted_at": "2099-01-01"}, "submitted_at", "“2099-01-01” is in the future."),
        (
            {"status": "1", "submitted_at": "2026-03-01"},
            "submitted_at",
            "A partial response has no submission time: empty the cell or mark it complete.",
        ),
        (
            {"ward": "=HYPERLINK(1)"},
            "ward",
            "The cell starts with “=”, which a spreadsheet may run as a formula.",
        ),
        (
            {"ward": "  =HYPERLINK(1)"},
            "ward",
            "The cell starts with “=”, which a spreadsheet may run as a formula.",
        ),
        ({"ward": "x" * 101}, "ward", "The value is 101 characters long; at most 100 are allowed."),
        (
            {"ward": "North\x00"},
            "ward",
            "The cell contains a NUL character, which cannot be stored.",
        ),
        ({"mode": ""}, "mode", "Say how the answers were collected: 2 = paper or 3 = telephone."),
        (
            {"mode": "1"},
            "mode",
            "Online answers are collected by the platform and cannot be imported: use 2 = paper "
            "or 3 = telephone.",
        ),
        (
            {"mode": "4"},
            "mode",
            "“4” is not one of the codes of this question: 1 = Online, 2 = Paper, 3 = Telephone.",
        ),
    ],
)
def test_a_cell_outside_the_instrument_is_reported_by_row_and_column(
    one_member_wave, cells, column, message
):
    wave, theme, activities = one_member_wave
    column = column.replace("T_", f"t{theme.pk}_")

    assert one_row_problems(wave, theme, activities, **cells) == [(2, column, message)]


def test_activity_answers_take_only_yes_or_no(one_member_wave):
    wave, theme, activities = one_member_wave
    column = f"t{theme.pk}_a{activities[0].pk}"

    found = one_row_problems(wave, theme, activities, **{column: "2"})

    assert found == [(2, column, "“2” is not one of the codes of this question: 0 = No, 1 = Yes.")]


def test_a_question_the_wave_does_not_ask_must_stay_empty(one_member_wave):
    wave, theme, _activities = one_member_wave
    wave.time_questions = "now"
    wave.save(update_fields=["time_questions"])
    rows = [{"external_id": "P-1", "mode": "2", "arm": "1", f"t{theme.pk}_time_more": "2"}]
    header = ["external_id", "mode", "arm", f"t{theme.pk}_time_more"]

    report = check_response_file(wave, content=write_rows(rows, header), filename="r.csv")

    assert problems(report) == [
        (2, f"t{theme.pk}_time_more", "This wave does not ask this question: empty the cell.")
    ]


def test_rows_of_another_wave_or_council_are_refused(one_member_wave):
    wave, _theme, _activities = one_member_wave
    rows = [{"external_id": "P-1", "mode": "3", "council": "999999", "wave": "999998"}]

    report = check_response_file(
        wave, content=write_rows(rows, ["external_id", "mode", "council", "wave"]), filename="r.csv"
    )

    assert problems(report) == [
        (2, "council", "The row belongs to another council's data, not to this wave's."),
        (
            2,
            "wave",
            f"The row belongs to wave 999998, not to this wave ({wave.pk}): correct or empty "
            "the cell.",
        ),
    ]


def test_unknown_themes_activities_and_columns_are_named_in_the_header(one_member_wave):
    wave, theme, _activities = one_member_wave
    other = WaveThemeFactory().theme
    header = [
        "external_id",
        "mode",
        f"t{other.pk}_collective",
        f"t{theme.pk}_a999999",
        "favourite_colour",
        "mode",
    ]

    report = check_response_file(wave, content=write_rows([], header), filename="r.csv")

    assert problems(report) == [
        (
            1,
            f"t{other.pk}_collective",
            f"Unknown theme t{other.pk}: this wave's themes are t{theme.pk} ({theme.name_en}).",
        ),
        (
            1,
            f"t{theme.pk}_a999999",
            "Unknown activity a999999: it is not one of the activities of the theme "
            f"“{theme.name_en}”.",
        ),
        (1, "favourite_colour", "Unknown column “favourite_colour”."),
        (1, "mode", "The column “mode” appears twice."),
    ]


def test_missing_required_columns_are_named(one_member_wave):
    wave, _theme, _activities = one_member_wave

    report = check_response_file(wave, content=b"pseudonym,arm\nabc,1\n", filename="r.csv")

    assert problems(report) == [
        (1, "external_id", "The required column “external_id” is missing."),
        (1, "mode", "The required column “mode” is missing."),
    ]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            "external_id,mode,ward\nP-1,2,Siân\n".encode("latin-1"),
            "r.csv",
            "The file is not UTF-8 text (byte 31 cannot be read). "
            "Save it as “CSV UTF-8” and upload it again.",
        ),
        (b"", "r.csv", "The file is empty."),
        (b"external_id,mode\n", "r.pdf", "Upload a .csv or .xlsx file."),
        (b"x" * 201, "r.csv", "The file is 201 bytes; the largest accepted is 200 bytes."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    one_member_wave, settings, content, filename, message
):
    settings.PANEL_IMPORT_MAX_BYTES = 200
    wave, _theme, _activities = one_member_wave
    # The header is 22 bytes and "P-1,2,Si" 8 more, so the Latin-1 "â" is byte 31.
    assert len("external_id,mode,ward\n") + len("P-1,2,Si") + 1 == 31

    report = check_response_file(wave, content=content, filename=filename)

    assert problems(report) == [(None, "", message)]


def test_a_draft_wave_takes_no_imported_responses(db):
    wave, _theme, _activities = small_wave(status=WaveStatus.DRAFT)

    report = check_response_file(wave, content=b"external_id,mode\n", filename="r.csv")

    assert problems(report) == [
        (None, "", "Responses can be imported into an open or closed wave only.")
    ]


def test_a_failed_import_changes_nothing_stored(db):
    # Given a wave with imported paper returns and a new file whose last row is bad
    wave, themes, members = build_wave(members=6)
    paper = as_paper_returns(wide_csv(wave), wave, members)
    Response.objects.filter(wave=wave).delete()
    import_response_file(wave, content=paper, filename="returns.csv")
    rows = read_rows(paper)
    for row in rows:
        row[f"t{themes[0][0].pk}_collective"] = "1"
    rows[-1][f"t{themes[1][0].pk}_efficacy"] = "7"
    state = stored_state(wave)

    # When it is imported
    with pytest.raises(ResponseFileError) as refused:
        import_response_file(wave, content=write_rows(rows), filename="returns.csv")

    # Then the error names the cell and nothing stored changed
    assert [(p.row, p.column) for p in refused.value.report.problems] == [
        (7, f"t{themes[1][0].pk}_efficacy")
    ]
    assert stored_state(wave) == state


def test_importing_into_a_closed_wave_queues_its_analysis_again(db):
    wave, _themes, members = build_wave(members=4)
    paper = as_paper_returns(wide_csv(wave), wave, members)
    Response.objects.filter(wave=wave).delete()

    import_response_file(wave, content=paper, filename="returns.csv")
    import_response_file(wave, content=paper, filename="returns.csv")

    # One analysis job for the import that changed answers; none for the one that changed nothing.
    assert (
        OutboxMessage.objects.filter(
            task_name="analysis.tasks.analyse_closed_wave", kwargs__wave_id=wave.pk
        ).count()
        == 1
    )


def test_telephone_answers_keep_their_mode_and_language_falls_back_to_the_members(db):
    wave, theme, activities = small_wave()
    member = PanelMemberFactory(council=wave.council, external_id="P-1", preferred_language="cy")
    issue_invitation(wave, member=member)
    Assignment.objects.create(wave=wave, member=member, arm="a", scheme="simple")
    content = paper_file(
        wave,
        theme,
        activities,
        [
            {
                "external_id": "P-1",
                "mode": "3",
                "submitted_at": "2026-03-04T10:15:00Z",
                f"t{theme.pk}_a{activities[0].pk}": "1",
                f"t{theme.pk}_a{activities[1].pk}": "0",
                "ward": "'-West",
            }
        ],
    )

    import_response_file(wave, content=content, filename="returns.csv")

    response = Response.objects.get(wave=wave, member=member)
    assert response.mode == ResponseMode.PHONE
    assert response.language == "cy"
    assert response.ward == "-West"
    assert response.submitted_at == datetime(2026, 3, 4, 10, 15, tzinfo=UTC)
    assert dict(
        ActivityAnswer.objects.filter(theme_answer__response=response).values_list(
            "activity_id", "done"
        )
    ) == {activities[0].pk: True, activities[1].pk: False}


def test_erasing_a_member_empties_the_response_files_that_name_them(db):
    from experiments.models import ResponseUpload
    from panel.erasure import erase_member

    # Given an uploaded file and a stored report that name a member by external id
    wave, theme, activities = small_wave()
    member = PanelMemberFactory(council=wave.council, external_id="PAPER-ERASE-ME")
    issue_invitation(wave, member=member)
    content = paper_file(wave, theme, activities, [{"external_id": "PAPER-ERASE-ME", "mode": "2"}])
    report = check_response_file(wave, content=content + b"PAPER-ERASE-ME,2\n", filename="r.csv")
    upload = ResponseUpload.objects.create(
        council=wave.council, wave=wave, filename="r.csv", content=content, report=report.as_dict()
    )
    assert "PAPER-ERASE-ME" in str(upload.report)

    # When the member is erased
    erase_member(SYSTEM, member, keep_answers=False)

    # Then neither the file nor its report holds the id
    upload.refresh_from_db()
    assert bytes(upload.content) == b""
    assert "PAPER-ERASE-ME" not in str(upload.report)


def test_the_analysis_of_a_closed_wave_counts_responses_by_mode(db):
    from analysis.report import build_report
    from analysis.runs import execute_run, run_for_closed_wave

    # Given a closed wave of eight members (member 0 partial) whose last four answered on paper
    wave, _themes, members = build_wave(members=8)
    rows = read_rows(as_paper_returns(wide_csv(wave), wave, members))
    Response.objects.filter(wave=wave, member__in=members[4:]).delete()

    # When those four rows are imported and the analysis it queued runs
    import_response_file(wave, content=write_rows(rows[4:]), filename="returns.csv")
    run = execute_run(run_for_closed_wave(wave.pk).pk)

    # Then the results count the complete responses of each mode
    assert run.results["modes"] == {"web": 3, "paper": 4, "phone": 0}
    assert build_report(run.results)["modes"] == [
        {"label": "Online", "n": 3},
        {"label": "Paper", "n": 4},
    ]


# --- The tidy layout ------------------------------------------------------------------------


def tidy_csv(wave) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "tidy.csv"
        jobs.write_export(path, wave_ids=[wave.pk], format=ExportFormat.CSV_TIDY)
        return path.read_bytes()


def test_the_tidy_export_imported_again_reproduces_the_analysis_too(db):
    # Given a closed wave, its tables, and its tidy export (a row per response × theme) keyed
    wave, _themes, members = build_wave(members=40, seed=11)
    before = tables(wave)
    paper = as_paper_returns(tidy_csv(wave), wave, members)

    # When its answers are deleted and the tidy file is imported
    Response.objects.filter(wave=wave).delete()
    result = import_response_file(wave, content=paper, filename="returns.csv")

    # Then one response per member is back and every table is the same
    assert (result.created, result.updated) == (40, 0)
    assert tables(wave) == before


def test_a_tidy_files_problems_point_at_the_row_and_column_typed(db):
    # Given a tidy export of two members (rows 2–3 the first, 4–5 the second)
    wave, _themes, members = build_wave(members=2, seed=3)
    rows = read_rows(as_paper_returns(tidy_csv(wave), wave, members))
    assert [row["external_id"] for row in rows] == ["PAPER-0000"] * 2 + ["PAPER-0001"] * 2
    rows[1]["collective"] = "5"  # the first member's second theme
    rows[3]["act2"] = "x"
    rows[2]["birth_year"] = str(int(rows[3]["birth_year"]) + 1)
    rows.append({**rows[0], "act4": "1"})
    header = [*read_rows(as_paper_returns(tidy_csv(wave), wave, members))[0], "act4"]
    Response.objects.filter(wave=wave).delete()

    report = check_response_file(wave, content=write_rows(rows, header), filename="r.csv")

    assert [(p.row, p.column) for p in report.problems] == [
        (1, "act4"),  # an unknown column: the themes have three activities
    ]
    header.remove("act4")
    for row in rows:
        row.pop("act4", None)
    rows[-1]["act3"] = ""
    report = check_response_file(wave, content=write_rows(rows, header), filename="r.csv")
    assert problems(report) == [
        (
            5,
            "birth_year",
            "The value differs from the one on row 4: a response has one value for all its themes.",
        ),
        (6, "theme", "The member's answers on this theme are already on row 2."),
        (
            3,
            "collective",
            "“5” is not one of the codes of this question: 1 = Often, 2 = Sometimes, 3 = Never.",
        ),
        (5, "act2", "“x” is not one of the codes of this question: 0 = No, 1 = Yes."),
    ]
    assert Response.objects.filter(wave=wave).count() == 0


def test_an_xlsx_workbook_is_read_like_the_csv(one_member_wave):
    import openpyxl

    # Given the same row typed in a spreadsheet, with a real date cell and numeric codes
    wave, theme, _activities = one_member_wave
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "mode", "arm", "submitted_at", f"t{theme.pk}_efficacy"])
    # Spreadsheet cells hold naive times.
    sheet.append(["P-1", 2, 1, datetime(2026, 3, 5, 18, 30), 1])  # noqa: DTZ001
    buffer = io.BytesIO()
    workbook.save(buffer)

    # When it is imported
    import_response_file(wave, content=buffer.getvalue(), filename="returns.xlsx")

    # Then the codes and the time are stored as typed (times are UTC)
    response = Response.objects.get(wave=wave)
    assert response.submitted_at == datetime(2026, 3, 5, 18, 30, tzinfo=UTC)
    assert ThemeAnswer.objects.get(response=response).efficacy == 1


def test_the_database_refuses_a_mode_outside_its_choices(db):
    from django.db import IntegrityError, transaction

    wave, _theme, _activities = small_wave()
    member = PanelMemberFactory(council=wave.council)

    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(wave=wave, member=member, mode="fax")
    assert Response.objects.create(wave=wave, member=member).mode == ResponseMode.WEB
