"""Pages to request research exports, follow them, and download the finished files."""

from django import forms
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from console.gate import staff_view
from experiments.policy import Right
from exports import jobs, scope
from exports.models import Export, ExportFormat, ExportStatus, LabelLanguage
from surveyplatform.domain import ActionRefused, InvalidState, NotAllowed, NotFound
from surveyplatform.downloads import attachment


def wave_choices(user) -> list[tuple[str, list[tuple[int, str]]]]:
    """Return the closed waves the user may export, grouped under their council's name."""
    groups: dict[tuple[str, int], list[tuple[int, str]]] = {}
    waves = scope.exportable_waves(user).order_by(
        "council__name", "council_id", F("closed_at").desc(nulls_last=True), "-pk"
    )
    for wave in waves:
        label = wave.title
        if wave.closed_at:
            label = gettext("%(title)s, closed %(date)s") % {
                "title": wave.title,
                "date": date_format(wave.closed_at, "j F Y"),
            }
        groups.setdefault((wave.council.name, wave.council_id), []).append((wave.pk, label))
    return [(name, waves) for (name, _id), waves in groups.items()]


class ExportRequestForm(forms.Form):
    waves = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label=_("Closed waves, by council (several are pooled into one file)"),
        error_messages={
            "required": _("Choose at least one wave to export."),
            # A wave of another council, or not closed: the same answer as an unknown id.
            "invalid_choice": _("No such waves among yours."),
        },
    )
    format = forms.ChoiceField(
        choices=ExportFormat.choices, label=_("Format"), widget=forms.RadioSelect
    )
    labels = forms.ChoiceField(
        choices=LabelLanguage.choices,
        label=_("Language of the labels in Stata and SPSS files"),
        initial=LabelLanguage.ENGLISH,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["waves"].choices = wave_choices(user)

    def wave_groups(self) -> list[tuple[str, list[tuple[int, str, bool]]]]:
        """Return each council with its waves and whether each is ticked, for one fieldset each."""
        ticked = {str(value) for value in self["waves"].value() or ()}
        return [
            (council, [(pk, label, str(pk) in ticked) for pk, label in waves])
            for council, waves in self.fields["waves"].choices
        ]


def _visible_export(request: HttpRequest, export_id: int) -> Export:
    """Return the export, or 404 when any council of its scope is not the user's."""
    return jobs.visible_export(request.user, export_id)


@staff_view(right=Right.EXPORT)
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    # `?wave=<id>` (from a wave's results) ticks that wave; an id not among the user's is ignored.
    initial = {"waves": [v for v in request.GET.getlist("wave") if v.isdigit()]}
    form = ExportRequestForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            export = jobs.request_export(
                request.user,
                wave_ids=form.cleaned_data["waves"],
                format=form.cleaned_data["format"],
                labels=form.cleaned_data["labels"],
            )
        except (NotFound, NotAllowed):
            form.add_error("waves", gettext("No such waves among yours."))
        except ActionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect("exports:detail", export_id=export.pk)
    return render(
        request,
        "analysis/exports/list.html",
        {"form": form, "exports": scope.visible_exports(request.user)},
    )


@staff_view
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = _visible_export(request, export_id)
    waiting = export.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
    return render(
        request,
        "analysis/exports/detail.html",
        {"export": export, "waiting": waiting, "ready": jobs.export_path(export) is not None},
    )


@staff_view
def export_download(request: HttpRequest, export_id: int) -> FileResponse:
    try:
        download = jobs.download_export(request.user, _visible_export(request, export_id))
    except InvalidState as refusal:
        raise Http404(str(refusal)) from refusal  # no file to hand over (yet)
    return attachment(download.path, filename=download.filename, content_type=download.content_type)
