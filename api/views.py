"""The REST API: thin views over the same domain functions as the council console.

Every queryset goes through `experiments.policy`, so another council's object answers
404 exactly as a missing one does. Council admins write; researchers read.
"""

import math
from dataclasses import asdict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from analysis.models import AnalysisRun, RunStatus
from analysis.runs import request_analysis_over
from api import serializers as s
from api.permissions import CouncilAdminOnly, CouncilAdminWrites
from experiments import fieldwork, themes, waves
from experiments.blinding import may_see_arms
from experiments.models import (
    Activity,
    Council,
    Invitation,
    ResponseUpload,
    Theme,
    ThemeKind,
    Wave,
    WaveStatus,
)
from experiments.monitoring import _design_arms as design_arms
from experiments.monitoring import arm_labels, monitor_wave
from experiments.policy import Right, councils_with, scoped
from experiments.response_uploads import check_response_upload, commit_response_upload
from panel.models import PanelUpload
from panel.uploads import check_panel_upload, commit_panel_upload
from surveyplatform.domain import ActionRefused, InvalidInput

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
    councils = councils_with(request.user, Right.DESIGN)
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


@extend_schema_view(list=extend_schema(summary="List the councils you hold a role in"))
class CouncilViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CouncilSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return councils_with(self.request.user, Right.READ)


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
            Right.READ,
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
        serializer.instance = themes.create_theme(
            self.request.user, council=self.council, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = themes.update_theme(
            self.request.user, serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        themes.delete_theme(self.request.user, instance)


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
            Right.READ,
            council_field="theme__council",
        )
        if self.action == "list":
            theme_id = query_id(self.request, "theme")
            if theme_id is not None:
                activities = activities.filter(theme_id=theme_id)
        return activities

    def get_serializer_context(self):
        writable = scoped(Theme.objects.all(), self.request.user, Right.DESIGN)
        return {**super().get_serializer_context(), "writable_themes": writable}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = themes.add_activity(self.request.user, data.pop("theme"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("theme", None)
        serializer.instance = themes.update_activity(self.request.user, serializer.instance, **data)

    def perform_destroy(self, instance):
        themes.delete_activity(self.request.user, instance)


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
            Right.READ,
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
        writable = scoped(Theme.objects.all(), self.request.user, Right.DESIGN)
        return {
            **super().get_serializer_context(),
            "council": self.council,
            "writable_themes": writable,
        }

    def create(self, request, *args, **kwargs):
        self.council = creation_council(request)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = waves.create_wave(
            self.request.user, council=self.council, themes=data.pop("themes", []), **data
        )

    def perform_update(self, serializer):
        wave, data = serializer.instance, dict(serializer.validated_data)
        if "closes_at" in data and wave.status != WaveStatus.DRAFT:
            # After opening, the closing time moves only as a recorded deviation.
            closes_at = data.pop("closes_at")
            if closes_at != wave.closes_at:
                wave = waves.change_closing_time(self.request.user, wave, closes_at=closes_at)
        serializer.instance = waves.update_wave(
            self.request.user, wave, themes=data.pop("themes", None), **data
        )

    def perform_destroy(self, instance):
        waves.delete_wave(self.request.user, instance)

    def _reloaded(self, wave: Wave) -> Response:
        wave = self.get_queryset().get(pk=wave.pk)
        return Response(self.get_serializer(wave).data)

    @extend_schema(request=None, responses=s.WaveSerializer, summary="Open a draft wave")
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return self._reloaded(waves.open_wave(request.user, self.get_object()))

    @extend_schema(request=None, responses=s.WaveSerializer, summary="Close an open wave")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._reloaded(waves.close_wave(request.user, self.get_object()))

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
        reveal = may_see_arms(request.user, wave)
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
        issued = fieldwork.issue_member_link(
            request.user, wave, external_id=body.validated_data["external_id"]
        )
        return Response(s.IssuedInvitationSerializer(issued).data, status=status.HTTP_201_CREATED)


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
            Right.FIELDWORK,
            council_field="wave__council",
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
        councils = councils_with(self.request.user, Right.RESULTS)
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
        except ActionRefused as refusal:
            if isinstance(refusal, InvalidInput):
                raise exceptions.ValidationError({"waves": [str(refusal)]}) from refusal
            raise
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
            PanelUpload.objects.order_by("-uploaded_at", "-pk"), self.request.user, Right.PANEL
        )

    def create(self, request, *args, **kwargs):
        council = creation_council(request)
        body = s.PanelFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        stored = check_panel_upload(
            request.user, council=council, content=upload, filename=upload.name
        )
        return Response(self.get_serializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.ImportResultSerializer,
        summary="Import a checked panel file",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        result = commit_panel_upload(request.user, self.get_object())
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
            ResponseUpload.objects.order_by("-uploaded_at", "-pk"),
            self.request.user,
            Right.FIELDWORK,
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
            scoped(Wave.objects.select_related("council"), request.user, Right.FIELDWORK)
            .exclude(status=WaveStatus.DRAFT)
            .filter(pk=body.validated_data["wave"])
            .first()
        )
        if wave is None:
            raise exceptions.NotFound(_("No such open or closed wave among your councils."))
        upload = body.validated_data["file"]
        stored = check_response_upload(request.user, wave, content=upload, filename=upload.name)
        return Response(self.get_serializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.ResponseImportResultSerializer,
        summary="Import a checked file of paper or telephone responses",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        result = commit_response_upload(request.user, self.get_object())
        return Response(s.ResponseImportResultSerializer(result).data)
