import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.log import staff_actions
from audit.models import AuditEntry
from console.dashboard import wave_dashboard
from experiments.models import (
    Arm,
    Assignment,
    NudgeText,
    Response,
    ResponseStatus,
    Theme,
    Wave,
    WaveStatus,
)
from outbox.models import OutboxMessage
from panel.models import MemberStatus, PanelMember, PanelUpload
from tests.factories import (
    ActivityFactory,
    MemberContactFactory,
    NudgeTextFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)


def draft_wave(council, *, nudges=True):
    wave = WaveFactory(council=council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=wave).theme
    ActivityFactory(theme=theme)
    if nudges:
        NudgeTextFactory(wave=wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    return wave


def test_the_console_asks_for_sign_in(client, db):
    response = client.get(reverse("console:home"))

    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=/console/"


def test_creating_a_theme_with_activities_is_audited(console_client):
    response = console_client.post(
        reverse("console:theme_create"),
        {
            "council": console_client.council.pk,
            "kind": "environment",
            "name_en": "Local environment",
            "name_cy": "Amgylchedd lleol",
            "activities-TOTAL_FORMS": "2",
            "activities-INITIAL_FORMS": "0",
            "activities-0-text_en": "Picked up litter",
            "activities-0-text_cy": "Codi sbwriel",
            "activities-0-position": "1",
            "activities-1-text_en": "",
            "activities-1-text_cy": "",
            "activities-1-position": "0",
        },
    )

    assert response.status_code == 302
    theme = Theme.objects.get()
    assert (theme.council, theme.name_cy) == (console_client.council, "Amgylchedd lleol")
    assert list(theme.activities.values_list("text_en", flat=True)) == ["Picked up litter"]
    assert list(staff_actions().values_list("action", "summary")) == [
        ("create_theme", "Local environment")
    ]


def test_editing_nudges_adds_versions_and_the_preview_shows_four_arms(console_client):
    # Given a draft wave with nudges v1
    wave = draft_wave(console_client.council)
    theme = wave.themes.get()

    # When the admin changes nudge A only
    response = console_client.post(
        reverse("console:nudges", args=[wave.pk, theme.pk]),
        {
            "a_en": "Your neighbours do this.",
            "a_cy": "Mae eich cymdogion yn gwneud hyn.",
            "b_en": "Nudge B in English",
            "b_cy": "Hwb B yn Gymraeg",
        },
    )

    # Then A has a second version, B is unchanged, and the preview shows each arm's boxes
    assert response.status_code == 302
    assert list(
        NudgeText.objects.filter(wave=wave)
        .order_by("nudge", "version")
        .values_list("nudge", "version")
    ) == [("a", 1), ("a", 2), ("b", 1)]
    preview = console_client.get(reverse("console:preview", args=[wave.pk, theme.pk]))
    body = preview.content.decode()
    sections = body.split('data-testid="preview-')[1:]
    assert [s.split('"')[0] for s in sections] == ["ab", "a", "b", "none"]
    assert [s.count('data-testid="nudge"') for s in sections] == [2, 1, 1, 0]
    assert "Your neighbours do this." in sections[0]
    assert "Your neighbours do this." not in sections[2]
    welsh = console_client.get(reverse("console:preview", args=[wave.pk, theme.pk]) + "?lang=cy")
    assert "Mae eich cymdogion yn gwneud hyn." in welsh.content.decode()
    assert AuditEntry.objects.filter(action="set_nudge_text").count() == 1


def test_a_wave_without_nudges_cannot_open(console_client):
    wave = draft_wave(console_client.council, nudges=False)

    response = console_client.post(reverse("console:wave_open", args=[wave.pk]), {"confirm": "on"})

    assert response.status_code == 400
    assert "Write nudges A and B" in response.content.decode()
    wave.refresh_from_db()
    assert wave.status == WaveStatus.DRAFT
    assert staff_actions().count() == 0


def test_opening_then_closing_needs_confirmation_and_starts_the_analysis(console_client):
    wave = draft_wave(console_client.council)

    unconfirmed = console_client.post(reverse("console:wave_open", args=[wave.pk]), {})
    wave.refresh_from_db()
    assert (unconfirmed.status_code, wave.status) == (400, WaveStatus.DRAFT)

    console_client.post(reverse("console:wave_open", args=[wave.pk]), {"confirm": "on"})
    wave.refresh_from_db()
    assert wave.status == WaveStatus.OPEN
    # An open wave's design is fixed: its edit page offers its titles only
    edit = console_client.get(reverse("console:wave_edit", args=[wave.pk]))
    assert list(edit.context["form"].fields) == ["title", "title_cy"]

    unconfirmed = console_client.post(reverse("console:wave_close", args=[wave.pk]), {})
    wave.refresh_from_db()
    assert (unconfirmed.status_code, wave.status) == (400, WaveStatus.OPEN)

    console_client.post(reverse("console:wave_close", args=[wave.pk]), {"confirm": "on"})
    wave.refresh_from_db()
    assert wave.status == WaveStatus.CLOSED
    assert OutboxMessage.objects.filter(
        task_name="analysis.tasks.analyse_closed_wave", kwargs={"wave_id": wave.pk}
    ).exists()
    assert list(staff_actions().order_by("at", "id").values_list("action", flat=True)) == [
        "open_wave",
        "close_wave",
    ]


def test_a_wave_closes_by_itself_at_its_closing_time(db):
    from experiments.tasks import close_due_waves

    due = WaveFactory(closes_at=timezone.now() - dt.timedelta(minutes=1))
    later = WaveFactory(closes_at=timezone.now() + dt.timedelta(hours=1))

    assert close_due_waves.delay().get() == [due.pk]
    assert Wave.objects.get(pk=due.pk).status == WaveStatus.CLOSED
    assert Wave.objects.get(pk=later.pk).status == WaveStatus.OPEN


def test_the_links_csv_neutralises_formula_cells(console_client):
    # Given an open wave and a member whose name looks like a formula
    wave = WaveFactory(council=console_client.council)
    MemberContactFactory(member__council=wave.council, member__external_id="P1", name="=cmd()")

    response = console_client.post(reverse("console:links_csv", args=[wave.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["external_id", "name", "preferred_language", "link"]
    assert rows[1][:3] == ["P1", "'=cmd()", "en"]
    assert rows[1][3].startswith("http://127.0.0.1:8000/i/")


@pytest.mark.parametrize(("excel", "ending"), [(None, b"\n"), ("1", b"\r\n")])
def test_the_links_csv_ends_lines_with_lf_unless_excel_s_crlf_is_asked_for(
    console_client, settings, excel, ending
):
    # Given an open wave of two members, on a site served at another port
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    wave = WaveFactory(council=console_client.council)
    for external_id in ("P1", "P2"):
        MemberContactFactory(member__council=wave.council, member__external_id=external_id)

    # When the letters' links are downloaded, plain or for Excel
    data = {"excel_line_endings": excel} if excel else {}
    body = console_client.post(reverse("console:links_csv", args=[wave.pk]), data).content

    # Then every line ends the same way (a stray CR would end up in a copied link)
    assert body.count(ending) == 3
    if ending == b"\n":
        assert b"\r" not in body
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert all(row[3].startswith("http://127.0.0.1:8123/i/") for row in rows[1:])


def test_a_panel_file_is_checked_then_imported_on_confirmation(console_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "panel.csv", b"external_id,email\nP1,p1@example.org\nP2,p2@example.org\n"
    )

    report = console_client.post(
        reverse("console:panel_import"),
        {"council": console_client.council.pk, "file": upload},
        follow=True,
    )
    assert "2 members are ready to import" in report.content.decode()
    assert PanelMember.objects.count() == 0

    stored = PanelUpload.objects.get()
    console_client.post(reverse("console:panel_import_report", args=[stored.pk]))
    assert sorted(PanelMember.objects.values_list("external_id", flat=True)) == ["P1", "P2"]
    again = console_client.post(reverse("console:panel_import_report", args=[stored.pk]))
    assert again.status_code == 302
    assert PanelMember.objects.count() == 2
    assert staff_actions().get(action="import_panel").summary == "panel.csv: 2 created, 0 updated"


def test_a_member_can_be_withdrawn_and_it_is_audited(console_client):
    member = MemberContactFactory(member__council=console_client.council).member

    console_client.post(reverse("console:member", args=[member.pk]), {"status": "withdrawn"})

    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN
    assert staff_actions().get().summary == f"member #{member.pk}: active → withdrawn"


def test_audit_entries_cannot_be_changed_or_deleted(console_client):
    entry = AuditEntry.objects.create(action="x")

    entry.summary = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert staff_actions().get().summary == ""


def test_the_dashboard_counts_with_a_bounded_number_of_queries_for_20000_members(
    console_client, django_assert_max_num_queries
):
    # Given 20,000 members, 400 of them assigned (100 per arm), half of those completed
    wave = WaveFactory(council=console_client.council)
    theme = WaveThemeFactory(wave=wave).theme
    members = PanelMember.objects.bulk_create(
        PanelMember(council=wave.council, external_id=f"M{i:05d}") for i in range(20000)
    )
    arms = [arm.value for arm in Arm]
    Assignment.objects.bulk_create(
        Assignment(wave=wave, member=m, arm=arms[i % 4], scheme="simple")
        for i, m in enumerate(members[:400])
    )
    now = timezone.now()
    Response.objects.bulk_create(
        Response(
            wave=wave,
            member=m,
            status=ResponseStatus.COMPLETE if i % 2 == 0 else ResponseStatus.PARTIAL,
            submitted_at=now if i % 2 == 0 else None,
        )
        for i, m in enumerate(members[:400])
    )
    from experiments.models import ThemeAnswer

    ThemeAnswer.objects.bulk_create(
        ThemeAnswer(response=r, theme=theme)
        for r in Response.objects.filter(wave=wave, status="complete")
    )

    # When the dashboard and the wave page are computed
    with django_assert_max_num_queries(8):
        dashboard = wave_dashboard(wave)
    # Each part of the wave page (checklist, power verdict, progress, groups) costs a fixed
    # number of queries, whatever the size of the panel
    with django_assert_max_num_queries(40):
        page = console_client.get(reverse("console:wave", args=[wave.pk]))
    with django_assert_max_num_queries(30):
        dashboard_page = console_client.get(reverse("console:wave_dashboard", args=[wave.pk]))

    # Then the figures are exact, as shares of those invited and of the panel
    assert page.status_code == 200
    assert dashboard_page.status_code == 200
    assert [(s.label, s.count, s.of_invited, s.of_panel) for s in dashboard.funnel] == [
        ("Active panel members", 20000, None, 100.0),
        ("Invited (personal link issued)", 0, None, 0.0),
        ("E-mail sent", 0, None, 0.0),
        ("Opened their link", 0, None, 0.0),
        ("Started", 400, None, 2.0),
        ("Completed", 200, None, 1.0),
    ]
    # The pages show groups only under neutral labels, never an arm's name
    for body in (page.content.decode(), dashboard_page.content.decode()):
        for name in ("A and B", "A only", "B only"):
            assert name not in body
    assert [(t.name, t.completed) for t in dashboard.themes] == [(theme.name_en, 200)]
    assert [(d.day, d.completed, d.cumulative) for d in dashboard.per_day] == [
        (timezone.localdate(now), 200, 200)
    ]


def test_a_wave_cannot_be_created_for_another_council_or_with_its_themes(console_client):
    # Given another council's theme
    foreign = ThemeFactory()

    # When the admin posts a wave naming that council, then that theme
    for_council = console_client.post(
        reverse("console:wave_create"),
        {"council": foreign.council.pk, "title": "Sneaky", "themes": [foreign.pk]},
    )
    with_theme = console_client.post(
        reverse("console:wave_create"),
        {"council": console_client.council.pk, "title": "Sneaky", "themes": [foreign.pk]},
    )

    # Then both are refused and nothing is created
    assert (for_council.status_code, with_theme.status_code) == (400, 400)
    assert Wave.objects.count() == 0
    assert staff_actions().count() == 0


def test_a_council_rewords_a_question_in_both_languages_and_members_see_it(console_client):
    from experiments.models import ItemWording
    from experiments.questionnaires import theme_pages

    # Given a draft wave
    wave = draft_wave(console_client.council)
    theme = wave.themes.get()

    # When the admin rewords the collective question and leaves the rest blank
    response = console_client.post(
        reverse("console:wording", args=[wave.pk, theme.pk]),
        {"collective_en": "Do you join local groups?", "collective_cy": "Ydych chi'n ymuno?"},
    )

    # Then one override is stored, audited, and the member's page uses it in each language
    assert response.status_code == 302
    wording = ItemWording.objects.get(wave=wave)
    assert (wording.item, wording.text_en, wording.text_cy) == (
        "collective",
        "Do you join local groups?",
        "Ydych chi'n ymuno?",
    )
    assert AuditEntry.objects.filter(action="set_item_wording").count() == 1
    (english,) = theme_pages(wave, language="en")
    (welsh,) = theme_pages(wave, language="cy")
    assert english.question("collective") == "Do you join local groups?"
    assert welsh.question("collective") == "Ydych chi'n ymuno?"

    # And blanking it again goes back to the default
    console_client.post(reverse("console:wording", args=[wave.pk, theme.pk]), {})
    assert not ItemWording.objects.exists()


def test_welsh_wording_without_english_is_refused_and_nothing_is_stored(console_client):
    from experiments.models import ItemWording

    wave = draft_wave(console_client.council)
    theme = wave.themes.get()

    response = console_client.post(
        reverse("console:wording", args=[wave.pk, theme.pk]), {"efficacy_cy": "Dim ond Cymraeg"}
    )

    assert response.status_code == 400
    assert "Give the English wording too" in response.content.decode()
    assert not ItemWording.objects.exists()


def test_wording_cannot_change_once_the_wave_is_open(console_client):
    from experiments.models import ItemWording

    wave = draft_wave(console_client.council)
    wave.status = WaveStatus.OPEN
    wave.save(update_fields=["status"])
    theme = wave.themes.get()

    response = console_client.post(
        reverse("console:wording", args=[wave.pk, theme.pk]), {"collective_en": "Changed"}
    )

    assert response.status_code == 302
    assert not ItemWording.objects.exists()
