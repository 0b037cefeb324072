"""Waves randomised elsewhere: declared on a draft, frozen at opening, groups from the import."""

import csv
import html
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from analysis.models import AnalysisRun
from analysis.plan import AnalysisPlan
from analysis.report import build_report, definitions
from analysis.report_html import render_preregistration_html, render_results_html
from analysis.runs import execute_run
from audit.models import AuditEntry
from experiments.assignment import AllocationError, assign_member
from experiments.fieldwork import issue_letter_links
from experiments.invitations import RecipientChoice, plan_invitations
from experiments.models import (
    Assignment,
    CouncilRole,
    Response,
    Wave,
    WaveStatus,
)
from experiments.paper import print_paper_copies
from experiments.policy import SYSTEM
from experiments.randomised_elsewhere import (
    declare_randomised_elsewhere,
    declared_allocation,
    withdraw_randomised_elsewhere,
)
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from experiments.waves import close_wave, open_wave, update_wave
from surveyplatform.domain import InvalidInput, InvalidState, NotAllowed, NotFound
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    PanelMemberFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
    make_openable,
)

pytestmark = pytest.mark.django_db

PARTNER = "Cardiff Trials Unit"
SCHEME = "Simple randomisation 1:1:1:1 by the partner's computer, before the postal survey."
ARM_CODES = {"ab": "1", "a": "2", "b": "3", "none": "4"}


def draft_wave(**fields):
    wave = WaveFactory(status=WaveStatus.DRAFT, **fields)
    theme = WaveThemeFactory(wave=wave).theme
    ActivityFactory.create_batch(2, theme=theme)
    make_openable(wave)
    return wave


def external_wave(members=8):
    """Return an open wave declared randomised elsewhere, and its members (none allocated)."""
    wave = draft_wave()
    declare_randomised_elsewhere(SYSTEM, wave, randomised_by=PARTNER, declared_scheme=SCHEME)
    wave = open_wave(SYSTEM, wave)
    people = [
        PanelMemberFactory(council=wave.council, external_id=f"EXT-{i:03d}") for i in range(members)
    ]
    return Wave.objects.get(pk=wave.pk), people


