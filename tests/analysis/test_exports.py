"""Research exports read back with real clients (pandas, pyreadstat) against the database."""

import csv
import datetime as dt
import hashlib
import html
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from analysis.models import AnalysisRun, RunStatus
from analysis.plan import AnalysisPlan
from analysis.runs import execute_run
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council
from experiments.demo import write_synthetic_wave
from experiments.design import ensure_design_frozen
from experiments.invitations import issue_invitation
from experiments.models import (
    ActivityAnswer,
    Assignment,
    CouncilRole,
    Response,
    ThemeAnswer,
    WaveStatus,
)
from exports import bundle, cells, jobs, writers
from exports.models import Export, ExportFormat, ExportStatus
from exports.pseudonyms import council_key, pseudonym
from surveyplatform.domain import NotFound
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    PanelMemberFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
    guards_off,
)

# Text a spreadsheet would run as a formula, and text that must survive exactly.
WARDS = [
    '=HYPERLINK("http://x")',
    "+44 1234",
    "-5",
    "@SUM(A1)",
    "\tTabbed",
    "\rReturn",
    "Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    'Line one\nline "two", three',
]
GUARDED = {ward: ("'" + ward if ward[0] in "=+-@\t\r" else ward) for ward in WARDS}
ARMS = ["ab", "a", "b", "none"]
ARM_CODES = {"ab": 1, "a": 2, "b": 3, "none": 4}
NO_ANALYSIS_YET = (
    "No finished analysis yet. The analysis runs when the wave closes; this page shows it "
    "once it is done."
)
# Activity answers of member i on activity j follow DONE[(i + j) % 3].
DONE = [True, False, None]


def build_closed_wave(council=None, *, wards=WARDS):
    """Return a closed wave of one theme with three activities, answered by each ward."""
    council = council or CouncilFactory(name="Cyngor Sir Ynys Môn")
    wave = WaveFactory(council=council, title="Spring wave")
    wave_theme = WaveThemeFactory(wave=wave)
    activities = [
        ActivityFactory(
            theme=wave_theme.theme, text_en=f"Pick up litter {n}", text_cy=f"Codi sbwriel {n}"
        )
        for n in range(3)
    ]
    members = []
    for i, ward in enumerate(wards):
        member = PanelMemberFactory(council=council, external_id=f"EXTID-{council.pk}-{i:04d}")
        MemberContactFactory(
            member=member, email=f"unique.person{i}@example.org", name=f"Gwenllian Unique{i}"
        )
        issue_invitation(wave, member=member)
        Assignment.objects.create(wave=wave, member=member, arm=ARMS[i % 4], scheme="simple")
        response = Response.objects.create(
            wave=wave,
            member=member,
            status="complete",
            submitted_at=timezone.now(),
            language="cy" if i % 2 else "en",
            birth_year=1950 + i,
            ward=ward,
        )
        answer = ThemeAnswer.objects.create(
            response=response,
            theme=wave_theme.theme,
            collective=i % 3 + 1,
            time_now=i % 4 + 1,
            efficacy=2,
            satisfaction_information=9,
        )
        for j, activity in enumerate(activities):
            ActivityAnswer.objects.create(
                theme_answer=answer, activity=activity, done=DONE[(i + j) % 3]
            )
        members.append(member)
    wave.status = WaveStatus.CLOSED
    wave.closed_at = timezone.now()
    wave.save()
    return wave, wave_theme.theme, activities, members


