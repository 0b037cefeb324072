"""The REST API: authentication, roles, read-only fields, paging, filters and the flows."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import issue_token, revoke_token
from analysis.models import AnalysisRun
from experiments.invitations import issue_invitation
from experiments.models import Assignment, CouncilRole, Invitation, Theme, Wave, WaveStatus
from panel.models import MemberContact, PanelMember, PanelUpload
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def draft_wave_ready_to_open(council) -> Wave:
    wave = WaveFactory(council=council, status=WaveStatus.DRAFT)
    wave_theme = WaveThemeFactory(wave=wave)
    ActivityFactory(theme=wave_theme.theme)
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
    return wave


# Authentication ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_without_credentials_gets_401_in_the_error_format():
    response = APIClient().get("/api/v1/waves/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Token sp_not-a-real-key", "Bearer sp_not-a-real-key", "Token", "Token a b"]
)
def test_a_bad_token_gets_401_in_the_error_format(api_admin, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/waves/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_revoked_token_no_longer_authenticates(api, api_key):
    assert api.get("/api/v1/councils/").status_code == 200

    revoke_token(ApiToken.objects.get())

    assert api.get("/api/v1/councils/").status_code == 401


@pytest.mark.django_db
def test_a_token_is_stored_only_as_its_hash(api_admin):
    issued = issue_token(api_admin.user, name="panel system")

    stored = ApiToken.objects.values_list().get()
    assert issued.key not in map(str, stored)
    assert ApiToken.objects.get().key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert ApiToken.objects.get().prefix == issued.key[:10]


@pytest.mark.django_db
def test_a_token_of_an_inactive_user_is_refused(api, api_admin):
    api_admin.user.is_active = False
    api_admin.user.save(update_fields=["is_active"])

    assert api.get("/api/v1/councils/").status_code == 401


@pytest.mark.django_db
def test_a_console_session_authenticates_too(client, api_admin):
    client.force_login(api_admin.user)

    response = client.get("/api/v1/councils/")

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == [api_admin.council.name]


# Read-only fields -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "open"),
        ("council", 1),
        ("opened_at", "2026-01-01T00:00:00Z"),
        ("design_hash", "0" * 64),
        ("id", 99),
        ("seed", "1" * 64),
        ("arm", "ab"),
    ],
)
def test_a_read_only_or_unknown_wave_field_is_refused_by_name(api, field, value):
    # Given a draft wave
    wave = WaveFactory(council=api.council, status=WaveStatus.DRAFT)

    # When a client tries to set a field the platform owns
    created = api.post("/api/v1/waves/", {"title": "New", "themes": [], field: value})
    changed = api.patch(f"/api/v1/waves/{wave.pk}/", {field: value})

    # Then both calls are refused, naming the field, and nothing changed
    for response in (created, changed):
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == [field]
    assert Wave.objects.count() == 1
    wave.refresh_from_db()
    assert (wave.status, wave.council_id, wave.seed) == ("draft", api.council.pk, "0" * 64)


@pytest.mark.django_db
def test_the_read_only_message_says_the_platform_sets_the_field(api):
    response = api.post("/api/v1/themes/", {"kind": "health", "name_en": "H", "council": 3})

    assert error_of(response)["fields"] == {
        "council": ["This field is read-only: the platform sets it."]
    }


@pytest.mark.django_db
def test_the_council_of_a_new_theme_is_the_admins_only_council(api):
    response = api.post("/api/v1/themes/", {"kind": "health", "name_en": "Health"})

    assert response.status_code == 201
    assert response.json()["council"] == api.council.pk
    assert Theme.objects.get().council == api.council


@pytest.mark.django_db
def test_an_admin_of_two_councils_must_name_the_council(api, api_admin):
    # Given an admin of two councils
    second = CouncilMembershipFactory(user=api_admin.user, role=CouncilRole.ADMIN).council

    # When they create a theme without naming the council, and then naming the second
    unnamed = api.post("/api/v1/themes/", {"kind": "health", "name_en": "Health"})
    named = api.post(f"/api/v1/themes/?council={second.pk}", {"kind": "health", "name_en": "H"})

    # Then the first is refused with a field error, the second lands in the named council
    assert unnamed.status_code == 400
    assert list(error_of(unnamed)["fields"]) == ["council"]
    assert named.status_code == 201
    assert list(Theme.objects.values_list("council_id", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_a_duplicate_theme_name_is_a_field_error_not_a_crash(api):
    ThemeFactory(council=api.council, name_en="Health")

    response = api.post("/api/v1/themes/", {"kind": "health", "name_en": "Health"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["name_en"]
    assert Theme.objects.count() == 1


# Roles ---------------------------------------------------------------------------------------


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


@pytest.fixture
def researcher(db):
    membership = CouncilMembershipFactory(user__password=None, role=CouncilRole.RESEARCHER)
    client = token_client(membership.user)
    client.council = membership.council
    return client


@pytest.mark.django_db
def test_a_researcher_reads_but_cannot_write(researcher):
    # Given a theme and a wave of the researcher's council
    theme = ThemeFactory(council=researcher.council, name_en="Health")
    wave = draft_wave_ready_to_open(researcher.council)

    # When the researcher reads and tries to write
    read = researcher.get(f"/api/v1/themes/{theme.pk}/")
    writes = [
        researcher.post("/api/v1/themes/", {"kind": "health", "name_en": "Other"}),
        researcher.patch(f"/api/v1/themes/{theme.pk}/", {"name_en": "Renamed"}),
        researcher.delete(f"/api/v1/themes/{theme.pk}/"),
        researcher.post(f"/api/v1/waves/{wave.pk}/open/"),
        researcher.get("/api/v1/panel-imports/"),
        researcher.get("/api/v1/invitations/"),
    ]

    # Then reading works and every write is a 403 that says why; nothing changed
    assert read.status_code == 200
    assert [response.status_code for response in writes] == [403] * 6
    assert error_of(writes[1])["code"] == "permission_denied"
    assert Theme.objects.get(pk=theme.pk).name_en == "Health"
    assert Wave.objects.get(pk=wave.pk).status == WaveStatus.DRAFT


@pytest.mark.django_db
def test_monitoring_hides_the_arms_from_admins_and_shows_them_to_researchers(api):
    # Given an open wave of a council with an admin and a researcher
    wave = WaveFactory(council=api.council)
    researcher = token_client(
        CouncilMembershipFactory(
            user__password=None, council=api.council, role=CouncilRole.RESEARCHER
        ).user
    )

    # When each reads the wave's monitor
    admin_view = api.get(f"/api/v1/waves/{wave.pk}/monitoring/").json()
    researcher_view = researcher.get(f"/api/v1/waves/{wave.pk}/monitoring/").json()

    # Then the admin sees neutral groups only, the researcher the arms
    assert [row["arm"] for row in admin_view["arms"]] == [None] * 4
    assert [row["label"] for row in admin_view["arms"]] == [
        "Group 1",
        "Group 2",
        "Group 3",
        "Group 4",
    ]
    assert admin_view["exposed"] is None
    assert [row["arm"] for row in researcher_view["arms"]] == ["ab", "a", "b", "none"]
    assert researcher_view["exposed"] == 0


# Paging and filters --------------------------------------------------------------------------


@pytest.mark.django_db
def test_lists_are_paged_with_a_bounded_page_size(api):
    # Given five themes
    for n in range(5):
        ThemeFactory(council=api.council, name_en=f"Theme {n}")

    # When they are read two at a time, and with an oversized page
    first = api.get("/api/v1/themes/?page_size=2").json()
    third = api.get("/api/v1/themes/?page_size=2&page=3").json()
    huge = api.get("/api/v1/themes/?page_size=100000").json()
    beyond = api.get("/api/v1/themes/?page_size=2&page=4")

    # Then pages hold two, the last one, the oversized page all five, and page 4 is a 404
    assert first["count"] == 5
    assert [t["name_en"] for t in first["results"]] == ["Theme 0", "Theme 1"]
    assert first["next"].endswith("/api/v1/themes/?page=2&page_size=2")
    assert [t["name_en"] for t in third["results"]] == ["Theme 4"]
    assert third["next"] is None
    assert len(huge["results"]) == 5
    assert beyond.status_code == 404
    assert error_of(beyond)["code"] == "not_found"


@pytest.mark.django_db
def test_the_page_size_is_capped_at_200(api):
    Theme.objects.bulk_create(
        [Theme(council=api.council, kind="health", name_en=f"T{n:03d}") for n in range(201)]
    )

    page = api.get("/api/v1/themes/?page_size=500").json()

    assert page["count"] == 201
    assert len(page["results"]) == 200


@pytest.mark.django_db
def test_waves_filter_by_status_and_themes_by_council(api, api_admin):
    # Given an admin of two councils with waves in each state
    second = CouncilMembershipFactory(user=api_admin.user, role=CouncilRole.ADMIN).council
    draft = WaveFactory(council=api.council, status=WaveStatus.DRAFT)
    opened = WaveFactory(council=api.council, status=WaveStatus.OPEN)
    closed = WaveFactory(council=second, status=WaveStatus.CLOSED)
    ThemeFactory(council=api.council, name_en="Mine")
    ThemeFactory(council=second, name_en="Second")

    def ids(url):
        return [row["id"] for row in api.get(url).json()["results"]]

    # Then each filter keeps exactly its rows
    assert ids("/api/v1/waves/?status=draft") == [draft.pk]
    assert ids("/api/v1/waves/?status=open") == [opened.pk]
    assert ids("/api/v1/waves/?status=closed") == [closed.pk]
    assert ids(f"/api/v1/waves/?council={second.pk}") == [closed.pk]
    assert [
        t["name_en"] for t in api.get(f"/api/v1/themes/?council={second.pk}").json()["results"]
    ] == ["Second"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/waves/?status=ajar", "status"),
        ("/api/v1/waves/?council=abc", "council"),
        ("/api/v1/themes/?kind=sport", "kind"),
        ("/api/v1/analysis-runs/?wave=-1", "wave"),
    ],
)
def test_a_bad_filter_value_is_a_field_error(api, url, field):
    response = api.get(url)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]


# Waves ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wave_is_created_edited_opened_and_closed(api, django_capture_on_commit_callbacks):
    # Given two themes of the council, with activities and nudges to come
    wave = draft_wave_ready_to_open(api.council)
    theme = wave.themes.get()
    other = ThemeFactory(council=api.council)

    # When the draft's themes are edited, it is opened, renamed, and closed
    edited = api.patch(f"/api/v1/waves/{wave.pk}/", {"themes": [theme.pk, other.pk]})
    reverted = api.patch(f"/api/v1/waves/{wave.pk}/", {"themes": [theme.pk]})
    opened = api.post(f"/api/v1/waves/{wave.pk}/open/")
    renamed = api.patch(f"/api/v1/waves/{wave.pk}/", {"title": "Spring 2027"})
    with django_capture_on_commit_callbacks(execute=True):
        closed = api.post(f"/api/v1/waves/{wave.pk}/close/")

    # Then each step answers the wave as it now is, and the closing ran the analysis
    assert edited.json()["themes"] == [theme.pk, other.pk]
    assert reverted.json()["themes"] == [theme.pk]
    assert opened.status_code == 200
    assert opened.json()["status"] == "open"
    assert len(opened.json()["design_hash"]) == 64
    assert renamed.json()["title"] == "Spring 2027"
    assert closed.json()["status"] == "closed"
    run = AnalysisRun.objects.get(wave=wave)
    runs = api.get(f"/api/v1/analysis-runs/?wave={wave.pk}").json()
    assert [r["id"] for r in runs["results"]] == [run.pk]


@pytest.mark.django_db
def test_a_wave_without_nudges_is_not_opened(api):
    # Given a draft wave whose theme has activities but no nudges
    wave = WaveFactory(council=api.council, status=WaveStatus.DRAFT)
    ActivityFactory(theme=WaveThemeFactory(wave=wave).theme)

    response = api.post(f"/api/v1/waves/{wave.pk}/open/")

    assert response.status_code == 409
    assert "Write nudges A and B" in error_of(response)["message"]
    assert Wave.objects.get(pk=wave.pk).status == WaveStatus.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("allocation_scheme", "cluster"), ("experiment_on", False), ("strata", "ward")],
)
def test_the_frozen_design_of_an_open_wave_cannot_change(api, field, value):
    wave = WaveFactory(council=api.council, status=WaveStatus.OPEN)

    response = api.patch(f"/api/v1/waves/{wave.pk}/", {field: value})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: ["Fixed once the wave has opened."]}
    wave.refresh_from_db()
    assert (wave.allocation_scheme, wave.experiment_on, wave.strata) == ("simple", True, "")


@pytest.mark.django_db
def test_a_cluster_wave_stratified_by_age_band_is_refused(api):
    response = api.post(
        "/api/v1/waves/",
        {"title": "W", "themes": [], "allocation_scheme": "cluster", "strata": "ward,age_band"},
    )

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["strata"]
    assert Wave.objects.count() == 0


@pytest.mark.django_db
def test_a_wave_cannot_take_another_councils_theme(api):
    foreign = ThemeFactory()

    response = api.post("/api/v1/waves/", {"title": "W", "themes": [foreign.pk]})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["themes"]
    assert Wave.objects.count() == 0


@pytest.mark.django_db
def test_the_theme_of_an_opened_wave_is_fixed(api):
    wave = WaveFactory(council=api.council, status=WaveStatus.OPEN)
    theme = WaveThemeFactory(wave=wave).theme
    activity = ActivityFactory(theme=theme, text_en="Recycle")

    answers = [
        api.patch(f"/api/v1/themes/{theme.pk}/", {"name_en": "Renamed"}),
        api.patch(f"/api/v1/activities/{activity.pk}/", {"text_en": "Changed"}),
        api.post("/api/v1/activities/", {"theme": theme.pk, "text_en": "New"}),
        api.delete(f"/api/v1/themes/{theme.pk}/"),
    ]

    assert [response.status_code for response in answers] == [409] * 4
    assert Theme.objects.get(pk=theme.pk).name_en == theme.name_en
    assert list(theme.activities.values_list("text_en", flat=True)) == ["Recycle"]


# Invitations ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_issued_link_appears_once_and_is_stored_as_a_hash(api):
    # Given an open wave and an active member
    wave = WaveFactory(council=api.council)
    member = MemberContactFactory(member__council=api.council).member

    # When a link is issued and the invitations are then listed
    issued = api.post(f"/api/v1/waves/{wave.pk}/invitations/", {"external_id": member.external_id})
    listed = api.get(f"/api/v1/invitations/?wave={wave.pk}")

    # Then the link is in the answer, its token stored only as a hash, and never listed
    assert issued.status_code == 201
    body = issued.json()
    assert set(body) == {"external_id", "url", "created_at", "expires_at"}
    token = body["url"].rstrip("/").rsplit("/", 1)[-1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in listed.content.decode()
    assert [row["external_id"] for row in listed.json()["results"]] == [member.external_id]
    # and the link works
    assert APIClient().get(body["url"].removeprefix("http://127.0.0.1:8000")).status_code in {
        200,
        302,
    }


@pytest.mark.django_db
def test_a_link_is_refused_for_a_draft_wave_or_an_unknown_member(api):
    draft = WaveFactory(council=api.council, status=WaveStatus.DRAFT)
    wave = WaveFactory(council=api.council)
    member = PanelMemberFactory(council=api.council)
    foreign = PanelMemberFactory()

    for_draft = api.post(
        f"/api/v1/waves/{draft.pk}/invitations/", {"external_id": member.external_id}
    )
    for_foreign = api.post(
        f"/api/v1/waves/{wave.pk}/invitations/", {"external_id": foreign.external_id}
    )

    assert for_draft.status_code == 409
    assert for_foreign.status_code == 400
    assert list(error_of(for_foreign)["fields"]) == ["external_id"]
    assert Invitation.objects.count() == 0


# Panel import --------------------------------------------------------------------------------


def panel_file(text: str, name: str = "panel.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_a_panel_file_is_checked_then_imported_once(api):
    # Given a clean file of two members
    upload = panel_file("external_id,email,name\nP1,p1@example.org,Ann\nP2,p2@example.org,Bob\n")

    # When it is uploaded (dry run), committed, and committed again
    checked = api.post("/api/v1/panel-imports/", {"file": upload}, format="multipart")
    members_after_check = PanelMember.objects.count()
    committed = api.post(f"/api/v1/panel-imports/{checked.json()['id']}/commit/")
    again = api.post(f"/api/v1/panel-imports/{checked.json()['id']}/commit/")

    # Then the dry run imported nothing, the commit both members, the repeat nothing
    assert checked.status_code == 201
    assert (checked.json()["ok"], checked.json()["row_count"]) == (True, 2)
    assert checked.json()["problems"] == []
    assert members_after_check == 0
    assert committed.json() == {"created": 2, "updated": 0}
    assert again.status_code == 409
    assert sorted(PanelMember.objects.values_list("external_id", flat=True)) == ["P1", "P2"]


@pytest.mark.django_db
def test_a_panel_file_with_problems_lists_them_and_cannot_be_committed(api):
    upload = panel_file("external_id,email\nP1,not-an-address\nP1,p@example.org\n")

    checked = api.post("/api/v1/panel-imports/", {"file": upload}, format="multipart")
    committed = api.post(f"/api/v1/panel-imports/{checked.json()['id']}/commit/")

    assert checked.json()["ok"] is False
    assert checked.json()["problems"] == [
        {"row": 2, "column": "email", "message": "“not-an-address” is not an e-mail address."},
        {
            "row": 3,
            "column": "external_id",
            "message": "The external id “P1” is already used on row 2.",
        },
    ]
    assert committed.status_code == 409
    assert PanelMember.objects.count() == 0


@pytest.mark.django_db
def test_an_upload_without_a_file_is_a_field_error(api):
    response = api.post("/api/v1/panel-imports/", {}, format="multipart")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["file"]
    assert PanelUpload.objects.count() == 0


@pytest.mark.django_db
def test_no_answer_of_the_api_carries_contact_details_or_secrets(api):
    # Given a council with members, an open wave with an invitation, and a run
    wave = WaveFactory(council=api.council, seed="5" * 64)
    contact = MemberContactFactory(
        member__council=api.council, email="secret.person@example.org", name="Secret Person"
    )
    issued = issue_invitation(wave, member=contact.member)
    AnalysisRun.objects.create(wave=wave)
    ThemeFactory(council=api.council)

    # When every list and the wave's detail and monitor are read
    urls = [
        "/api/v1/councils/",
        "/api/v1/themes/",
        "/api/v1/activities/",
        "/api/v1/waves/",
        f"/api/v1/waves/{wave.pk}/",
        f"/api/v1/waves/{wave.pk}/monitoring/",
        "/api/v1/invitations/",
        "/api/v1/analysis-runs/",
        "/api/v1/panel-imports/",
    ]
    bodies = [api.get(url).content.decode() for url in urls]

    # Then none holds the e-mail, the name, the seed, the token or its hash
    secrets = [
        "secret.person",
        "Secret Person",
        "5" * 64,
        issued.token,
        Invitation.objects.get().token_hash,
        ApiToken.objects.get().key_hash,
    ]
    for body in bodies:
        for secret in secrets:
            assert secret not in body
    assert MemberContact.objects.count() == 1


# Rate limits ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_over_the_limit_get_429_in_the_error_format(api, settings):
    settings.API_RATE_LIMIT = 2

    statuses = [api.get("/api/v1/councils/").status_code for _ in range(3)]
    refused = api.get("/api/v1/councils/")

    assert statuses == [200, 200, 429]
    assert error_of(refused)["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60


@pytest.mark.django_db
def test_the_limit_counts_each_user_apart(api, settings):
    settings.API_RATE_LIMIT = 1
    other = token_client(CouncilMembershipFactory(user__password=None).user)

    assert api.get("/api/v1/councils/").status_code == 200
    assert other.get("/api/v1/councils/").status_code == 200
    assert api.get("/api/v1/councils/").status_code == 429


@pytest.mark.django_db
def test_the_command_prints_a_key_that_works_once_issued(api_admin):
    # Given a council admin without a token
    out = io.StringIO()

    # When a superuser issues one from the command line
    call_command("create_api_token", api_admin.user.username, name="panel system", stdout=out)
    key = out.getvalue().strip()

    # Then the printed key authenticates, and the database holds only its hash
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/councils/").status_code == 200
    token = ApiToken.objects.get()
    assert (token.name, token.key_hash) == (
        "panel system",
        hashlib.sha256(key.encode()).hexdigest(),
    )


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("create_api_token", "nobody")

    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_the_admins_sample_ratio_counts_follow_the_neutral_groups_not_the_arms(api):
    # Given an open wave with 1, 2, 3 and 4 members planted in arms ab, a, b and none
    wave = WaveFactory(council=api.council)
    for arm, size in (("ab", 1), ("a", 2), ("b", 3), ("none", 4)):
        for _ in range(size):
            member = PanelMemberFactory(council=api.council)
            Assignment.objects.create(wave=wave, member=member, arm=arm, scheme="simple")
    researcher = token_client(
        CouncilMembershipFactory(
            user__password=None, council=api.council, role=CouncilRole.RESEARCHER
        ).user
    )

    # When the admin and the researcher read the monitor
    admin_view = api.get(f"/api/v1/waves/{wave.pk}/monitoring/").json()
    researcher_view = researcher.get(f"/api/v1/waves/{wave.pk}/monitoring/").json()

    # Then the researcher's counts are in arm order, the admin's in group order, so that
    # matching counts cannot tell the admin which group is which arm
    assert researcher_view["sample_ratio"]["observed"] == [1, 2, 3, 4]
    assert [row["opened"] for row in researcher_view["arms"]] == [1, 2, 3, 4]
    group_sizes = [row["opened"] for row in admin_view["arms"]]
    assert sorted(group_sizes) == [1, 2, 3, 4]
    assert group_sizes != [1, 2, 3, 4]  # this seed shuffles the groups
    assert admin_view["sample_ratio"]["observed"] == group_sizes


@pytest.mark.django_db
def test_a_panel_file_with_a_nul_byte_gets_its_report_not_a_server_error(api):
    # Given a file whose name and e-mail cell hold a NUL byte (Postgres text refuses NUL)
    upload = SimpleUploadedFile("pa\x00nel.csv", b"external_id,email\nP1,x\x00y\n")

    # When it is checked
    response = api.post("/api/v1/panel-imports/", {"file": upload}, format="multipart")

    # Then the report names the cell
    assert response.status_code == 201
    assert response.json()["problems"] == [
        {
            "row": 2,
            "column": "email",
            "message": "The cell contains a NUL character, which cannot be stored.",
        },
        {"row": 2, "column": "email", "message": "“x\ufffdy” is not an e-mail address."},
    ]
    assert PanelMember.objects.count() == 0


@pytest.mark.django_db
def test_an_activity_cannot_move_to_another_theme(api):
    activity = ActivityFactory(theme__council=api.council, text_en="Recycle")
    other = ThemeFactory(council=api.council)

    moved = api.put(
        f"/api/v1/activities/{activity.pk}/", {"theme": other.pk, "text_en": "Recycle more"}
    )
    kept = api.put(
        f"/api/v1/activities/{activity.pk}/",
        {"theme": activity.theme_id, "text_en": "Recycle more"},
    )

    assert moved.status_code == 400
    assert error_of(moved)["fields"] == {"theme": ["An activity cannot move to another theme."]}
    assert kept.status_code == 200
    activity.refresh_from_db()
    assert (activity.theme_id, activity.text_en) == (kept.json()["theme"], "Recycle more")