def returns_file(wave, rows: list[dict], *, header=None) -> bytes:
    theme = wave.wave_themes.get().theme
    activities = list(theme.activities.order_by("pk"))
    prefix = f"t{theme.pk}_"
    header = header or [
        "external_id",
        "mode",
        "arm",
        f"{prefix}collective",
        *(f"{prefix}a{activity.pk}" for activity in activities),
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {"mode": "2", **row}
        cells.setdefault(f"{prefix}collective", "2")
        for activity in activities:
            cells.setdefault(f"{prefix}a{activity.pk}", "1")
        writer.writerow(cells)
    return buffer.getvalue().encode()


def problems(report) -> list[tuple]:
    return [(p.row, p.column, p.message) for p in report.problems]


def stored(wave) -> tuple:
    return (
        sorted(Assignment.objects.filter(wave=wave).values_list("member_id", "arm", "scheme")),
        Response.objects.filter(wave=wave).count(),
    )


# --- Declaring ------------------------------------------------------------------------------


def test_declaring_a_draft_wave_records_who_randomised_and_how_and_audits_it():
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    wave = draft_wave(council=admin.council)

    declare_randomised_elsewhere(
        admin.user, wave, randomised_by=f"  {PARTNER} ", declared_scheme=SCHEME
    )

    wave.refresh_from_db()
    assert (wave.randomised_elsewhere, wave.randomised_by, wave.declared_scheme) == (
        True,
        PARTNER,
        SCHEME,
    )
    entry = AuditEntry.objects.get(action="declare_randomised_elsewhere")
    assert entry.user == admin.user
    assert entry.council_id == wave.council_id
    assert entry.details == {"randomised_by": PARTNER, "declared_scheme": SCHEME}


@pytest.mark.parametrize("role", [CouncilRole.RESEARCHER, None])
def test_only_an_admin_of_the_wave_s_council_may_declare_it(role):
    wave = draft_wave()
    user = CouncilMembershipFactory(council=wave.council, role=role).user if role else UserFactory()

    with pytest.raises((NotAllowed, NotFound)):
        declare_randomised_elsewhere(user, wave, randomised_by=PARTNER, declared_scheme=SCHEME)

    wave.refresh_from_db()
    assert not wave.randomised_elsewhere
    assert not AuditEntry.objects.filter(action="declare_randomised_elsewhere").exists()


@pytest.mark.parametrize(
    ("randomised_by", "declared_scheme", "field"),
    [
        ("", SCHEME, "randomised_by"),
        ("   ", SCHEME, "randomised_by"),
        ("Team\nTwo", SCHEME, "randomised_by"),
        ("x" * 201, SCHEME, "randomised_by"),
        (PARTNER, "", "declared_scheme"),
        (PARTNER, "y" * 1001, "declared_scheme"),
    ],
)
def test_a_declaration_needs_who_and_how(randomised_by, declared_scheme, field):
    wave = draft_wave()

    with pytest.raises(InvalidInput) as refused:
        declare_randomised_elsewhere(
            SYSTEM, wave, randomised_by=randomised_by, declared_scheme=declared_scheme
        )

    assert list(refused.value.fields) == [field]
    wave.refresh_from_db()
    assert not wave.randomised_elsewhere


def test_an_opened_wave_or_one_without_the_experiment_cannot_be_declared():
    opened = open_wave(SYSTEM, draft_wave())
    no_experiment = draft_wave(experiment_on=False)

    with pytest.raises(InvalidState, match="Only a draft wave"):
        declare_randomised_elsewhere(SYSTEM, opened, randomised_by=PARTNER, declared_scheme=SCHEME)
    with pytest.raises(InvalidState, match="without the experiment"):
        declare_randomised_elsewhere(
            SYSTEM, no_experiment, randomised_by=PARTNER, declared_scheme=SCHEME
        )

    assert not Wave.objects.filter(randomised_elsewhere=True).exists()


def test_a_draft_declaration_can_be_withdrawn_and_the_wave_allocates_again():
    wave = draft_wave()
    declare_randomised_elsewhere(SYSTEM, wave, randomised_by=PARTNER, declared_scheme=SCHEME)

    withdraw_randomised_elsewhere(SYSTEM, wave)

    wave = open_wave(SYSTEM, Wave.objects.get(pk=wave.pk))
    assert declared_allocation(wave) is None
    member = PanelMemberFactory(council=wave.council)
    assert assign_member(wave, member=member).scheme == wave.allocation_scheme != "external"
    assert AuditEntry.objects.filter(action="withdraw_randomised_elsewhere").count() == 1


# --- The frozen design ----------------------------------------------------------------------


def test_the_frozen_design_records_the_declaration_and_that_it_cannot_be_verified():
    wave, _people = external_wave()

    allocation = wave.design["allocation"]

    assert allocation["scheme"] == "external"
    assert allocation["randomised_by"] == PARTNER
    assert allocation["declared_scheme"] == SCHEME
    assert allocation["verifiable"] is False
    assert allocation["strata"] == []
    assert "generator" not in allocation
    assert "block_sizes" not in allocation


@pytest.mark.parametrize(
    ("field", "value"),
    [("randomised_elsewhere", False), ("randomised_by", "Someone else"), ("declared_scheme", "")],
)
def test_the_database_refuses_to_change_the_declaration_once_the_wave_opened(field, value):
    wave, _people = external_wave()

    with pytest.raises(IntegrityError, match="frozen design"), transaction.atomic():
        Wave.objects.filter(pk=wave.pk).update(**{field: value})


def test_no_other_path_changes_the_declaration_after_opening():
    wave, _people = external_wave()

    with pytest.raises(InvalidState):
        withdraw_randomised_elsewhere(SYSTEM, wave)
    with pytest.raises(InvalidInput):
        update_wave(SYSTEM, wave, randomised_elsewhere=False)


def test_the_pre_registration_states_who_randomised_and_claims_no_generator():
    wave, _people = external_wave()

    document = html.unescape(render_preregistration_html(wave, language="en", standalone=True))

    assert PARTNER in document
    assert SCHEME in document
    assert "the platform cannot verify this allocation" in document
    assert "hmac-sha256" not in document


# --- The platform draws, prints and links nothing -----------------------------------------------


def test_the_platform_draws_no_group_prints_no_copy_and_sends_no_link():
    wave, people = external_wave()

    with pytest.raises(AllocationError):
        assign_member(wave, member=people[0])
    with pytest.raises(InvalidState, match="randomised elsewhere"):
        print_paper_copies(SYSTEM, wave, external_ids=["EXT-000"], kind="paper")
    with pytest.raises(InvalidState, match="randomised elsewhere"):
        plan_invitations(SYSTEM, wave, RecipientChoice(rule="not_invited"))
    with pytest.raises(InvalidState, match="randomised elsewhere"):
        issue_letter_links(SYSTEM, wave)

    assert not Assignment.objects.filter(wave=wave).exists()


# --- Importing answers with their groups ----------------------------------------------------


def test_the_import_takes_each_member_s_group_from_the_arm_column():
    # Given an externally randomised wave and a file giving every member's group
    wave, people = external_wave()
    arms = ["ab", "a", "b", "none"] * 2
    rows = [
        {"external_id": person.external_id, "arm": ARM_CODES[arm]}
        for person, arm in zip(people, arms, strict=True)
    ]
    content = returns_file(wave, rows)

    # When it is checked (a dry run), then imported
    report = check_response_file(wave, content=content, filename="returns.csv")
    after_check = stored(wave)
    result = import_response_file(wave, content=content, filename="returns.csv")

    # Then the dry run wrote nothing, and the import recorded each group under the design
    assert problems(report) == []
    assert report.new == 8
    assert after_check == ([], 0)
    assert result.created == 8
    assignments = Assignment.objects.filter(wave=wave)
    assert sorted(assignments.values_list("member_id", "arm")) == sorted(
        (person.pk, arm) for person, arm in zip(people, arms, strict=True)
    )
    assert set(assignments.values_list("scheme", "design_hash")) == {("external", wave.design_hash)}
    # And the same file again changes nothing
    again = import_response_file(wave, content=content, filename="returns.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    assert assignments.count() == 8


def test_the_import_of_an_externally_randomised_wave_refuses_a_file_without_the_arm_column():
    wave, people = external_wave(members=1)
    theme = wave.wave_themes.get().theme
    content = returns_file(
        wave,
        [{"external_id": people[0].external_id}],
        header=["external_id", "mode", f"t{theme.pk}_collective"],
    )

    report = check_response_file(wave, content=content, filename="returns.csv")

    assert problems(report) == [(1, "arm", "The required column “arm” is missing.")]


def test_missing_and_unknown_groups_and_a_changed_group_are_refused_row_by_row():
    # Given a wave where one member's group was imported before
    wave, _people = external_wave(members=5)
    import_response_file(
        wave,
        content=returns_file(wave, [{"external_id": "EXT-004", "arm": "2"}]),
        filename="first.csv",
    )
    before = stored(wave)
    rows = [
        {"external_id": "EXT-000", "arm": "1"},
        {"external_id": "EXT-001", "arm": ""},
        {"external_id": "EXT-002", "arm": "7"},
        {"external_id": "EXT-003", "arm": "ab"},
        {"external_id": "EXT-004", "arm": "3"},
    ]
    content = returns_file(wave, rows)

    # When the file is checked and imported
    report = check_response_file(wave, content=content, filename="returns.csv")
    with pytest.raises(ResponseFileError):
        import_response_file(wave, content=content, filename="returns.csv")

    # Then every bad row is named, and nothing of the file was stored (all or nothing)
    codes = "1 = A and B, 2 = A only, 3 = B only, 4 = None"
    assert problems(report) == [
        (
            3,
            "arm",
            "The group is missing: this wave was randomised elsewhere, so each row gives the "
            f"member's group in the arm column ({codes}).",
        ),
        (4, "arm", f"“7” is not one of the codes of this question: {codes}."),
        (5, "arm", f"“ab” is not one of the codes of this question: {codes}."),
        (
            6,
            "arm",
            "The group differs from the one imported for this member before; a member's "
            "group never changes once recorded.",
        ),
    ]
    assert stored(wave) == before


def test_a_group_outside_the_frozen_design_is_refused():
    # Given a wave declared randomised elsewhere whose experiment was then turned off, so
    # its design has the no-nudge group only
    wave = draft_wave()
    declare_randomised_elsewhere(SYSTEM, wave, randomised_by=PARTNER, declared_scheme=SCHEME)
    update_wave(SYSTEM, wave, experiment_on=False)
    wave = open_wave(SYSTEM, Wave.objects.get(pk=wave.pk))
    PanelMemberFactory(council=wave.council, external_id="EXT-000")
    PanelMemberFactory(council=wave.council, external_id="EXT-001")

    report = check_response_file(
        wave,
        content=returns_file(
            wave,
            [{"external_id": "EXT-000", "arm": "2"}, {"external_id": "EXT-001", "arm": "4"}],
        ),
        filename="returns.csv",
    )

    assert problems(report) == [
        (
            2,
            "arm",
            "The group is not one of this wave's groups "
            "(1 = A and B, 2 = A only, 3 = B only, 4 = None).",
        )
    ]


def test_an_ordinary_wave_takes_no_group_from_the_file():
    # Given an ordinary open wave whose member was never allocated by the platform
    wave = open_wave(SYSTEM, draft_wave())
    PanelMemberFactory(council=wave.council, external_id="EXT-000")
    content = returns_file(wave, [{"external_id": "EXT-000", "arm": "2"}])

    # When a file gives the member a group
    report = check_response_file(wave, content=content, filename="returns.csv")
    with pytest.raises(ResponseFileError):
        import_response_file(wave, content=content, filename="returns.csv")

    # Then the row is refused and the file allocates nobody
    assert problems(report) == [
        (
            2,
            "external_id",
            "No paper version was printed for this member from the platform and they never "
            "opened their link: print their paper questionnaire first.",
        )
    ]
    assert stored(wave) == ([], 0)


# --- Verification and the report ------------------------------------------------------------


def test_verify_allocation_reports_the_wave_as_not_verifiable_rather_than_failing(capsys):
    wave, people = external_wave(members=4)
    rows = [{"external_id": p.external_id, "arm": str(i % 4 + 1)} for i, p in enumerate(people)]
    import_response_file(wave, content=returns_file(wave, rows), filename="returns.csv")

    call_command("verify_allocation", str(wave.pk))

    assert capsys.readouterr().out == (
        f"Wave {wave.pk}: randomised elsewhere, not verifiable "
        "(4 assignment(s) imported with the answers)\n"
    )


def test_the_report_says_in_its_definitions_that_the_wave_was_randomised_elsewhere():
    # Given an externally randomised wave, imported, closed and analysed
    wave, people = external_wave(members=40)
    rows = [{"external_id": p.external_id, "arm": str(i % 4 + 1)} for i, p in enumerate(people)]
    import_response_file(wave, content=returns_file(wave, rows), filename="returns.csv")
    close_wave(SYSTEM, wave)
    run = execute_run(AnalysisRun.objects.create(wave=wave).pk)

    # When its report is rendered, in English and in Welsh
    english = render_results_html(wave, run, language="en")
    welsh = render_results_html(wave, run, language="cy")

    # Then the definitions box says who randomised, how, and that it cannot be verified
    assert "Randomised elsewhere" in english
    assert PARTNER in english
    assert "The platform cannot verify this allocation" in english
    with translation.override("cy"):
        term = translation.gettext("Randomised elsewhere")
    assert term != "Randomised elsewhere"
    assert term in welsh
    # And an ordinary wave's definitions say nothing of it
    assert all(
        d["term"] != "Randomised elsewhere" for d in build_report(run.results)["definitions"]
    )


# --- The console ----------------------------------------------------------------------------


def test_the_console_declares_a_draft_wave_randomised_elsewhere(client):
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    client.force_login(admin.user)
    wave = draft_wave(council=admin.council)
    url = reverse("console:randomised_elsewhere", args=[wave.pk])

    page = client.get(url)
    refused = client.post(url, {"randomised_by": "", "declared_scheme": SCHEME})
    declared = client.post(url, {"randomised_by": PARTNER, "declared_scheme": SCHEME})
    detail = client.get(reverse("console:wave", args=[wave.pk]))

    assert page.status_code == 200
    assert refused.status_code == 400
    assert declared.status_code == 302
    wave.refresh_from_db()
    assert (wave.randomised_elsewhere, wave.randomised_by) == (True, PARTNER)
    assert f"Randomised elsewhere, by {PARTNER}" in detail.content.decode()


def test_the_console_import_page_of_an_externally_randomised_wave_explains_the_arm_column(client):
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    client.force_login(admin.user)
    wave = draft_wave(council=admin.council)
    declare_randomised_elsewhere(SYSTEM, wave, randomised_by=PARTNER, declared_scheme=SCHEME)
    open_wave(SYSTEM, wave)

    page = client.get(reverse("console:response_import", args=[wave.pk])).content.decode()
    detail = client.get(reverse("console:wave", args=[wave.pk])).content.decode()

    assert "every row gives the member's group in the arm column" in page
    assert reverse("console:invitations", args=[wave.pk]) not in detail
    assert reverse("console:print_paper", args=[wave.pk]) not in detail
    assert reverse("console:wave_close", args=[wave.pk]) in detail


def test_a_run_over_several_waves_names_each_wave_randomised_elsewhere():
    declared = [{"wave": "Partner trial 2025", "by": PARTNER, "scheme": SCHEME}]

    pooled = definitions(AnalysisPlan(), several_waves=True, randomised_elsewhere=declared)
    own = definitions(AnalysisPlan(), randomised_elsewhere=declared)
    ordinary = definitions(AnalysisPlan())

    assert pooled[0]["term"] == own[0]["term"] == "Randomised elsewhere"
    assert pooled[0]["text"].startswith(
        f"Partner trial 2025: The groups were allocated elsewhere, by {PARTNER}"
    )
    assert own[0]["text"].startswith(f"The groups were allocated elsewhere, by {PARTNER}")
    assert SCHEME in own[0]["text"]
    assert len(own) == len(ordinary) + 1
