"""The REST API: thin views over the same domain functions as the council console.

Every queryset goes through `experiments.tenancy`, so another council's object answers
404 exactly as a missing one does. Council admins write; researchers read.
"""

import math
from dataclasses import asdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from analysis.models import AnalysisRun, RunStatus
from analysis.runs import AnalysisRequestError, request_analysis_over
from api import serializers as s
from api.errors import Conflict
from api.permissions import ADMIN, CouncilAdminOnly, CouncilAdminWrites
from audit.log import record_action
from experiments.invitations import issue_invitation
from experiments.models import (
    Activity,
    Council,
    CouncilRole,
    Invitation,
    ResponseUpload,
    Theme,
    ThemeKind,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.monitoring import _design_arms as design_arms
from experiments.monitoring import arm_labels, monitor_wave
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from experiments.tenancy import councils_for, scoped
from experiments.waves import close_wave, open_wave, opening_problems
from panel.imports import PanelFileError, check_panel_file, import_panel_file
from panel.models import MemberStatus, PanelMember, PanelUpload
from surveyplatform.uploads import without_nul

ID_PATTERN = r"[0-9]+"
COUNCIL_PARAMETER = OpenApiParameter(
    "council",
    OpenApiTypes.INT,
    description="The council to create in; needed only by admins of several councils.",
)


def query_id(request, name: str) -> int | None:
    """Return the integer id in a query parameter, None if absent; refuse anything else."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 1:
        raise exceptions.ValidationError({name: [_("Give a positive whole number.")]})
    return number


def query_choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise exceptions.ValidationError(
            {name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
        )
    return value


def creation_council(request) -> Council:
    """Return the council a new object belongs to: the `council` parameter, or the only one.

    The council is never a field of the body: it comes from the URL or from the user's
    single admin role, and another council answers 404 as everywhere else.
    """
    councils = councils_for(request.user, roles=ADMIN)
    council_id = query_id(request, "council")
    if council_id is not None:
        council = councils.filter(pk=council_id).first()
        if council is None:
            raise exceptions.NotFound(_("No such council among the councils you administer."))
        return council
    chosen = list(councils[:2])
    if len(chosen) != 1:
        raise exceptions.ValidationError(
            {"council": [_("You administer several councils: name one with ?council=<id>.")]}
        )
    return chosen[0]


def _audit(request, action_name: str, target, *, council, summary: str = "", **details):
    record_action(
        request.user,
        action=action_name,
        council=council,
        target=target,
        summary=summary,
        details={"via": "api", **details},
    )


@extend_schema_view(list=extend_schema(summary="List the councils you hold a role in"))
class CouncilViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CouncilSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return councils_for(self.request.user)


THEME_FILTERS = [
    OpenApiParameter("council", OpenApiTypes.INT, description="Only this council's themes."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ThemeKind.values),
]


@extend_schema_view(
    list=extend_schema(parameters=THEME_FILTERS),
    create=extend_schema(parameters=[COUNCIL_PARAMETER]),
)
class ThemeViewSet(viewsets.ModelViewSet):
    serializer_class = s.ThemeSerializer
    permission_classes = [CouncilAdminWrites]
    lookup_value_regex = ID_PATTERN
    council = None

    def get_queryset(self):
        themes = scoped(
            Theme.objects.prefetch_related("activities").order_by("council_id", "name_en"),
            self.request.user,
        )
        if self.action == "list":
            council_id = query_id(self.request, "council")
            if council_id is not None:
                themes = themes.filter(council_id=council_id)
            kind = query_choice(self.request, "kind", ThemeKind.values)
            if kind:
                themes = themes.filter(kind=kind)
        return themes

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "council": self.council}

    def create(self, request, *args, **kwargs):
        self.council = creation_council(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        with transaction.atomic():
            theme = serializer.save(council=self.council)
            _audit(
                self.request, "create_theme", theme, council=theme.council, summary=theme.name_en
            )

    def perform_update(self, serializer):
        refuse_if_theme_fixed(serializer.instance)
        with transaction.atomic():
            theme = serializer.save()
            _audit(self.request, "edit_theme", theme, council=theme.council, summary=theme.name_en)

    def perform_destroy(self, instance):
        if WaveTheme.objects.filter(theme=instance).exists():
            raise Conflict(_("The theme is part of a wave; remove it from the wave first."))
        with transaction.atomic():
            _audit(
                self.request,
                "delete_theme",
                instance,
                council=instance.council,
                summary=instance.name_en,
            )
            instance.delete()


def refuse_if_theme_fixed(theme: Theme) -> None:
    if theme.waves.exclude(status=WaveStatus.DRAFT).exists():
        raise Conflict(_("This theme is part of a wave that has opened, so its wording is fixed."))


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("theme", OpenApiTypes.INT, description="Only this theme.")]
    )
)
class ActivityViewSet(viewsets.ModelViewSet):
    serializer_class = s.ActivitySerializer
    permission_classes = [CouncilAdminWrites]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        activities = scoped(
            Activity.objects.select_related("theme__council"),
            self.request.user,
            council_field="theme__council",
        )
        if self.action == "list":
            theme_id = query_id(self.request, "theme")
            if theme_id is not None:
                activities = activities.filter(theme_id=theme_id)
        return activities

    def get_serializer_context(self):
        writable = scoped(Theme.objects.all(), self.request.user, roles=ADMIN)
        return {**super().get_serializer_context(), "writable_themes": writable}

    def perform_create(self, serializer):
        refuse_if_theme_fixed(serializer.validated_data["theme"])
        with transaction.atomic():
            activity = serializer.save()
            _audit(self.request, "create_activity", activity, council=activity.theme.council)

    def perform_update(self, serializer):
        refuse_if_theme_fixed(serializer.instance.theme)
        with transaction.atomic():
            activity = serializer.save()
            _audit(self.request, "edit_activity", activity, council=activity.theme.council)

    def perform_destroy(self, instance):
        refuse_if_theme_fixed(instance.theme)
        with transaction.atomic():
            _audit(self.request, "delete_activity", instance, council=instance.theme.council)
            instance.delete()


WAVE_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=WaveStatus.values),
    OpenApiParameter("council", OpenApiTypes.INT, description="Only this council's waves."),
]


@extend_schema_view(
    list=extend_schema(parameters=WAVE_FILTERS),
    create=extend_schema(parameters=[COUNCIL_PARAMETER]),
)
class WaveViewSet(viewsets.ModelViewSet):
    serializer_class = s.WaveSerializer
    permission_classes = [CouncilAdminWrites]
    lookup_value_regex = ID_PATTERN
    council = None

    def get_queryset(self):
        waves = scoped(
            Wave.objects.select_related("council").prefetch_related("wave_themes"),
            self.request.user,
        ).order_by("-created_at", "-pk")
        if self.action == "list":
            wave_status = query_choice(self.request, "status", WaveStatus.values)
            if wave_status:
                waves = waves.filter(status=wave_status)
            council_id = query_id(self.request, "council")
            if council_id is not None:
                waves = waves.filter(council_id=council_id)
        return waves

    def get_serializer_context(self):
        writable = scoped(Theme.objects.all(), self.request.user, roles=ADMIN)
        return {
            **super().get_serializer_context(),
            "council": self.council,
            "writable_themes": writable,
        }

    def create(self, request, *args, **kwargs):
        self.council = creation_council(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        themes = serializer.validated_data.pop("themes", [])
        with transaction.atomic():
            wave = serializer.save(council=self.council)
            set_wave_themes(wave, themes)
            _audit(self.request, "create_wave", wave, council=wave.council, summary=wave.title)

    def perform_update(self, serializer):
        wave = serializer.instance
        if wave.status == WaveStatus.CLOSED:
            raise Conflict(_("The wave is closed; nothing about it can change."))
        themes = serializer.validated_data.pop("themes", None)
        with transaction.atomic():
            wave = serializer.save()
            if themes is not None and wave.status == WaveStatus.DRAFT:
                set_wave_themes(wave, themes)
            _audit(self.request, "edit_wave", wave, council=wave.council, summary=wave.title)

    def perform_destroy(self, instance):
        if instance.status != WaveStatus.DRAFT:
            raise Conflict(_("Only a draft wave can be deleted."))
        with transaction.atomic():
            _audit(
                self.request,
                "delete_wave",
                instance,
                council=instance.council,
                summary=instance.title,
            )
            instance.delete()

    def _reloaded(self, wave: Wave) -> Response:
        wave = self.get_queryset().get(pk=wave.pk)
        return Response(self.get_serializer(wave).data)

    @extend_schema(request=None, responses=s.WaveSerializer, summary="Open a draft wave")
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        wave = self.get_object()
        problems = opening_problems(wave)
        if problems:
            raise Conflict(" ".join(str(problem) for problem in problems))
        open_wave(wave.pk)
        _audit(request, "open_wave", wave, council=wave.council, summary=wave.title)
        return self._reloaded(wave)

    @extend_schema(request=None, responses=s.WaveSerializer, summary="Close an open wave")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        wave = self.get_object()
        run = close_wave(wave.pk)
        _audit(
            request,
            "close_wave",
            wave,
            council=wave.council,
            summary=wave.title,
            analysis_run=run.pk,
        )
        return self._reloaded(wave)

    @extend_schema(
        responses=s.MonitorSerializer,
        summary="Response counts and allocation monitor",
        description=(
            "Invited, opened, partial and completed counts, per group, with the sample-ratio "
            "check and covariate balance. Council admins see neutral group labels; the "
            "council's researchers see the arms."
        ),
    )
    @action(detail=True, methods=["get"])
    def monitoring(self, request, pk=None):
        wave = self.get_object()
        reveal = (
            request.user.is_superuser
            or councils_for(request.user, roles=(CouncilRole.RESEARCHER,))
            .filter(pk=wave.council_id)
            .exists()
        )
        return Response(s.MonitorSerializer(monitor_as_data(wave, reveal=reveal)).data)

    @extend_schema(
        request=s.InvitationRequestSerializer,
        responses={201: s.IssuedInvitationSerializer},
        summary="Issue a member's personal link",
        description=(
            "Create the member's invitation to an open wave, or replace the link of an "
            "existing one. The link is in this response only: it is stored as a hash."
        ),
    )
    @action(detail=True, methods=["post"])
    def invitations(self, request, pk=None):
        wave = self.get_object()
        body = s.InvitationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if wave.status != WaveStatus.OPEN:
            raise Conflict(_("Links can only be issued for an open wave."))
        member = PanelMember.objects.filter(
            council=wave.council,
            external_id=body.validated_data["external_id"],
            status=MemberStatus.ACTIVE,
        ).first()
        if member is None:
            raise exceptions.ValidationError(
                {"external_id": [_("No active member of the wave's council has this id.")]}
            )
        issued = issue_invitation(wave, member=member)
        _audit(
            request,
            "issue_link",
            wave,
            council=wave.council,
            summary=f"Personal link issued for {member.external_id}",
        )
        return Response(s.IssuedInvitationSerializer(issued).data, status=status.HTTP_201_CREATED)


def set_wave_themes(wave: Wave, themes) -> None:
    WaveTheme.objects.filter(wave=wave).exclude(theme__in=themes).delete()
    for position, theme in enumerate(themes):
        WaveTheme.objects.update_or_create(wave=wave, theme=theme, defaults={"position": position})


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def monitor_as_data(wave: Wave, *, reveal: bool) -> dict:
    """Return the wave's monitor as plain data, hiding what a council admin must not see."""
    data = _finite(asdict(monitor_wave(wave, reveal=reveal)))
    for row in data["arms"]:
        if not reveal:
            row["arm"] = None
            row["exposed"] = None
    if not reveal:
        data["exposed"] = None
        ratio = data["sample_ratio"]
        if ratio is not None:
            # In design order the counts would tell which group is which arm: list them
            # in the order of the neutral group labels instead, as the rows are.
            labels = arm_labels(wave, reveal=False)
            order = sorted(
                range(len(ratio["observed"])), key=lambda i: labels[design_arms(wave)[i]]
            )
            ratio["observed"] = [ratio["observed"][i] for i in order]
            ratio["expected"] = [ratio["expected"][i] for i in order]
    return data


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("wave", OpenApiTypes.INT, description="Only this wave.")]
    )
)
class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The invitations of the waves you administer; links are never shown again."""

    serializer_class = s.InvitationSerializer
    permission_classes = [CouncilAdminOnly]

    def get_queryset(self):
        invitations = scoped(
            Invitation.objects.select_related("member").order_by("pk"),
            self.request.user,
            council_field="wave__council",
            roles=ADMIN,
        )
        wave_id = query_id(self.request, "wave")
        if wave_id is not None:
            invitations = invitations.filter(wave_id=wave_id)
        return invitations


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("wave", OpenApiTypes.INT, description="Only this wave's runs."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=RunStatus.values),
        ]
    ),
    create=extend_schema(
        request=s.AnalysisRunRequestSerializer,
        responses={201: s.AnalysisRunSerializer},
        summary="Request an analysis over several closed waves",
        description=(
            "Answers at once with the run, `pending` until a worker has computed it; a run "
            "over the same waves and unchanged answers is reused. Each council × theme of "
            "each wave is a case. Only closed waves of your councils; others answer 404."
        ),
    ),
)
class AnalysisRunViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A wave's own runs, and runs over several waves all of which lie in the user's councils."""

    serializer_class = s.AnalysisRunSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        councils = councils_for(self.request.user)
        over_waves = (
            AnalysisRun.objects.filter(wave__isnull=True, waves__isnull=False)
            .exclude(waves__in=Wave.objects.exclude(council__in=councils))
            .values("pk")
        )
        runs = AnalysisRun.objects.filter(
            Q(wave__council__in=councils) | Q(pk__in=over_waves)
        ).order_by("-requested_at", "-pk")
        if self.action == "list":
            wave_id = query_id(self.request, "wave")
            if wave_id is not None:
                runs = runs.filter(wave_id=wave_id)
            run_status = query_choice(self.request, "status", RunStatus.values)
            if run_status:
                runs = runs.filter(status=run_status)
        return runs

    def create(self, request, *args, **kwargs):
        body = s.AnalysisRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = request_analysis_over(request.user, wave_ids=body.validated_data["waves"])
        except PermissionError as error:
            raise exceptions.NotFound(_("No such waves among yours.")) from error
        except AnalysisRequestError as error:
            raise exceptions.ValidationError({"waves": [str(error)]}) from error
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": s.PanelFileSerializer},
        parameters=[COUNCIL_PARAMETER],
        summary="Upload a panel file and check it (dry run)",
        description=(
            "Nothing is imported: the answer lists every problem by row and column. "
            "Commit a file without problems with the `commit` action."
        ),
    )
)
class PanelImportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.PanelImportSerializer
    permission_classes = [CouncilAdminOnly]
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return scoped(
            PanelUpload.objects.order_by("-uploaded_at", "-pk"), self.request.user, roles=ADMIN
        )

    def create(self, request, *args, **kwargs):
        council = creation_council(request)
        body = s.PanelFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        content = upload  # read by the check, only once its size is within the limit
        report = check_panel_file(content, filename=upload.name)
        stored = PanelUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=council,
        )
        return Response(self.get_serializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.ImportResultSerializer,
        summary="Import a checked panel file",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        upload = self.get_object()
        if not upload.importable:
            raise Conflict(_("This file cannot be imported again; upload it anew."))
        try:
            result = import_panel_file(
                upload.council, content=bytes(upload.content), filename=upload.filename
            )
        except PanelFileError as error:
            raise Conflict(_("The file has problems; nothing was imported.")) from error
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.save(update_fields=["imported_at", "content"])
        _audit(
            request,
            "import_panel",
            upload,
            council=upload.council,
            summary=f"{upload.filename}: {result.created} created, {result.updated} updated",
            created=result.created,
            updated=result.updated,
        )
        return Response(s.ImportResultSerializer(result).data)


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": s.ResponseFileSerializer},
        summary="Upload paper or telephone responses and check them (dry run)",
        description=(
            "Nothing is imported: the answer lists every problem by row and column, and "
            "what the import would do. Commit a file without problems with the `commit` "
            "action. The wave must be open or closed and belong to a council you administer."
        ),
    )
)
class ResponseImportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ResponseImportSerializer
    permission_classes = [CouncilAdminOnly]
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        uploads = scoped(
            ResponseUpload.objects.order_by("-uploaded_at", "-pk"), self.request.user, roles=ADMIN
        )
        if self.action == "list":
            wave_id = query_id(self.request, "wave")
            if wave_id is not None:
                uploads = uploads.filter(wave_id=wave_id)
        return uploads

    def create(self, request, *args, **kwargs):
        body = s.ResponseFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wave = (
            scoped(Wave.objects.select_related("council"), request.user, roles=ADMIN)
            .exclude(status=WaveStatus.DRAFT)
            .filter(pk=body.validated_data["wave"])
            .first()
        )
        if wave is None:
            raise exceptions.NotFound(_("No such open or closed wave among your councils."))
        upload = body.validated_data["file"]
        content = upload  # read by the check, only once its size is within the limit
        report = check_response_file(wave, content=content, filename=upload.name)
        stored = ResponseUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=wave.council,
            wave=wave,
        )
        return Response(self.get_serializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.ResponseImportResultSerializer,
        summary="Import a checked file of paper or telephone responses",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        upload = self.get_object()
        if not upload.importable:
            raise Conflict(_("This file cannot be imported again; upload it anew."))
        try:
            result = import_response_file(
                upload.wave, content=bytes(upload.content), filename=upload.filename
            )
        except ResponseFileError as error:
            upload.report = without_nul(error.report.as_dict())
            upload.content = b""
            upload.save(update_fields=["report", "content"])
            raise Conflict(_("The file has problems; nothing was imported.")) from error
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.result = asdict(result)
        upload.save(update_fields=["imported_at", "content", "result"])
        _audit(
            request,
            "import_responses",
            upload,
            council=upload.council,
            summary=(
                f"{upload.filename} into wave #{upload.wave_id}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged"
            ),
            **upload.result,
        )
        return Response(s.ResponseImportResultSerializer(result).data)
