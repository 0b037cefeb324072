"""Waves: create, edit, open, close; their nudges, wording and preview."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from analysis.datasets import plan_wave_power
from analysis.summaries import draft_summary
from console.dashboard import wave_dashboard
from console.forms import (
    ConfirmForm,
    ItemWordingForm,
    NudgeForm,
    ReminderForm,
    WaveForm,
)
from console.gate import _admin_councils, _wave, console_view
from console.refusals import show_refusal
from experiments.blinding import may_see_arms, may_see_power_plan
from experiments.debriefs import draft_debrief
from experiments.forms import ThemePageForm
from experiments.models import (
    Arm,
    EmailDelivery,
    Item,
    ItemWording,
    Nudge,
    NudgeText,
    ReminderSchedule,
    Theme,
    Wave,
    WaveStatus,
)
from experiments.monitoring import monitor_wave
from experiments.nudges import set_nudge_texts
from experiments.questionnaires import (
    default_wording,
    set_item_wordings,
    theme_pages,
)
from experiments.responses import current_nudge_texts
from experiments.waves import close_wave, create_wave, open_wave, opening_problems, update_wave
from surveyplatform.domain import ActionRefused


@console_view
def wave_create(request: HttpRequest) -> HttpResponse:
    return _wave_form(request, Wave())


@console_view
def wave_edit(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    if wave.status != WaveStatus.DRAFT:
        messages.error(
            request, _("Only a draft wave can be changed: its design is fixed once it opens.")
        )
        return redirect("console:wave", wave_id=wave.pk)
    return _wave_form(request, wave)


def _wave_form(request: HttpRequest, wave: Wave) -> HttpResponse:
    councils = _admin_councils(request)
    themes = Theme.objects.filter(council__in=councils).select_related("council")
    form = WaveForm(request.POST or None, instance=wave, councils=councils, themes=themes)
    creating = wave.pk is None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        council, chosen = data.pop("council"), list(data.pop("themes"))
        try:
            if creating:
                wave = create_wave(request.user, council=council, themes=chosen, **data)
            else:
                wave = update_wave(request.user, wave, themes=chosen, **data)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Wave “%s” saved.") % wave.title)
            return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    power = power_plan_of(wave) if not creating else None
    return render(
        request,
        "console/wave_form.html",
        {"form": form, "wave": wave, "power": power},
        status=status,
    )


@console_view
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    wave_themes = list(wave.themes.order_by("wave_themes__position", "pk"))
    nudge_counts = dict(
        NudgeText.objects.filter(wave=wave)
        .values_list("theme_id")
        .annotate(n=Count("nudge", distinct=True))
    )
    checklist = opening_problems(wave) if wave.status == WaveStatus.DRAFT else []
    return render(
        request,
        "console/wave_detail.html",
        {
            "wave": wave,
            "themes": [(t, nudge_counts.get(t.pk, 0)) for t in wave_themes],
            "checklist": checklist,
            "dashboard": wave_dashboard(wave),
            "monitor": monitor_wave(wave, reveal=may_see_arms(request.user, wave)),
            "reminders": ReminderSchedule.objects.filter(wave=wave),
            "deliveries": EmailDelivery.objects.filter(wave=wave).select_related("member")[:50],
            "reminder_form": ReminderForm(),
            "power": power_plan_of(wave) if may_see_power_plan(request.user, wave) else None,
            "debriefs": _debriefs_of(wave),
        },
    )


def _debriefs_of(wave: Wave) -> list:
    """Return the closed wave's debrief and (once analysed) summary, drafting them if needed."""
    if wave.status != WaveStatus.CLOSED:
        return []
    summary = draft_summary(wave)
    return [draft_debrief(wave), *([summary] if summary else [])]


def power_plan_of(wave: Wave) -> dict:
    """Return the wave's power plan: the frozen one once it opened, else the live one."""
    frozen = (wave.design or {}).get("power_plan")
    if frozen is not None:
        return {**frozen, "frozen": True}
    return {**plan_wave_power(wave).to_dict(), "frozen": False}


@console_view
def wave_open(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    problems = opening_problems(wave) if wave.status == WaveStatus.DRAFT else []
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not problems:
        try:
            open_wave(request.user, wave)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The wave is open. Next: send the invitations."))
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/wave_open.html",
        {"wave": wave, "form": form, "problems": problems},
        status=status,
    )


