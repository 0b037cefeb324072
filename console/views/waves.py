"""Waves: the checklist page; create, edit, copy, open, close; themes, settings, nudges, wording.

The wave page puts the wave's state and its next step first, then what is prepared before
it opens, its invitations and its progress. Statistical detail (the power plan's tables,
the balance tests) sits on pages of its own, one link away.
"""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analysis.datasets import plan_wave_power
from analysis.summaries import draft_summary
from console.dashboard import balance_rows, balance_statement, finite, wave_dashboard
from console.forms import (
    ConfirmForm,
    CopyWaveForm,
    CouncilWelshForm,
    ExperimentSettingsForm,
    ItemWordingForm,
    NudgeForm,
    ReminderForm,
    WaveForm,
)
from console.gate import _admin_councils, _wave, console_view
from console.refusals import show_refusal
from experiments.blinding import may_see_power_plan
from experiments.councils import set_council_welsh_texts
from experiments.debriefs import anyone_completed, draft_debrief
from experiments.forms import ThemePageForm
from experiments.models import (
    Activity,
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
    ThemePage,
    default_wording,
    needs_welsh,
    set_item_wordings,
    theme_pages,
)
from experiments.responses import current_nudge_texts
from experiments.themes import is_fixed
from experiments.waves import (
    close_wave,
    copy_wave,
    create_wave,
    move_wave_theme,
    next_step,
    open_wave,
    opening_checks,
    opening_problems,
    update_wave,
)
from surveyplatform.domain import ActionRefused


@console_view
def wave_create(request: HttpRequest) -> HttpResponse:
    return _wave_form(request, Wave())


