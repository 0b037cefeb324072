"""Research exports over the API: requested, polled and downloaded by researchers only."""

import hashlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from experiments.models import CouncilRole, WaveStatus
from exports.models import Export, ExportStatus
from tests.analysis.test_exports import build_closed_wave, read_csv
from tests.factories import CouncilFactory, CouncilMembershipFactory, UserFactory, WaveFactory

EXPORTS = reverse("api:export-list")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_of(council, role):
    user = CouncilMembershipFactory(user__password=None, council=council, role=role).user
    client = APIClient()
    client.force_authenticate(user)
    return client


def pending_export(wave) -> Export:
    return Export.objects.create(
        format="csv_tidy", wave_ids=[wave.pk], council_ids=[wave.council_id], input_hash="0" * 64
    )


def test_a_researcher_requests_polls_and_downloads_an_export(
    db, media, django_capture_on_commit_callbacks
):
    # Given a closed wave and a researcher of its council
    wave, *_ = build_closed_wave(wards=["Central", "North"])
    researcher = client_of(wave.council, CouncilRole.RESEARCHER)

    # When they request an export (the worker runs once the request commits)
    with django_capture_on_commit_callbacks(execute=True):
        created = researcher.post(
            EXPORTS, {"waves": [wave.pk], "format": "csv_tidy", "labels": "cy"}, format="json"
        )

    # Then it is created pending, and polling it shows it done
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    assert created.json()["waves"] == [wave.pk]
    assert created.json()["labels"] == "cy"
    export = Export.objects.get()
    poll = researcher.get(reverse("api:export-detail", kwargs={"pk": export.pk}))
    assert poll.status_code == 200
    assert poll.json()["status"] == "done"
    assert researcher.get(EXPORTS).json()["count"] == 1

    # And the download is the exact file, as an attachment, never cached
    download = researcher.get(reverse("api:export-download", kwargs={"pk": export.pk}))
    body = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == (f'attachment; filename="waves-{wave.pk}-tidy.csv"')
    assert body == (media / export.file_path).read_bytes()
    assert hashlib.sha256(body).hexdigest() == poll.json()["sha256"]
    assert len(body) == poll.json()["size"]
    # and it is pseudonymised: no panel id of a member appears in it
    assert b"EXTID-" not in body
    # and a client asking for the file's own type gets it too
    as_csv = researcher.get(
        reverse("api:export-download", kwargs={"pk": export.pk}), HTTP_ACCEPT="text/csv"
    )
    assert as_csv.status_code == 200
    assert b"".join(as_csv.streaming_content) == body


@pytest.mark.parametrize("status", [ExportStatus.PENDING, ExportStatus.RUNNING])
def test_an_export_not_yet_done_is_not_downloaded(db, media, status):
    # Given an export still being written, with a partial file already on disk
    wave = WaveFactory(status=WaveStatus.CLOSED)
    export = pending_export(wave)
    Export.objects.filter(pk=export.pk).update(status=status)
    (media / "exports").mkdir()
    (media / "exports" / f"{export.pk}.csv.part").write_bytes(b"half a fi")
    researcher = client_of(wave.council, CouncilRole.RESEARCHER)

    # When the researcher asks for its file, as the file's type
    response = researcher.get(
        reverse("api:export-download", kwargs={"pk": export.pk}), HTTP_ACCEPT="text/csv"
    )

    # Then the answer is 409 in the error format, and no file bytes
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "conflict",
            "message": "The export is not ready yet; poll it until it is done.",
            "fields": {},
        }
    }


