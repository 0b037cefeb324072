"""Export routes of the API: create, poll and download research exports.

TODO(exports): NOT WIRED. The `Export` job model and `analysis.exports` are being built
on the exports branch and are absent here, so nothing imports this module yet. Once
that branch is merged, register the view set in `api/urls.py`:

    from api.exports import ExportViewSet
    router.register("exports", ExportViewSet, basename="export")

and add `"export": "export"` to `OBJECT_OF_ROUTE` with an export of council A in the
fixture of `tests/api/test_api_tenancy.py` (the route walk fails loudly until then),
plus tests for create (201, 400 for an open wave, 404 for another council's wave),
poll and download. Written against the exports branch's interface:
`request_export(user, *, wave_ids, format, labels)`, `can_export(user, council_ids)`,
`visible_exports(user)`, `export_path(export)`, `download_name(export)`.
"""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from analysis import export_models, exports
from api.serializers import StrictSerializer

Export = export_models.Export
ExportFormat = export_models.ExportFormat
LabelLanguage = export_models.LabelLanguage


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


class ExportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Exports whose whole scope lies within the user's councils; others answer 404."""

    serializer_class = ExportSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        # Access to exports is decided in one place, `analysis.exports.can_export`.
        return Export.objects.order_by("-requested_at", "-pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(exports.visible_exports(request.user, limit=1000))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self):
        export = super().get_object()
        if not exports.can_export(self.request.user, export.council_ids):
            raise exceptions.NotFound()
        return export

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer})
    def create(self, request, *args, **kwargs):
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            export = exports.request_export(
                request.user,
                wave_ids=body.validated_data["waves"],
                format=body.validated_data["format"],
                labels=body.validated_data["labels"],
            )
        except PermissionError as error:
            raise exceptions.NotFound(_("No such waves among yours.")) from error
        except exports.ExportError as error:
            raise exceptions.ValidationError({"waves": [str(error)]}) from error
        return Response(self.get_serializer(export).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self.get_object()
        path = exports.export_path(export)
        if path is None:
            raise exceptions.NotFound(_("The export is not ready; poll it until it is done."))
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=exports.download_name(export),
            content_type=exports.CONTENT_TYPES[exports.EXTENSIONS[export.format]],
        )
        response["Cache-Control"] = "no-store"
        return response