@console_view
def wave_edit(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    if wave.status == WaveStatus.CLOSED:
        messages.error(request, _("The wave is closed; nothing about it can change."))
        return redirect("console:wave", wave_id=wave.pk)
    return _wave_form(request, wave)


def _wave_form(request: HttpRequest, wave: Wave) -> HttpResponse:
    councils = _admin_councils(request)
    themes = Theme.objects.filter(council__in=councils).select_related("council")
    form = WaveForm(request.POST or None, instance=wave, councils=councils, themes=themes)
    creating = wave.pk is None
    if not creating and wave.status == WaveStatus.OPEN:
        # Once open, the design is fixed: only the titles can still change here.
        for name in list(form.fields):
            if name not in ("title", "title_cy"):
                del form.fields[name]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        council, chosen = data.pop("council", None), data.pop("themes", None)
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
    return render(request, "console/wave_form.html", {"form": form, "wave": wave}, status=status)


@console_view
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the wave as a checklist: its state and next step first, then each part of it."""
    wave = _wave(request, wave_id)
    problems = opening_checks(wave) if wave.status == WaveStatus.DRAFT else []
    running = wave.status != WaveStatus.DRAFT
    dashboard = wave_dashboard(wave) if running else None
    step = next_step(wave, problems)
    nobody_completed = wave.status == WaveStatus.CLOSED and not anyone_completed(wave)
    context = {
        "wave": wave,
        "next": step,
        "next_link": step_link(wave, step),
        "invitations_url": _invitations_url(wave),
        "problems": problems,
        "opening_problems": [
            {"message": p.message, "link": step_link(wave, p)}
            for p in problems
            if p.kind != "welsh"
        ],
        "closing_problem": next((p for p in problems if p.kind == "closing"), None),
        "welsh_problems": [
            {"message": p.message, "link": step_link(wave, p)}
            for p in problems
            if p.kind == "welsh"
        ],
        "needs_welsh": needs_welsh(wave),
        "themes": _theme_rows(wave, problems),
        "verdict": power_verdict(power_plan_of(wave)),
        "dashboard": dashboard,
        "balance": balance_statement(monitor_wave(wave, reveal=False)) if running else None,
        # Nobody to thank or tell about the results: no message to members is offered.
        "nobody_completed": nobody_completed,
        "debriefs": [] if nobody_completed else _debriefs_of(wave),
    }
    if wave.status == WaveStatus.OPEN:
        context["reminders"] = ReminderSchedule.objects.filter(wave=wave)
        context["reminder_form"] = ReminderForm()
    return render(request, "console/wave_detail.html", context)


def _invitations_url(wave: Wave) -> str:
    return reverse("console:invitations", kwargs={"wave_id": wave.pk})


def step_link(wave: Wave, step) -> dict | None:
    """Return the page that does a step of the checklist (or fixes a problem), and its label."""
    action = getattr(step, "action", None) or step.kind
    place, theme_id = step.place, step.theme_id
    wave_page = {"wave_id": wave.pk}
    theme_page = {"wave_id": wave.pk, "theme_id": theme_id}
    if action == "welsh":
        links = {
            "council": ("console:council_welsh", wave_page, _("Write the council's Welsh texts")),
            "wave": ("console:wave_edit", wave_page, _("Write the Welsh title")),
            "theme": (
                "console:theme_edit",
                {"theme_id": theme_id},
                _("See the theme: it is fixed, so replace it with a new one")
                if theme_id and is_fixed(Theme(pk=theme_id))
                else _("Write the theme's Welsh"),
            ),
            "wording": ("console:wording", theme_page, _("Write the Welsh wording")),
            "nudges": ("console:nudges", theme_page, _("Write the Welsh nudges")),
        }
        name, kwargs, label = links[place]
    elif action == "invite":
        url = _invitations_url(wave)
        return {"url": url, "label": _("Send the invitations")}
    else:
        links = {
            "closing": ("console:wave_edit", wave_page, _("Set the closing time")),
            "themes": ("console:wave_edit", wave_page, _("Choose the themes")),
            "activities": ("console:theme_edit", {"theme_id": theme_id}, _("Add activities")),
            "nudges": ("console:nudges", theme_page, _("Write the nudges")),
            "open": ("console:wave_open", wave_page, _("Open the wave")),
            "monitor": ("console:wave_dashboard", wave_page, _("See the progress")),
            "import": ("console:response_import", wave_page, _("Import the answers")),
            "results": ("analysis:wave_results", wave_page, _("Read the results")),
        }
        if action not in links:
            return None
        name, kwargs, label = links[action]
    return {"url": reverse(name, kwargs=kwargs), "label": label}


def _theme_rows(wave: Wave, problems) -> list[dict]:
    """Return each theme of the wave, in order, with how far its parts are prepared."""
    themes = list(wave.themes.order_by("wave_themes__position", "pk"))
    ids = [theme.pk for theme in themes]
    nudges = dict(
        NudgeText.objects.filter(wave=wave)
        .values_list("theme_id")
        .annotate(n=Count("nudge", distinct=True))
    )
    activities = dict(
        Activity.objects.filter(theme_id__in=ids).values_list("theme_id").annotate(n=Count("pk"))
    )
    reworded = dict(
        ItemWording.objects.filter(wave=wave).values_list("theme_id").annotate(n=Count("pk"))
    )
    fixed = set(
        Theme.objects.filter(pk__in=ids)
        .filter(waves__status__in=[WaveStatus.OPEN, WaveStatus.CLOSED])
        .values_list("pk", flat=True)
    )
    welsh = {}
    for problem in problems:
        if problem.kind == "welsh" and problem.theme_id:
            welsh[problem.theme_id] = welsh.get(problem.theme_id, 0) + 1
    return [
        {
            "theme": theme,
            "activities": activities.get(theme.pk, 0),
            "nudges": nudges.get(theme.pk, 0),
            "reworded": reworded.get(theme.pk, 0),
            "welsh_missing": welsh.get(theme.pk, 0),
            "fixed": theme.pk in fixed,
            "first": index == 0,
            "last": index == len(themes) - 1,
        }
        for index, theme in enumerate(themes)
    ]


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


def _about(number: float) -> int:
    """Round a planned count as people say it: 587 → 590, 1,234 → 1,200."""
    if number < 100:
        return round(number)
    digits = len(str(int(number))) - 2
    return int(round(number, -digits))


def power_verdict(power: dict) -> dict:
    """Say in one sentence what the wave can detect, from its power plan.

    The figure is the smallest detectable change in individual co-production between one
    nudged group and the group without a nudge, per theme: the contrast the study is about.
    It names no arm, so it may be shown while the wave is open.
    """
    inputs = power.get("inputs") or {}
    completes = _about(power.get("expected_completes") or 0)
    if not inputs.get("experiment_on", True):
        return {"text": _("The nudge experiment is off, so there is no effect to detect.")}
    if not inputs.get("themes"):
        return {"text": _("Choose the wave's themes to see what it can detect.")}
    cases = power.get("cases") or []
    contrasts = [
        c
        for c in (cases[0]["contrasts"] if cases else [])
        if c["outcome"] == "individual" and c["contrast"] == "A only vs none"
    ]
    if not contrasts:
        return {
            "text": _(
                "Too few members are expected to answer to detect any effect: about %(n)s "
                "answers in all. Grow the panel or expect a higher response rate."
            )
            % {"n": completes}
        }
    points = contrasts[0]["mde_points"]
    shown = f"{points:.0f}" if points >= 1 else f"{points:.1f}"
    verdict = {
        "text": _(
            "With about %(n)s answers you can detect a change of %(points)s points or more "
            "in individual co-production between a group and the control."
        )
        % {"n": f"{completes:,}", "points": shown}
    }
    hoped = power.get("hoped_for_points")
    if hoped is not None:
        if contrasts[0].get("detects_hoped_for") is False:
            verdict["warning"] = _(
                "That is more than the %(hoped)s points you hoped to find: the wave is too small "
                "to detect it reliably."
            ) % {"hoped": f"{hoped:g}"}
        else:
            verdict["reassurance"] = _(
                "That is enough to find the %(hoped)s points you hoped for."
            ) % {"hoped": f"{hoped:g}"}
    return verdict


@console_view
def wave_power(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the full power plan behind the wave page's one-line verdict."""
    wave = _wave(request, wave_id)
    power = power_plan_of(wave)
    return render(
        request,
        "console/power_detail.html",
        {
            "wave": wave,
            "verdict": power_verdict(power),
            "power": power if may_see_power_plan(request.user, wave) else None,
            "outcomes": [
                ("individual", _("individual index")),
                ("collective_any", _("collective participation (any)")),
            ],
        },
    )


@console_view
def wave_settings(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Let the council change the experiment's statistical settings while the wave is a draft."""
    wave = _wave(request, wave_id)
    editable = wave.status == WaveStatus.DRAFT
    form = ExperimentSettingsForm(
        request.POST if request.method == "POST" and editable else None, instance=wave
    )
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and editable and form.is_valid():
        try:
            update_wave(request.user, wave, **form.cleaned_data)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Experiment settings saved."))
            return redirect("console:wave", wave_id=wave.pk)
    wave = Wave.objects.select_related("council").get(pk=wave.pk)
    power = power_plan_of(wave)
    status = 400 if request.method == "POST" and editable else 200
    return render(
        request,
        "console/wave_settings.html",
        {
            "wave": wave,
            "form": form,
            "editable": editable,
            "inputs": power.get("inputs") or {},
            "power": power,
        },
        status=status,
    )


@console_view
def wave_copy(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Make a new draft from this wave: same themes, nudges, wording and settings."""
    source = _wave(request, wave_id)
    initial = {"title": _("%(title)s (copy)") % {"title": source.title}}
    if source.title_cy:
        initial["title_cy"] = f"{source.title_cy} (copi)"
    form = CopyWaveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            wave = copy_wave(request.user, source, **form.cleaned_data)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request,
                _(
                    "“%(title)s” is a new draft copied from “%(source)s”. Check its themes, "
                    "nudges and wording, and set its closing time."
                )
                % {"title": wave.title, "source": source.title},
            )
            return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/wave_copy.html", {"wave": source, "form": form}, status=status)


@console_view
@require_POST
def wave_theme_move(request: HttpRequest, wave_id: int, theme_id: int) -> HttpResponse:
    """Move a theme one place up or down the wave's ordered list (works without JavaScript)."""
    wave, theme = _wave_theme(request, wave_id, theme_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, _("Choose whether to move the theme up or down."))
    else:
        try:
            move_wave_theme(request.user, wave, theme=theme, offset=offset)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                (_("“%s” moved up.") if offset < 0 else _("“%s” moved down.")) % theme.name_en,
            )
    return redirect(reverse("console:wave", kwargs={"wave_id": wave.pk}) + "#themes")


@console_view
def council_welsh(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Let the council write its name (and privacy texts) in Welsh, from a wave's checklist."""
    wave = _wave(request, wave_id)
    council = wave.council
    form = CouncilWelshForm(request.POST or None, instance=council)
    if request.method == "POST" and form.is_valid():
        try:
            set_council_welsh_texts(request.user, council, **form.cleaned_data)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("The council's Welsh texts are saved."))
            return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/wave_council_welsh.html",
        {"wave": wave, "council": council, "form": form},
        status=status,
    )


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
    page, so wording overrides and nudge versions appear exactly as members get them. In
    Welsh, every text that has no Welsh version (and so reaches members in English) is
    marked, and listed above the groups.
    """
    wave, theme = _wave_theme(request, wave_id, theme_id)
    language = "cy" if request.GET.get("lang") == "cy" else "en"
    english_shown = _english_in_welsh(wave, theme) if language == "cy" else {}
    arms = []
    with translation.override(language):
        for arm in Arm:
            nudge_texts = current_nudge_texts(wave.pk, arm.nudges)
            (page,) = [
                p
                for p in theme_pages(wave, language=language, nudge_texts=nudge_texts)
                if p.theme_id == theme.pk
            ]
            if english_shown:
                page = _marked(page, english_shown, nudge_texts.get(theme.pk, []))
            arms.append(
                {"arm": arm, "page": page, "form": ThemePageForm(page=page, prefix=arm.value)}
            )
    # The console around the preview stays in the admin's language; the template renders
    # each member's page inside {% language %} so its labels are in the previewed language.
    return render(
        request,
        "console/preview.html",
        {
            "wave": wave,
            "theme": theme,
            "arms": arms,
            "language": language,
            "english_shown": english_shown.get("listed", []),
        },
    )


def _english_in_welsh(wave: Wave, theme: Theme) -> dict:
    """Return which of the theme page's texts lack Welsh, so members reading Welsh get English."""
    activities = {a.pk for a in theme.activities.all() if not a.text_cy.strip()}
    items = {
        w.item
        for w in ItemWording.objects.filter(wave=wave, theme=theme)
        if w.text_en.strip() and not w.text_cy.strip()
    }
    nudges = {
        t.pk
        for t in current_nudge_texts(wave.pk, ("a", "b")).get(theme.pk, [])
        if not t.text_cy.strip()
    }
    listed = []
    if not theme.name_cy.strip():
        listed.append(_("The theme's name"))
    listed += [_("Activity “%s”") % a.text_en for a in theme.activities.all() if a.pk in activities]
    listed += [_("The wording of “%s”") % Item(item).label for item in sorted(items)]
    listed += [
        _("Nudge %s") % t.nudge.upper()
        for t in current_nudge_texts(wave.pk, ("a", "b")).get(theme.pk, [])
        if t.pk in nudges
    ]
    if not listed:
        return {}
    return {
        "name": not theme.name_cy.strip(),
        "activities": activities,
        "items": items,
        "nudges": nudges,
        "listed": listed,
    }


def _mark(text: str) -> str:
    return format_html(
        '<mark class="english-in-welsh" lang="en">{}<span class="govuk-visually-hidden"> '
        "({})</span></mark>",
        text,
        _("in English"),
    )


def _marked(page: ThemePage, english: dict, texts: list[NudgeText]) -> ThemePage:
    """Return the page with its English stand-ins marked, as the preview shows them."""
    from dataclasses import replace

    from experiments.questionnaires import ActivityItem

    return replace(
        page,
        name=_mark(page.name) if english["name"] else page.name,
        activities=[
            ActivityItem(a.id, _mark(a.text)) if a.id in english["activities"] else a
            for a in page.activities
        ],
        nudges=[
            _mark(shown) if text.pk in english["nudges"] else shown
            for shown, text in zip(page.nudges, texts, strict=False)
        ],
        wording={
            item: _mark(text) if item in english["items"] else text
            for item, text in page.wording.items()
        },
    )


@console_view
def dashboard(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show how the wave is going: of those invited, per day and per theme, in plain words."""
    wave = _wave(request, wave_id)
    monitor = monitor_wave(wave, reveal=False)
    return render(
        request,
        "console/wave_dashboard.html",
        {
            "wave": wave,
            "dashboard": wave_dashboard(wave),
            "monitor": monitor,
            "balance": balance_statement(monitor),
            "deliveries": EmailDelivery.objects.filter(wave=wave)
            .select_related("member")
            .order_by("-created_at")[:50],
        },
    )


@console_view
def balance_details(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the statistician's view of the groups: sizes, balance tests and every share."""
    wave = _wave(request, wave_id)
    monitor = monitor_wave(wave, reveal=False)
    check = monitor.sample_ratio
    return render(
        request,
        "console/wave_balance.html",
        {
            "wave": wave,
            "monitor": monitor,
            "balance": balance_statement(monitor),
            "rows": balance_rows(monitor),
            "ratio": None
            if check is None or finite(check.statistic) is None
            else {"statistic": check.statistic, "df": check.df, "p": finite(check.p_value)},
            "joint": monitor.joint_balance
            if monitor.joint_balance and finite(monitor.joint_balance.statistic) is not None
            else None,
        },
    )