def test_a_failed_export_or_a_done_one_whose_file_is_gone_is_not_downloaded(db, media):
    # Given a failed export, and a done one whose file was removed
    wave = WaveFactory(status=WaveStatus.CLOSED)
    failed = pending_export(wave)
    Export.objects.filter(pk=failed.pk).update(status=ExportStatus.FAILED, error="Worker died.")
    gone = pending_export(wave)
    Export.objects.filter(pk=gone.pk).update(
        status=ExportStatus.DONE, file_path="exports/missing.csv"
    )
    researcher = client_of(wave.council, CouncilRole.RESEARCHER)

    # When the researcher asks for their files
    answers = [
        researcher.get(reverse("api:export-download", kwargs={"pk": export.pk}))
        for export in (failed, gone)
    ]

    # Then the failed one is a conflict and the missing file is not found, both in the format
    assert [answer.status_code for answer in answers] == [409, 404]
    assert [answer.json()["error"]["message"] for answer in answers] == [
        "The export failed; request it again.",
        "The file of this export is no longer kept; request it again.",
    ]


def test_an_open_wave_is_refused_with_a_field_error_and_nothing_is_created(db, media):
    # Given an open wave and a researcher of its council
    wave = WaveFactory(status=WaveStatus.OPEN, title="Autumn")
    researcher = client_of(wave.council, CouncilRole.RESEARCHER)

    # When they request its export
    response = researcher.post(EXPORTS, {"waves": [wave.pk], "format": "csv_wide"}, format="json")

    # Then the answer is 400 naming the wave, and nothing was created
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The request is not valid; see the fields for what to change.",
            "fields": {
                "waves": ["Only closed waves can be exported; still open or in draft: Autumn."]
            },
        }
    }
    assert Export.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"waves": [], "format": "csv_tidy"}, "waves"),
        ({"waves": [1], "format": "xlsx"}, "format"),
        ({"waves": [1], "format": "csv_tidy", "labels": "fr"}, "labels"),
        ({"waves": [1], "format": "csv_tidy", "status": "done"}, "status"),
    ],
)
def test_a_bad_request_body_names_the_field(db, media, body, field):
    # Given a researcher
    researcher = client_of(CouncilFactory(), CouncilRole.RESEARCHER)

    # When they send a bad body
    response = researcher.post(EXPORTS, body, format="json")

    # Then the answer is 400 naming the field, and nothing was created
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]
    assert Export.objects.count() == 0


def test_another_councils_wave_and_export_answer_404(db, media):
    # Given a closed wave of council A with an export, and a researcher of council B
    wave = WaveFactory(status=WaveStatus.CLOSED)
    export = pending_export(wave)
    outsider = client_of(CouncilFactory(), CouncilRole.RESEARCHER)

    # When B's researcher requests, polls, downloads and lists A's
    created = outsider.post(EXPORTS, {"waves": [wave.pk], "format": "csv_tidy"}, format="json")
    poll = outsider.get(reverse("api:export-detail", kwargs={"pk": export.pk}))
    download = outsider.get(reverse("api:export-download", kwargs={"pk": export.pk}))

    # Then each answers 404 in the error format, the list is empty, and nothing was created
    assert [created.status_code, poll.status_code, download.status_code] == [404, 404, 404]
    assert created.json()["error"] == {
        "code": "not_found",
        "message": "No such waves among yours.",
        "fields": {},
    }
    assert poll.json()["error"]["code"] == "not_found"
    assert outsider.get(EXPORTS).json()["count"] == 0
    assert list(Export.objects.values_list("pk", flat=True)) == [export.pk]


def test_a_researcher_of_two_councils_pools_their_waves_into_one_file(
    db, media, django_capture_on_commit_callbacks
):
    # Given closed waves of two councils and a researcher of both
    first, *_ = build_closed_wave(CouncilFactory(), wards=["Central", "North"])
    second, *_ = build_closed_wave(CouncilFactory(), wards=["South"])
    user = CouncilMembershipFactory(council=first.council, role=CouncilRole.RESEARCHER).user
    CouncilMembershipFactory(user=user, council=second.council, role=CouncilRole.RESEARCHER)
    researcher = APIClient()
    researcher.force_authenticate(user)

    # When they request both pooled and download the file
    with django_capture_on_commit_callbacks(execute=True):
        created = researcher.post(
            EXPORTS, {"waves": [second.pk, first.pk], "format": "csv_tidy"}, format="json"
        )
    export = Export.objects.get()
    download = researcher.get(reverse("api:export-download", kwargs={"pk": export.pk}))

    # Then one export covers both waves, and its file holds the rows of each
    assert created.status_code == 201
    assert created.json()["waves"] == sorted([first.pk, second.pk])
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="waves-{min(first.pk, second.pk)}-{max(first.pk, second.pk)}'
        '-tidy.csv"'
    )
    frame = read_csv(b"".join(download.streaming_content))
    assert sorted(frame["wave"]) == sorted([first.pk, first.pk, second.pk])
    assert sorted(frame["ward"]) == ["Central", "North", "South"]
    assert sorted(set(frame["council"])) == sorted([first.council_id, second.council_id])


