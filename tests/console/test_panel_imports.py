import io

import openpyxl
import pytest

from panel.imports import PanelFileError, check_panel_file, import_panel_file
from panel.models import MemberContact, MemberStatus, PanelMember
from tests.factories import CouncilFactory, PanelMemberFactory

HEADER = "external_id,email,name,preferred_language,ward,age_band,gender,household_key\n"


def problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def test_a_dry_run_reports_every_problem_by_row_and_column():
    # Given a file with one problem of each kind on known rows
    content = (
        HEADER
        + "P1,p1@example.org,Ann,en,North,18-34,female,H1\n"
        + "P2,not-an-email,Bob,cy,North,35-54,male,H2\n"
        + "P3,p3@example.org,Cat,fr,South,,,\n"
        + "P1,p4@example.org,Dan,en,South,,,\n"
        + 'P5,p5@example.org,=HYPERLINK("x"),en,South,,,\n'
        + "P6,p6@example.org,Eve,en,@ward,,,\n"
        + ",p7@example.org,Fay,en,,,,\n"
    ).encode()

    report = check_panel_file(content, filename="panel.csv")

    assert problems(report) == [
        (3, "email", "“not-an-email” is not an e-mail address."),
        (4, "preferred_language", "Unknown language “fr”: use en or cy."),
        (5, "external_id", "The external id “P1” is already used on row 2."),
        (6, "name", "The cell starts with “=”, which a spreadsheet may run as a formula."),
        (7, "ward", "The cell starts with “@”, which a spreadsheet may run as a formula."),
        (8, "external_id", "The external id is empty."),
    ]
    assert [row["external_id"] for row in report.rows] == ["P1"]


def test_a_file_that_is_not_utf8_is_refused_with_the_byte_position():
    content = (HEADER + "P1,p1@example.org,Siân,cy,,,,\n").encode("latin-1")

    report = check_panel_file(content, filename="panel.csv")

    # The header is 77 bytes and "P1,p1@example.org,Si" 20 more, so "â" is byte 98.
    assert len(HEADER) + len("P1,p1@example.org,Si") + 1 == 98
    assert problems(report) == [
        (
            None,
            "",
            "The file is not UTF-8 text (byte 98 cannot be read). "
            "Save it as “CSV UTF-8” and upload it again.",
        )
    ]


def test_missing_required_columns_are_named():
    report = check_panel_file(b"id,name\n1,Ann\n", filename="panel.csv")

    assert problems(report) == [
        (1, "external_id", "The required column “external_id” is missing."),
        (1, "email", "The required column “email” is missing."),
        (1, "id", "Unknown column “id”."),
    ]


def test_an_oversize_file_is_refused_before_reading(settings):
    settings.PANEL_IMPORT_MAX_BYTES = 100

    report = check_panel_file(b"x" * 101, filename="panel.csv")

    assert problems(report) == [
        (None, "", "The file is 101 bytes; the largest accepted is 100 bytes.")
    ]


@pytest.mark.django_db
def test_a_file_with_problems_imports_nothing():
    council = CouncilFactory()
    content = (HEADER + "P1,p1@example.org,Ann,en,,,,\nP2,bad,Bob,en,,,,\n").encode()

    with pytest.raises(PanelFileError):
        import_panel_file(council, content=content, filename="panel.csv")

    assert PanelMember.objects.count() == 0
    assert MemberContact.objects.count() == 0


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    # Given a council and a clean file of three members
    council = CouncilFactory()
    content = (
        HEADER
        + "P1,P1@Example.org,Ann,en,North,18-34,female,H1\n"
        + "P2,p2@example.org,Bob,Cymraeg,North,35-54,male,H1\n"
        + "P3,p3@example.org,Cat,,South,55+,,H3\n"
    ).encode()

    # When it is imported twice
    first = import_panel_file(council, content=content, filename="panel.csv")
    snapshot = list(
        PanelMember.objects.order_by("external_id").values_list(
            "pk", "external_id", "preferred_language", "ward", "age_band", "gender", "household_key"
        )
    )
    second = import_panel_file(council, content=content, filename="panel.csv")

    # Then the second import creates nothing and leaves every row as it was
    assert (first.created, first.updated) == (3, 0)
    assert (second.created, second.updated) == (0, 3)
    assert snapshot == [
        (snapshot[0][0], "P1", "en", "North", "18-34", "female", "H1"),
        (snapshot[1][0], "P2", "cy", "North", "35-54", "male", "H1"),
        (snapshot[2][0], "P3", "en", "South", "55+", "", "H3"),
    ]
    assert (
        list(
            PanelMember.objects.order_by("external_id").values_list(
                "pk",
                "external_id",
                "preferred_language",
                "ward",
                "age_band",
                "gender",
                "household_key",
            )
        )
        == snapshot
    )
    assert list(MemberContact.objects.order_by("email").values_list("email", "name")) == [
        ("p1@example.org", "Ann"),
        ("p2@example.org", "Bob"),
        ("p3@example.org", "Cat"),
    ]


@pytest.mark.django_db
def test_an_import_updates_details_but_keeps_a_withdrawal():
    # Given a member who withdrew
    council = CouncilFactory()
    PanelMemberFactory(council=council, external_id="P1", ward="Old", status=MemberStatus.WITHDRAWN)

    # When the council's list, with a new ward, is imported
    result = import_panel_file(
        council, content=(HEADER + "P1,p1@example.org,Ann,en,New,,,\n").encode(), filename="p.csv"
    )

    # Then the ward is updated and the member stays withdrawn
    member = PanelMember.objects.get(council=council, external_id="P1")
    assert (result.created, result.updated) == (0, 1)
    assert (member.ward, member.status) == ("New", MemberStatus.WITHDRAWN)
    assert member.contact.email == "p1@example.org"


@pytest.mark.django_db
def test_an_xlsx_file_imports_like_a_csv():
    # Given a workbook with a numeric id
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["External ID", "Email", "Preferred language"])
    sheet.append([1001, "a@example.org", "cy"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_panel_file(CouncilFactory(), content=buffer.getvalue(), filename="panel.xlsx")

    assert (result.created, result.updated) == (1, 0)
    assert PanelMember.objects.get().external_id == "1001"
    assert PanelMember.objects.get().preferred_language == "cy"


@pytest.mark.django_db
def test_members_of_another_council_with_the_same_id_are_untouched():
    other = PanelMemberFactory(external_id="P1", ward="Elsewhere")

    import_panel_file(
        CouncilFactory(),
        content=(HEADER + "P1,p1@example.org,Ann,en,Here,,,\n").encode(),
        filename="p.csv",
    )

    other.refresh_from_db()
    assert other.ward == "Elsewhere"
    assert PanelMember.objects.filter(external_id="P1").count() == 2


@pytest.mark.django_db
def test_a_nul_byte_in_a_cell_is_reported_and_the_report_can_be_stored():
    from panel.models import PanelUpload

    # Given a file whose name cell holds a NUL byte (Postgres text refuses NUL)
    council = CouncilFactory()
    content = (HEADER + "P1,p1@example.org,An\x00n,en,North,,,\n").encode()

    # When it is checked and its report stored, as the console's upload does
    report = check_panel_file(content, filename="panel.csv")
    upload = PanelUpload.objects.create(
        council=council, filename="panel.csv", content=content, report=report.as_dict()
    )

    # Then the cell is named as a problem, and nothing of the file is imported
    assert problems(report) == [
        (2, "name", "The cell contains a NUL character, which cannot be stored."),
    ]
    assert report.rows == []
    assert "\x00" not in str(PanelUpload.objects.get(pk=upload.pk).report)