def expected_index(i: int) -> float:
    """Independent statement of the rule: yes ÷ answered, when at least half answered."""
    answers = [DONE[(i + j) % 3] for j in range(3)]
    answered = [a for a in answers if a is not None]
    return sum(answered) / len(answered)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def export_bytes(wave_ids, format, labels="en") -> bytes:
    """Write one export straight through the domain function and return its bytes."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"export.{writers.EXTENSIONS[format]}"
        jobs.write_export(path, wave_ids=wave_ids, format=format, labels=labels)
        return path.read_bytes()


def read_csv(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(
        io.BytesIO(data),
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
        dtype={"ward": str, "pseudonym": str},
    )


def test_tidy_csv_reads_back_with_the_values_of_the_database(db):
    # Given a closed wave answered from eight wards
    wave, theme, _activities, members = build_closed_wave()

    # When it is exported as tidy CSV and read back with pandas
    frame = read_csv(export_bytes([wave.pk], ExportFormat.CSV_TIDY))

    # Then every row holds the member's pseudonym, codes and derived indices
    key = council_key(wave.council_id)
    assert len(frame) == len(WARDS)
    for i, row in frame.iterrows():
        assert row["pseudonym"] == pseudonym(members[i].pk, key=key)
        assert row["council"] == wave.council_id
        assert row["wave"] == wave.pk
        assert row["theme"] == theme.pk
        assert row["arm"] == ARM_CODES[ARMS[i % 4]]
        assert row["language"] == (2 if i % 2 else 1)
        assert row["birth_year"] == 1950 + i
        assert row["ward"] == GUARDED[WARDS[i]]
        assert row["collective"] == i % 3 + 1
        assert row["satisfaction_information"] == 9
        assert pd.isna(row["conditions"])
        for j in range(3):
            done, value = DONE[(i + j) % 3], row[f"act{j + 1}"]
            assert pd.isna(value) if done is None else value == int(done)
        assert row["activities_answered"] == 2
        assert row["individual_index"] == pytest.approx(expected_index(i))
        assert row["collective_any"] == (1 if i % 3 + 1 in (1, 2) else 0)
        assert row["gives_time"] == (1 if i % 4 + 1 >= 3 else 0)
    # Numbers stay numbers: the code columns are parsed as numbers, not text.
    assert frame["collective"].dtype.kind in "if"


def test_wide_csv_has_one_row_per_response_with_theme_prefixed_columns(db):
    wave, theme, activities, _members = build_closed_wave()

    frame = read_csv(export_bytes([wave.pk], ExportFormat.CSV_WIDE))

    assert len(frame) == len(WARDS)
    prefix = f"t{theme.pk}_"
    assert f"{prefix}collective" in frame.columns
    for i, row in frame.iterrows():
        assert row["ward"] == GUARDED[WARDS[i]]
        for j, activity in enumerate(activities):
            done = DONE[(i + j) % 3]
            value = row[f"{prefix}a{activity.pk}"]
            assert pd.isna(value) if done is None else value == int(done)
        assert row[f"{prefix}individual_index"] == pytest.approx(expected_index(i))


@pytest.mark.parametrize(
    ("format", "reader"),
    [(ExportFormat.STATA, pyreadstat.read_dta), (ExportFormat.SPSS, pyreadstat.read_sav)],
)
def test_stata_and_spss_files_carry_values_variable_labels_and_value_labels(
    db, format, reader, tmp_path
):
    # Given a closed wave
    wave, theme, _activities, members = build_closed_wave()

    # When it is exported and read back with pyreadstat
    path = tmp_path / f"data.{writers.EXTENSIONS[format]}"
    path.write_bytes(export_bytes([wave.pk], format))
    frame, meta = reader(str(path))

    # Then values, variable labels and value labels match the database and the instrument
    key = council_key(wave.council_id)
    assert list(frame["pseudonym"]) == [pseudonym(m.pk, key=key) for m in members]
    assert list(frame["ward"]) == [GUARDED[ward] for ward in WARDS]
    assert list(frame["collective"]) == [i % 3 + 1 for i in range(len(WARDS))]
    assert list(frame["arm"]) == [ARM_CODES[ARMS[i % 4]] for i in range(len(WARDS))]
    assert list(frame["individual_index"]) == pytest.approx(
        [expected_index(i) for i in range(len(WARDS))]
    )
    labels = meta.column_names_to_labels
    assert labels["ward"] == "Which ward do you live in?"
    # The wording the wave asked of its one theme, the local environment.
    assert labels["collective"].startswith(
        "How often do you work with other people in groups to improve the local"
    )
    values = meta.variable_value_labels
    assert values["collective"] == {1: "Often", 2: "Sometimes", 3: "Never"}
    assert values["arm"] == {1: "A and B", 2: "A only", 3: "B only", 4: "None"}
    assert values["language"] == {1: "English", 2: "Cymraeg"}
    assert values["theme"] == {theme.pk: theme.name_en}
    stata = format == ExportFormat.STATA
    assert values["act1"] == {0: "No", 1: "Yes", ("c" if stata else -1): "Not asked"}
    assert values["satisfaction_information"]["a" if stata else 9] == "Don't know"
    coded = {"collective", "time_now", "time_more", "conditions", "efficacy", "status"}
    assert coded <= set(values)
    # Codes are stored as integers, which Stata's value labels need.
    # Stata picks the smallest integer type holding the codes; SPSS stores every number as double.
    assert meta.readstat_variable_types["collective"] == (
        "int8" if format == ExportFormat.STATA else "double"
    )


def test_welsh_labels_are_available_for_stata(db, tmp_path):
    wave, theme, _activities, _members = build_closed_wave()

    path = tmp_path / "data.dta"
    path.write_bytes(export_bytes([wave.pk], ExportFormat.STATA, labels="cy"))
    _frame, meta = pyreadstat.read_dta(str(path))

    assert meta.column_names_to_labels["council"] == "Cyngor"
    assert meta.variable_value_labels["theme"] == {theme.pk: theme.name_cy}
    assert meta.variable_value_labels["act1"] == {0: "Na", 1: "Ie", "c": "Heb ei ofyn"}


def test_codebook_describes_every_variable_in_both_languages(db):
    wave, theme, activities, _members = build_closed_wave()

    data = export_bytes([wave.pk], ExportFormat.CODEBOOK_CSV)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    html = export_bytes([wave.pk], ExportFormat.CODEBOOK_HTML).decode()

    by_name = {(row["file"], row["variable"], row["theme"]): row for row in rows}
    collective = by_name[("wide", f"t{theme.pk}_collective", theme.name_en)]
    assert collective["codes_en"] == "1 = Often; 2 = Sometimes; 3 = Never"
    assert collective["question_cy"].startswith("Pa mor aml")
    assert collective["waves"] == "Spring wave"
    index = by_name[("tidy", "individual_index", "")]
    assert "at least half" in index["derivation"]
    gives = by_name[("tidy", "gives_time", "")]
    assert "a few hours a month" in gives["derivation"]
    act2 = by_name[("tidy", "act2", theme.name_en)]
    assert (act2["question_en"], act2["question_cy"]) == (
        activities[1].text_en,
        activities[1].text_cy,
    )
    assert "Codi sbwriel 1" in html
    assert "individual_index" in html


def test_results_json_holds_the_latest_done_analysis_run(db):
    wave, _theme, _activities, _members = build_closed_wave()
    AnalysisRun.objects.create(
        wave=wave,
        status=RunStatus.DONE,
        results={"cases": [1]},
        finished_at=timezone.now() - timezone.timedelta(days=1),
    )
    latest = AnalysisRun.objects.create(
        wave=wave, status=RunStatus.DONE, results={"cases": [2]}, finished_at=timezone.now()
    )
    AnalysisRun.objects.create(wave=wave, status=RunStatus.FAILED)

    results = json.loads(export_bytes([wave.pk], ExportFormat.RESULTS_JSON))

    assert results["waves"][0]["analysis_run_id"] == latest.pk
    assert results["waves"][0]["results"] == {"cases": [2]}


def test_formula_text_is_guarded_in_every_format_and_nothing_else_changes(db, tmp_path):
    wave, _theme, _activities, _members = build_closed_wave()

    for format in (ExportFormat.CSV_TIDY, ExportFormat.CSV_WIDE):
        frame = read_csv(export_bytes([wave.pk], format))
        assert list(frame["ward"]) == [GUARDED[ward] for ward in WARDS]
        assert frame["ward"][6] == WARDS[6]  # Welsh, emoji, a comma: exact
        assert frame["ward"][7] == WARDS[7]  # a newline, quotes and a comma: exact
    for format, reader in (
        (ExportFormat.STATA, pyreadstat.read_dta),
        (ExportFormat.SPSS, pyreadstat.read_sav),
    ):
        path = tmp_path / f"x.{writers.EXTENSIONS[format]}"
        path.write_bytes(export_bytes([wave.pk], format))
        frame, _meta = reader(str(path))
        assert list(frame["ward"]) == [GUARDED[ward] for ward in WARDS]


def test_codebook_csv_guards_formula_text_typed_by_an_admin(db):
    wave, theme, _activities, _members = build_closed_wave(wards=["Central"])
    ActivityFactory(theme=theme, text_en="=cmd|' /C calc'!A0", text_cy="@Gymraeg")

    rows = list(
        csv.reader(
            io.StringIO(export_bytes([wave.pk], ExportFormat.CODEBOOK_CSV).decode("utf-8-sig"))
        )
    )

    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'@Gymraeg" in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    assert not any(cell.startswith("-") for cell in cells)


def test_pseudonyms_are_stable_within_a_council_and_differ_across_councils(db, settings):
    # Given the same member id under two councils' keys, and two exports of one wave
    wave, _theme, _activities, members = build_closed_wave(wards=["Central", "North"])
    first = read_csv(export_bytes([wave.pk], ExportFormat.CSV_TIDY))
    second = read_csv(export_bytes([wave.pk], ExportFormat.CSV_WIDE))

    # Then the pseudonyms agree across exports, differ between members and councils
    assert list(first["pseudonym"]) == list(second["pseudonym"])
    assert first["pseudonym"].nunique() == 2
    assert pseudonym(members[0].pk, key=council_key(1)) != pseudonym(
        members[0].pk, key=council_key(2)
    )
    assert len(first["pseudonym"][0]) == 32

    # And another master key gives other pseudonyms
    settings.PSEUDONYM_KEY = "another-master-key"
    assert (
        read_csv(export_bytes([wave.pk], ExportFormat.CSV_TIDY))["pseudonym"][0]
        != first["pseudonym"][0]
    )


def bundle_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_no_identifier_appears_in_any_export_byte_stream(db):
    # Given a wave whose members have contact details, external ids and invitation tokens
    wave, _theme, _activities, members = build_closed_wave()
    secrets = [wave.seed]
    for member in members:
        secrets += [
            member.contact.email,
            member.contact.name,
            member.external_id,
            member.invitations.get().token_hash,
        ]

    # When every format is exported (the bundle holds all of them)
    streams = {format: export_bytes([wave.pk], format) for format in ExportFormat.values}
    streams.update(bundle_files(streams[ExportFormat.BUNDLE]))

    # Then none of them contains any identifier, in UTF-8 or in UTF-16
    for name, data in streams.items():
        for secret in secrets:
            assert secret.encode() not in data, (name, secret)
            assert secret.encode("utf-16-le") not in data, (name, secret)
    tidy = read_csv(streams["data/tidy.csv"])
    assert "member_id" not in tidy.columns
    assert not set(tidy["pseudonym"]) & {str(member.pk) for member in members}


def test_bundle_manifest_hashes_match_its_files(db):
    wave, _theme, _activities, _members = build_closed_wave()

    files = bundle_files(export_bytes([wave.pk], ExportFormat.BUNDLE))

    manifest = json.loads(files.pop("manifest.json"))
    assert (
        set(manifest["files"])
        == set(files)
        == {
            "data/tidy.csv",
            "data/wide.csv",
            "data/tidy.dta",
            "data/tidy.sav",
            "codebook.html",
            "codebook.csv",
            "results.json",
            "design/design.json",
            "design/allocation.csv",
            f"report/wave-{wave.pk}.html",
            f"plan/wave-{wave.pk}.json",
            "README.md",
            "reproduce/reproduce_tables.py",
            "reproduce/codes.json",
        }
    )
    for name, data in files.items():
        assert manifest["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    assert set(manifest["versions"]) >= {"python", "django", "pandas", "statsmodels"}
    allocation = read_csv(files["design/allocation.csv"])
    assert list(allocation.columns) == bundle.ALLOCATION_COLUMNS
    assert sorted(allocation["arm"]) == sorted(ARMS * 2)


def analysed_wave(**wave_fields):
    """Return a closed wave of 80 synthetic respondents with a finished analysis."""
    wave = WaveFactory(status="closed", **wave_fields)
    theme = ThemeFactory(council=wave.council, name_en="Local environment")
    for position in range(3):
        ActivityFactory(theme=theme, position=position)
    wave.wave_themes.create(theme=theme)
    spec = CouncilSpec(
        council="Testshire",
        respondents=80,
        experiment=True,
        themes=(ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4),),
    )
    write_synthetic_wave(
        wave, generate_council(spec, seed=2), themes={"Local environment": theme}, seed=2
    )
    return wave


def test_bundle_holds_each_waves_report_and_the_plan_frozen_at_opening(db):
    # Given a wave whose design (with its plan) was frozen at opening, whose plan was then
    # changed, and which was analysed under the changed plan
    wave = analysed_wave(analysis_plan={"ri_draws": 500})
    digest, design = ensure_design_frozen(wave)
    promised = design["analysis_plan"]
    with guards_off("wave"):  # the database refuses this change; suppose it got through
        wave.analysis_plan = {"ri_draws": 800}
        wave.save(update_fields=["analysis_plan"])
    run = execute_run(AnalysisRun.objects.create(wave=wave).pk)

    # When the bundle is exported
    files = bundle_files(export_bytes([wave.pk], ExportFormat.BUNDLE))

    # Then the report is the wave's analysis, naming the plan the run used
    report = files[f"report/wave-{wave.pk}.html"].decode("utf-8")
    assert "Table 1. Levels of individual and collective co-production" in report
    assert run.plan_hash[:12] in report
    assert "<style>" in report  # standalone: readable from the zip without the server
    # And the plan is the one frozen at opening, not the one changed afterwards
    plan = json.loads(files[f"plan/wave-{wave.pk}.json"])
    assert promised["ri_draws"] == 500
    assert plan == {
        "wave_id": wave.pk,
        "design_hash": digest,
        "plan_hash": AnalysisPlan.from_dict(promised).plan_hash,
        "analysis_plan": promised,
    }
    assert plan["plan_hash"] != run.plan_hash
    # And both are listed in the manifest with their SHA-256
    manifest = json.loads(files["manifest.json"])
    for name in (f"report/wave-{wave.pk}.html", f"plan/wave-{wave.pk}.json"):
        assert manifest["files"][name]["sha256"] == hashlib.sha256(files[name]).hexdigest()


def test_bundle_report_of_a_wave_without_analysis_says_so_in_the_labels_language(db):
    wave, _theme, _activities, _members = build_closed_wave()

    files = bundle_files(export_bytes([wave.pk], ExportFormat.BUNDLE, labels="cy"))

    report = html.unescape(files[f"report/wave-{wave.pk}.html"].decode("utf-8"))
    with translation.override("cy"):
        welsh = translation.gettext(NO_ANALYSIS_YET)
    assert welsh != NO_ANALYSIS_YET
    assert welsh in report
    assert NO_ANALYSIS_YET not in report


def test_pooled_export_of_two_councils_needs_access_to_both(
    db, media, client, django_capture_on_commit_callbacks
):
    # Given waves of two councils and a researcher of only the first
    wave_one, *_ = build_closed_wave(CouncilFactory(), wards=["Central"])
    wave_two, *_ = build_closed_wave(CouncilFactory(), wards=["North"])
    researcher = UserFactory()
    CouncilMembershipFactory(user=researcher, council=wave_one.council, role=CouncilRole.RESEARCHER)

    # When they ask for both pooled, they are refused and nothing is created
    with pytest.raises(NotFound):
        jobs.request_export(researcher, wave_ids=[wave_one.pk, wave_two.pk], format="csv_tidy")
    assert Export.objects.count() == 0

    # And a superuser's pooled export has both councils' rows
    admin = UserFactory(is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        export = jobs.request_export(admin, wave_ids=[wave_two.pk, wave_one.pk], format="csv_tidy")
    export.refresh_from_db()
    frame = read_csv(jobs.export_path(export).read_bytes())
    assert sorted(frame["council"]) == sorted([wave_one.council_id, wave_two.council_id])
    assert export.wave_ids == sorted([wave_one.pk, wave_two.pk])


def test_an_export_is_made_once_and_downloaded_with_no_store(
    db, media, client, django_capture_on_commit_callbacks
):
    # Given a researcher of the wave's council
    wave, *_ = build_closed_wave()
    researcher = UserFactory()
    CouncilMembershipFactory(user=researcher, council=wave.council, role=CouncilRole.RESEARCHER)
    client.force_login(researcher)

    # When they request the same export twice through the page
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("exports:list"), {"waves": [wave.pk], "format": "sav", "labels": "en"}
            )
        assert response.status_code == 302

    # Then one file was made, and its download streams the exact file, not cached
    export = Export.objects.get()
    assert (export.status, export.attempts) == (ExportStatus.DONE, 1)
    download = client.get(reverse("exports:download", args=[export.pk]))
    body = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert hashlib.sha256(body).hexdigest() == export.sha256
    assert len(body) == export.size
    assert response["Location"] == reverse("exports:detail", args=[export.pk])
    assert client.get(response["Location"]).status_code == 200


def test_another_councils_user_gets_404_and_anonymous_users_must_log_in(
    db, media, client, django_capture_on_commit_callbacks
):
    wave, *_ = build_closed_wave(wards=["Central"])
    with django_capture_on_commit_callbacks(execute=True):
        export = jobs.request_export(
            UserFactory(is_superuser=True), wave_ids=[wave.pk], format="csv_tidy"
        )
    outsider = UserFactory()
    CouncilMembershipFactory(user=outsider, role=CouncilRole.RESEARCHER)

    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("exports:detail", args=[export.pk])).status_code == 404
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404
    response = client.post(
        reverse("exports:list"), {"waves": [wave.pk], "format": "csv_tidy", "labels": "en"}
    )
    assert response.status_code == 200
    assert "waves" in response.context["form"].errors
    assert Export.objects.count() == 1


def test_an_open_wave_is_refused_with_a_clear_message(db, media):
    wave, *_ = build_closed_wave(wards=["Central"])
    wave.status = WaveStatus.OPEN
    wave.save()

    with pytest.raises(
        cells.ExportError,
        match=r"Only closed waves can be exported; still open or in draft: Spring wave\.",
    ):
        jobs.request_export(UserFactory(is_superuser=True), wave_ids=[wave.pk], format="dta")
    assert Export.objects.count() == 0


def test_a_failed_export_leaves_no_downloadable_file(
    db, media, client, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a writer that dies half way through the file
    wave, *_ = build_closed_wave()

    def half_written(path, variables, records):
        path.write_bytes(b"pseudonym,council\r\nabc,1\r\n")
        raise RuntimeError("worker killed")

    monkeypatch.setattr(writers, "write_csv", half_written)
    admin = UserFactory(is_superuser=True)

    # When the export runs
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        export = jobs.request_export(admin, wave_ids=[wave.pk], format="csv_tidy")

    # Then it is failed, no file (partial or final) is left, and the download is 404
    export = Export.objects.get()
    assert (export.status, export.file_path, export.error) == (
        ExportStatus.FAILED,
        "",
        "RuntimeError: worker killed",
    )
    assert list((media / "exports").iterdir()) == []
    client.force_login(admin)
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404


def test_a_running_export_of_a_killed_worker_is_not_downloadable(db, media, client):
    wave, *_ = build_closed_wave(wards=["Central"])
    admin = UserFactory(is_superuser=True)
    export = Export.objects.create(
        format="csv_tidy",
        wave_ids=[wave.pk],
        council_ids=[wave.council_id],
        requested_by=admin,
        input_hash="0" * 64,
        status=ExportStatus.RUNNING,
    )
    (media / "exports").mkdir()
    (media / "exports" / ".partial-abc.tmp").write_bytes(b"half")

    client.force_login(admin)

    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404


def test_a_second_delivery_while_the_export_is_written_leaves_it_to_the_first(
    db, media, monkeypatch
):
    # given an export whose job is delivered again (a sweeper resend) while it is writing
    wave, *_ = build_closed_wave(wards=["Central"])
    export = jobs.request_export(
        UserFactory(is_superuser=True), wave_ids=[wave.pk], format="csv_tidy"
    )
    write = jobs.write_export
    written, seen_by_second = [], []

    def write_while_delivered_again(path, **kwargs):
        written.append(1)
        if len(written) == 1:
            seen_by_second.append(jobs.execute_export(export.pk))
        write(path, **kwargs)

    monkeypatch.setattr(jobs, "write_export", write_while_delivered_again)

    # when the first delivery ends
    jobs.execute_export(export.pk)

    # then the second found it held and wrote nothing; the first made it done once
    assert seen_by_second[0].status == ExportStatus.RUNNING
    assert len(written) == 1
    export.refresh_from_db()
    path = jobs.export_path(export)
    assert (export.status, export.attempts) == (ExportStatus.DONE, 1)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == export.sha256
    assert sorted(p.name for p in (media / "exports").iterdir()) == [path.name]


def test_a_worker_that_lost_its_claim_leaves_the_file_of_the_one_that_took_over(
    db, media, monkeypatch
):
    # given an export whose first worker stops renewing its claim while writing, and a
    # sweeper resend that takes the export over and ends first
    wave, *_ = build_closed_wave(wards=["Central"])
    export = jobs.request_export(
        UserFactory(is_superuser=True), wave_ids=[wave.pk], format="csv_tidy"
    )
    write = jobs.write_export
    ended_first = []

    def write_then_lose_the_claim(path, **kwargs):
        if not ended_first:
            Export.objects.filter(pk=export.pk).update(
                lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
            monkeypatch.setattr(jobs, "write_export", write)
            done = jobs.execute_export(export.pk)
            ended_first.append((done.finished_at, jobs.export_path(done).stat().st_ino))
        write(path, **kwargs)

    monkeypatch.setattr(jobs, "write_export", write_then_lose_the_claim)

    # when the first worker ends its file
    jobs.execute_export(export.pk)

    # then the export became done once: the file of the one that took over stays, and no
    # partial file is left
    export.refresh_from_db()
    path = jobs.export_path(export)
    assert (export.status, export.attempts) == (ExportStatus.DONE, 2)
    assert (export.finished_at, path.stat().st_ino) == ended_first[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == export.sha256
    assert sorted(p.name for p in (media / "exports").iterdir()) == [path.name]


def test_the_list_shows_exports_of_the_users_councils_only(
    db, media, client, django_capture_on_commit_callbacks
):
    # Given an export of each of two councils, and a researcher of the first
    wave_one, *_ = build_closed_wave(CouncilFactory(), wards=["Central"])
    wave_two, *_ = build_closed_wave(CouncilFactory(), wards=["North"])
    admin = UserFactory(is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        mine = jobs.request_export(admin, wave_ids=[wave_one.pk], format="csv_wide")
        jobs.request_export(admin, wave_ids=[wave_two.pk], format="csv_wide")
    researcher = UserFactory()
    CouncilMembershipFactory(user=researcher, council=wave_one.council, role=CouncilRole.RESEARCHER)
    client.force_login(researcher)

    # When they open the exports page
    response = client.get(reverse("exports:list"))

    # Then they see the first council's export and may choose only its wave
    assert response.status_code == 200
    assert response.context["exports"] == [mine]
    choices = response.context["form"].fields["waves"].choices
    assert [(council, [pk for pk, _label in waves]) for council, waves in choices] == [
        (wave_one.council.name, [wave_one.pk])
    ]


def test_leftovers_of_killed_workers_are_swept_when_old(db, media):
    # Given an old and a fresh partial file, as a killed worker leaves them
    directory = media / "exports"
    directory.mkdir()
    old, fresh = directory / ".partial-old.tmp", directory / ".partial-fresh.tmp"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(old, (0, 0))

    # When the next export sweeps the directory
    jobs.sweep_partial_files(directory)

    # Then only the old one is gone (the fresh one may belong to a running job)
    assert sorted(path.name for path in directory.iterdir()) == [".partial-fresh.tmp"]