def test_a_pooled_export_needs_a_researcher_role_in_every_council(db, media):
    # Given closed waves of two councils and a researcher of only the first
    first = WaveFactory(status=WaveStatus.CLOSED)
    second = WaveFactory(status=WaveStatus.CLOSED)
    researcher = client_of(first.council, CouncilRole.RESEARCHER)

    # When they request both pooled
    response = researcher.post(
        EXPORTS, {"waves": [first.pk, second.pk], "format": "csv_tidy"}, format="json"
    )

    # Then the answer is 404 and nothing was created
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such waves among yours."
    assert Export.objects.count() == 0


def test_a_council_admin_cannot_request_or_see_their_councils_exports(db, media):
    # Given a closed wave with an export, and an admin (not a researcher) of its council
    wave = WaveFactory(status=WaveStatus.CLOSED)
    export = pending_export(wave)
    admin = client_of(wave.council, CouncilRole.ADMIN)

    # When the admin requests an export, polls the existing one and lists them
    created = admin.post(EXPORTS, {"waves": [wave.pk], "format": "csv_tidy"}, format="json")
    poll = admin.get(reverse("api:export-detail", kwargs={"pk": export.pk}))

    # Then the request is forbidden with the reason, the export is hidden, nothing created
    assert created.status_code == 403
    assert created.json() == {
        "error": {
            "code": "permission_denied",
            "message": (
                "Exports of member-level data are for researchers; your role does not include them."
            ),
            "fields": {},
        }
    }
    assert poll.status_code == 404
    assert admin.get(EXPORTS).json()["count"] == 0
    assert list(Export.objects.values_list("pk", flat=True)) == [export.pk]


def test_a_superuser_exports_any_councils_wave(db, media):
    # Given a closed wave and a superuser without any council role
    wave = WaveFactory(status=WaveStatus.CLOSED)
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))

    # When they request its export
    response = client.post(EXPORTS, {"waves": [wave.pk], "format": "codebook_csv"}, format="json")

    # Then it is created
    assert response.status_code == 201
    assert Export.objects.get().council_ids == [wave.council_id]


def test_an_anonymous_request_gets_401_in_the_error_format(db):
    response = APIClient().post(EXPORTS, {"waves": [1], "format": "csv_tidy"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Export.objects.count() == 0


def test_an_api_export_request_and_download_are_audited_like_the_pages(
    db, media, django_capture_on_commit_callbacks
):
    from audit.models import AuditEntry

    # Given a closed wave and its researcher, using the API
    wave, *_ = build_closed_wave(wards=["Central"])
    researcher = client_of(wave.council, CouncilRole.RESEARCHER)
    user = researcher.handler._force_user

    # When they request an export and download it
    with django_capture_on_commit_callbacks(execute=True):
        researcher.post(EXPORTS, {"waves": [wave.pk], "format": "csv_tidy"}, format="json")
    export = Export.objects.get()
    download = researcher.get(reverse("api:export-download", kwargs={"pk": export.pk}))
    b"".join(download.streaming_content)

    # Then both are in the audit log, under the researcher and the wave's council
    entries = AuditEntry.objects.filter(user=user, council=wave.council)
    assert set(entries.values_list("action", flat=True)) >= {"request_export", "download_export"}
    assert entries.filter(action="download_export", object_id=str(export.pk)).exists()
