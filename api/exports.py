"""Export routes of the API: create, poll and download research exports.

Exports hold pseudonymised member-level data, so they follow the export right of
`experiments.policy`: superusers and researchers of every council in the export's scope.
A council admin without a researcher role is refused with 403; an export or wave outside
the user's councils answers 404, as everywhere in the API. The file is served only once
the export is done (it is moved into place complete), never while it is being written.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from api.schema import ErrorSerializer
from api.serializers import StrictSerializer
from experiments.policy import Right, councils_with
from exports import jobs, scope, writers
from exports.models import Export, ExportFormat, LabelLanguage
from surveyplatform.domain import ActionRefused, NotAllowed, NotFound
from surveyplatform.downloads import attachment

ID_PATTERN = r"[0-9]+"
# Media types of the files, without parameters, for the schema.
DOWNLOAD_TYPES = sorted({value.split(";")[0] for value in writers.CONTENT_TYPES.values()})


class ExportSerializer(serializers.ModelSerializer):
    waves = serializers.ListField(source="wave_ids", child=serializers.IntegerField())

    class Meta:
        model = Export
        fields = [
            "id",
            "status",
            "format",
            "labels",
            "waves",
            "requested_at",
            "finished_at",
            "size",
            "sha256",
            "error",
        ]
        read_only_fields = fields


class ExportRequestSerializer(StrictSerializer):
    waves = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    labels = serializers.ChoiceField(choices=LabelLanguage.choices, default="en")


class AnyFileRenderer(BaseRenderer):
    """Lets a download ask for the file's own type (`Accept: text/csv`) rather than JSON.

    The file itself bypasses renderers; only an error answer is rendered, as JSON.
    """

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


class MayExport(BasePermission):
    """Only superusers and researchers may create exports; reading is scoped per export."""

    message = _(
        "Exports of member-level data are for researchers; your role does not include them."
    )

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if view.action != "create" or user.is_superuser:
            return True
        return councils_with(user, Right.EXPORT).exists()


@extend_schema_view(
    create=extend_schema(
        request=ExportRequestSerializer,
        responses={201: ExportSerializer},
        summary="Request an export of closed waves",
        description=(
            "Answers at once with the export, `pending` until a worker has written it (an "
            "export of the same unchanged data is reused). Poll it until `done`, then "
            "download it. Only closed waves of councils you are a researcher of; several "
            "waves (of one council or more) are pooled into one file. A wave you may not "
            "see answers 404 and nothing is created."
        ),
    ),
    retrieve=extend_schema(summary="Poll an export"),
)
class ExportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Exports whose whole scope lies within the user's councils; others answer 404."""

    serializer_class = ExportSerializer
    permission_classes = [MayExport]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        # Access to each export is decided by the export right of its councils (get_object).
        return Export.objects.order_by("-requested_at", "-pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(scope.visible_exports(request.user, limit=1000))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        return jobs.visible_export(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            export = jobs.request_export(
                request.user,
                wave_ids=body.validated_data["waves"],
                format=body.validated_data["format"],
                labels=body.validated_data["labels"],
            )
        except (NotFound, NotAllowed) as error:
            raise exceptions.NotFound(_("No such waves among yours.")) from error
        except ActionRefused as error:
            raise exceptions.ValidationError({"waves": [str(error)]}) from error
        return Response(self.get_serializer(export).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a done export",
        description=(
            "The complete file, as an attachment, never cached. An export not yet done (or "
            "failed) answers 409: poll it first."
        ),
        responses={
            **{(200, media_type): OpenApiTypes.BINARY for media_type in DOWNLOAD_TYPES},
            409: OpenApiResponse(ErrorSerializer, description="The export is not done."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyFileRenderer])
    def download(self, request, pk=None):
        export = self.get_object()
        download = jobs.download_export(request.user, export)
        return attachment(
            download.path, filename=download.filename, content_type=download.content_type
        )
