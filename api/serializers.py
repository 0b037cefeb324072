"""Input and output shapes of the API.

Every serializer refuses fields it does not accept: a read-only field (an id, a council,
a status, a time the platform records) or an unknown one is a 400 naming the field, so a
client never believes it changed something it did not.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analysis.models import AnalysisRun
from experiments.models import (
    Activity,
    Council,
    ResponseUpload,
    Theme,
    Wave,
)
from panel.models import PanelUpload
from surveyplatform.text import clean_submitted

READ_ONLY_MESSAGE = _("This field is read-only: the platform sets it.")
UNKNOWN_MESSAGE = _("Unknown field.")


class StrictSerializer(serializers.Serializer):
    """Refuse read-only and unknown fields instead of silently ignoring them.

    Every text sent is cleaned first (NFC, no invisible or bidi-control characters:
    `surveyplatform.text.clean_text`), so the API stores what the console stores.
    """

    def to_internal_value(self, data):
        data = clean_submitted(data)
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            read_only = {name for name, field in self.fields.items() if field.read_only}
            errors = {}
            for key in data:
                if key in read_only:
                    errors[key] = [READ_ONLY_MESSAGE]
                elif key not in writable:
                    errors[key] = [UNKNOWN_MESSAGE]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class CouncilSerializer(serializers.ModelSerializer):
    class Meta:
        model = Council
        fields = ["id", "name", "slug", "nation"]
        read_only_fields = fields


class ActivityInThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "text_en", "text_cy", "position"]
        read_only_fields = fields


class ThemeSerializer(StrictModelSerializer):
    activities = ActivityInThemeSerializer(many=True, read_only=True)

    class Meta:
        model = Theme
        fields = ["id", "council", "kind", "name_en", "name_cy", "activities"]
        read_only_fields = ["id", "council", "activities"]

    def validate_name_en(self, value: str) -> str:
        council = self.instance.council if self.instance else self.context["council"]
        clash = Theme.objects.filter(council=council, name_en=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("The council already has a theme of this name."))
        return value


class ActivitySerializer(StrictModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "theme", "text_en", "text_cy", "position"]
        read_only_fields = ["id"]

    def get_fields(self):
        fields = super().get_fields()
        # Only themes of councils the user administers.
        fields["theme"].queryset = self.context.get("writable_themes", Theme.objects.none())
        return fields

    def validate_theme(self, theme: Theme) -> Theme:
        if isinstance(self.instance, Activity) and theme.pk != self.instance.theme_id:
            raise serializers.ValidationError(_("An activity cannot move to another theme."))
        return theme


class WaveSerializer(StrictModelSerializer):
    # Ids of the wave's themes, in their order in the questionnaire.
    themes = serializers.PrimaryKeyRelatedField(many=True, queryset=Theme.objects.none())

    class Meta:
        model = Wave
        fields = [
            "id",
            "council",
            "title",
            "status",
            "themes",
            "opens_at",
            "closes_at",
            "experiment_on",
            "allocation_scheme",
            "strata",
            "created_at",
            "opened_at",
            "closed_at",
            "design_hash",
        ]
        read_only_fields = [
            "id",
            "council",
            "status",
            "created_at",
            "opened_at",
            "closed_at",
            "design_hash",
        ]

    def get_fields(self):
        fields = super().get_fields()
        fields["themes"].child_relation.queryset = self.context.get(
            "writable_themes", Theme.objects.none()
        )
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["themes"] = [
            wave_theme.theme_id
            for wave_theme in sorted(
                instance.wave_themes.all(), key=lambda wt: (wt.position, wt.pk)
            )
        ]
        return data

    def validate_themes(self, themes):
        # The domain refuses another council's theme too; this names the ids at once.
        council = self.instance.council if self.instance else self.context.get("council")
        if len({theme.pk for theme in themes}) != len(themes):
            raise serializers.ValidationError(_("A theme can appear only once in a wave."))
        other = [theme.pk for theme in themes if theme.council_id != getattr(council, "pk", None)]
        if other:
            raise serializers.ValidationError(
                _("Themes %(ids)s belong to another council than the wave's.")
                % {"ids": ", ".join(map(str, other))}
            )
        return themes


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row; the header is 1.")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class PanelImportSerializer(serializers.ModelSerializer):
    ok = serializers.SerializerMethodField()
    row_count = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()

    class Meta:
        model = PanelUpload
        fields = [
            "id",
            "council",
            "filename",
            "uploaded_at",
            "imported_at",
            "ok",
            "row_count",
            "problems",
        ]
        read_only_fields = fields

    def get_ok(self, upload) -> bool:
        return not upload.report.get("problems")

    def get_row_count(self, upload) -> int:
        return int(upload.report.get("row_count", 0))

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, upload):
        return ProblemSerializer(upload.report.get("problems", []), many=True).data


class PanelFileSerializer(StrictSerializer):
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX, as in the console.")


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class ResponseImportSerializer(serializers.ModelSerializer):
    ok = serializers.SerializerMethodField()
    row_count = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()

    class Meta:
        model = ResponseUpload
        fields = [
            "id",
            "council",
            "wave",
            "filename",
            "uploaded_at",
            "imported_at",
            "ok",
            "row_count",
            "summary",
            "result",
            "problems",
        ]
        read_only_fields = fields

    def get_ok(self, upload) -> bool:
        return not upload.report.get("problems")

    def get_row_count(self, upload) -> int:
        return int(upload.report.get("row_count", 0))

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_summary(self, upload) -> dict:
        """What the import would do: new, updated and unchanged responses."""
        names = ("new", "updated", "unchanged")
        return {name: int(upload.report.get(name, 0)) for name in names}

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, upload):
        return ProblemSerializer(upload.report.get("problems", []), many=True).data


class ResponseFileSerializer(StrictSerializer):
    wave = serializers.IntegerField(
        min_value=1, help_text="An open or closed wave of a council you administer."
    )
    file = serializers.FileField(
        help_text=(
            "CSV (UTF-8) or XLSX in the layout of the wide export, plus external_id; "
            "mode 2 = paper, 3 = telephone."
        )
    )


class ResponseImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class InvitationRequestSerializer(StrictSerializer):
    external_id = serializers.CharField(
        max_length=100, help_text="The council's own id of an active panel member."
    )


class InvitationSerializer(serializers.Serializer):
    external_id = serializers.CharField(source="member.external_id")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    first_opened_at = serializers.DateTimeField(allow_null=True)


class IssuedInvitationSerializer(serializers.Serializer):
    external_id = serializers.CharField(source="invitation.member.external_id")
    url = serializers.CharField(help_text="The personal link; it is shown this once only.")
    created_at = serializers.DateTimeField(source="invitation.created_at")
    expires_at = serializers.DateTimeField(source="invitation.expires_at", allow_null=True)


class ArmCountsSerializer(serializers.Serializer):
    arm = serializers.CharField(allow_null=True, help_text="Null unless arms are revealed.")
    label = serializers.CharField()
    opened = serializers.IntegerField()
    exposed = serializers.IntegerField(allow_null=True)
    partial = serializers.IntegerField()
    completed = serializers.IntegerField()


class SampleRatioSerializer(serializers.Serializer):
    observed = serializers.ListField(child=serializers.IntegerField())
    expected = serializers.ListField(child=serializers.FloatField())
    statistic = serializers.FloatField(allow_null=True)
    df = serializers.IntegerField()
    p_value = serializers.FloatField(allow_null=True)
    flagged = serializers.BooleanField()


class LevelBalanceSerializer(serializers.Serializer):
    covariate = serializers.CharField()
    level = serializers.CharField()
    shares = serializers.DictField(child=serializers.FloatField(allow_null=True))
    standardised_differences = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Null where a difference is infinite (a level present in one group only).",
    )


class JointBalanceSerializer(serializers.Serializer):
    statistic = serializers.FloatField(allow_null=True)
    df = serializers.IntegerField()
    p_value = serializers.FloatField(allow_null=True)


class MonitorSerializer(serializers.Serializer):
    wave_id = serializers.IntegerField()
    experiment_on = serializers.BooleanField()
    scheme = serializers.CharField()
    units = serializers.CharField()
    invited = serializers.IntegerField()
    opened = serializers.IntegerField()
    exposed = serializers.IntegerField(allow_null=True)
    partial = serializers.IntegerField()
    completed = serializers.IntegerField()
    arms = ArmCountsSerializer(many=True)
    sample_ratio = SampleRatioSerializer(allow_null=True)
    balance = LevelBalanceSerializer(many=True)
    joint_balance = JointBalanceSerializer(allow_null=True)


class AnalysisRunSerializer(serializers.ModelSerializer):
    waves = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisRun
        fields = [
            "id",
            "wave",
            "waves",
            "status",
            "requested_at",
            "started_at",
            "finished_at",
            "input_hash",
            "plan_hash",
            "design_hash",
            "software",
            "results",
            "error",
        ]
        read_only_fields = fields

    def get_waves(self, run: AnalysisRun) -> list[int]:
        """Return the waves the run covers (a wave's own run: that wave)."""
        return run.wave_ids or ([run.wave_id] if run.wave_id else [])


class AnalysisRunRequestSerializer(StrictSerializer):
    waves = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