@console_view
def wave_close(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            close_wave(request.user, wave)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The wave is closed and its analysis has started."))
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/wave_close.html", {"wave": wave, "form": form}, status=status)


def _wave_theme(request, wave_id: int, theme_id: int) -> tuple[Wave, Theme]:
    wave = _wave(request, wave_id)
    theme = wave.themes.filter(pk=theme_id).first()
    if theme is None:
        raise Http404
    return wave, theme


@console_view
def nudges_edit(request: HttpRequest, wave_id: int, theme_id: int) -> HttpResponse:
    wave, theme = _wave_theme(request, wave_id, theme_id)
    if wave.status == WaveStatus.CLOSED:
        messages.error(request, _("The wave is closed; its nudges can no longer change."))
        return redirect("console:wave", wave_id=wave.pk)
    current = current_nudge_texts(wave.pk, ("a", "b")).get(theme.pk, [])
    initial = {}
    for text in current:
        initial[f"{text.nudge}_en"] = text.text_en
        initial[f"{text.nudge}_cy"] = text.text_cy
    form = NudgeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        texts = {
            n.value: (data[f"{n.value}_en"], data[f"{n.value}_cy"]) for n in (Nudge.A, Nudge.B)
        }
        try:
            set_nudge_texts(request.user, wave, theme=theme, texts=texts)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Nudge texts saved. Check them in the preview below."))
            return redirect("console:preview", wave_id=wave.pk, theme_id=theme.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/nudges_form.html",
        {
            "wave": wave,
            "theme": theme,
            "form": form,
            "versions": NudgeText.objects.filter(wave=wave, theme=theme),
        },
        status=status,
    )


@console_view
def wording_edit(request: HttpRequest, wave_id: int, theme_id: int) -> HttpResponse:
    """Let the council reword any question of a theme page for this wave, in both languages."""
    wave, theme = _wave_theme(request, wave_id, theme_id)
    if wave.status != WaveStatus.DRAFT:
        messages.error(request, _("Wording can only change while the wave is a draft."))
        return redirect("console:wave", wave_id=wave.pk)
    with translation.override("en"):
        defaults = {
            item.value: default_wording(theme.kind, item.value, theme_name=theme.name_en.lower())
            for item in Item
        }
    initial = {}
    for wording in ItemWording.objects.filter(wave=wave, theme=theme):
        initial[f"{wording.item}_en"] = wording.text_en
        initial[f"{wording.item}_cy"] = wording.text_cy
    form = ItemWordingForm(
        request.POST if request.method == "POST" else None, initial=initial, defaults=defaults
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wordings = {
            item.value: (data[f"{item.value}_en"], data[f"{item.value}_cy"]) for item in Item
        }
        try:
            set_item_wordings(request.user, wave, theme=theme, wordings=wordings)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Wording saved. Check it in the preview below."))
            return redirect("console:preview", wave_id=wave.pk, theme_id=theme.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/wording_form.html",
        {"wave": wave, "theme": theme, "form": form},
        status=status,
    )


@console_view
def preview(request: HttpRequest, wave_id: int, theme_id: int) -> HttpResponse:
    """Show the theme page as a member of each of the four arms would see it.

    The page is rendered from the same page data, form and template as the member's theme
    page, so wording overrides and nudge versions appear exactly as members get them.
    """
    wave, theme = _wave_theme(request, wave_id, theme_id)
    language = "cy" if request.GET.get("lang") == "cy" else "en"
    arms = []
    with translation.override(language):
        for arm in Arm:
            nudge_texts = current_nudge_texts(wave.pk, arm.nudges)
            (page,) = [
                p
                for p in theme_pages(wave, language=language, nudge_texts=nudge_texts)
                if p.theme_id == theme.pk
            ]
            arms.append(
                {"arm": arm, "page": page, "form": ThemePageForm(page=page, prefix=arm.value)}
            )
    # The console around the preview stays in the admin's language; the template renders
    # each member's page inside {% language %} so its labels are in the previewed language.
    return render(
        request,
        "console/preview.html",
        {"wave": wave, "theme": theme, "arms": arms, "language": language},
    )
