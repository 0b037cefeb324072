"""The council admin console: thin views over the domain functions, scoped per council.

Every view goes through `experiments.tenancy`: an object of a council the user holds no
admin role in answers 404, exactly like a missing one.
"""

import csv
import functools
import io

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analysis.datasets import plan_wave_power
from console.audit import record_action
from console.dashboard import wave_dashboard
from console.forms import (
    ActivityFormSet,
    ConfirmForm,
    ItemWordingForm,
    NudgeForm,
    PanelUploadForm,
    PrintCopiesForm,
    ReminderForm,
    ResponseUploadForm,
    ThemeForm,
    TokenForm,
    WaveForm,
)
from console.models import (
    AuditEntry,
    EmailDelivery,
    PanelUpload,
    ReminderSchedule,
    ResponseUpload,
    without_nul,
)
from experiments.emails import queue_invitations
from experiments.forms import AboutYouForm, ThemePageForm
from experiments.invitations import issue_invitation
from experiments.models import (
    Arm,
    CouncilRole,
    Item,
    ItemWording,
    Nudge,
    NudgeText,
    Theme,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.monitoring import monitor_wave
from experiments.nudges import set_nudge_text
from experiments.paper import PrintRefused, members_to_print, parse_external_ids, print_copies
from experiments.questionnaires import (
    default_wording,
    needs_welsh,
    set_item_wording,
    theme_pages,
)
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from experiments.responses import current_nudge_texts
from experiments.tenancy import councils_for, get_scoped_or_404, scoped
from experiments.waves import WaveStateError, close_wave, open_wave
from panel.erasure import ErasureError, erase_member
from panel.imports import PanelFileError, check_panel_file, import_panel_file
from panel.models import MemberContact, MemberStatus, PanelMember

ADMIN = (CouncilRole.ADMIN,)


def console_view(view):
    """Require a signed-in council admin, verified by a second factor if they enrolled one."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('console:login')}?next={request.get_full_path()}")
        if _needs_second_factor(user):
            return redirect(f"{reverse('console:verify')}?next={request.get_full_path()}")
        if not councils_for(user, roles=ADMIN).exists():
            return render(request, "console/no_council.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _needs_second_factor(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True) and not user.is_verified()


def _admin_councils(request):
    return councils_for(request.user, roles=ADMIN)


def _wave(request, wave_id: int) -> Wave:
    return get_scoped_or_404(
        Wave.objects.select_related("council"), request.user, roles=ADMIN, pk=wave_id
    )


# Signing in ------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("console:home")


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        from django.contrib.auth import logout

        logout(request)
        messages.info(request, _("You have signed out."))
        return redirect("console:login")
    return render(request, "console/logout.html")


def verify(request: HttpRequest) -> HttpResponse:
    """Ask a user who enrolled an authenticator for a current code."""
    from django_otp import devices_for_user
    from django_otp import login as otp_login

    if not request.user.is_authenticated:
        return redirect("console:login")
    form = TokenForm(request.POST or None)
    next_url = request.GET.get("next") or reverse("console:home")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = reverse("console:home")
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(next_url)
        form.add_error("token", _("That code is not right or has expired; try the current one."))
    return render(
        request, "console/verify.html", {"form": form}, status=400 if form.errors else 200
    )


@console_view
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show a QR code, confirm with a first code."""
    import qrcode
    import qrcode.image.svg
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if confirmed:
        return render(request, "console/two_factor.html", {"enrolled": True})
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_action(request.user, action="enrol_second_factor", target=device)
            messages.success(request, _("Two-step sign-in is on for your account."))
            return redirect("console:home")
        form.add_error(
            "token", _("That code is not right; check the time on your phone and try again.")
        )
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return render(
        request,
        "console/two_factor.html",
        {"form": form, "qr_svg": svg},
        status=400 if form.errors else 200,
    )


# Home ---------------------------------------------------------------------------------------


@console_view
def home(request: HttpRequest) -> HttpResponse:
    councils = _admin_councils(request)
    waves = scoped(Wave.objects.select_related("council"), request.user, roles=ADMIN)
    themes = scoped(
        Theme.objects.select_related("council").annotate(activity_count=Count("activities")),
        request.user,
        roles=ADMIN,
    )
    panel_size = scoped(PanelMember.objects.all(), request.user, roles=ADMIN).count()
    return render(
        request,
        "console/home.html",
        {"councils": councils, "waves": waves, "themes": themes, "panel_size": panel_size},
    )


# Themes -------------------------------------------------------------------------------------


@console_view
def theme_create(request: HttpRequest) -> HttpResponse:
    return _theme_form(request, Theme())


@console_view
def theme_edit(request: HttpRequest, theme_id: int) -> HttpResponse:
    theme = get_scoped_or_404(Theme.objects.all(), request.user, roles=ADMIN, pk=theme_id)
    if theme.waves.exclude(status=WaveStatus.DRAFT).exists():
        messages.error(
            request,
            _("This theme is part of a wave that has opened, so its wording is fixed."),
        )
        return redirect("console:home")
    return _theme_form(request, theme)


def _theme_form(request: HttpRequest, theme: Theme) -> HttpResponse:
    councils = _admin_councils(request)
    form = ThemeForm(request.POST or None, instance=theme, councils=councils)
    formset = ActivityFormSet(request.POST or None, instance=theme, prefix="activities")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        creating = theme.pk is None
        with transaction.atomic():
            theme = form.save()
            formset.instance = theme
            formset.save()
            record_action(
                request.user,
                action="create_theme" if creating else "edit_theme",
                council=theme.council,
                target=theme,
                summary=theme.name_en,
            )
        messages.success(request, _("Theme “%s” saved.") % theme.name_en)
        return redirect("console:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/theme_form.html",
        {"form": form, "formset": formset, "theme": theme},
        status=status,
    )


# Waves --------------------------------------------------------------------------------------


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
    if request.method == "POST" and form.is_valid():
        creating = wave.pk is None
        with transaction.atomic():
            wave = form.save()
            WaveTheme.objects.filter(wave=wave).exclude(
                theme__in=form.cleaned_data["themes"]
            ).delete()
            for position, theme in enumerate(form.cleaned_data["themes"]):
                WaveTheme.objects.update_or_create(
                    wave=wave, theme=theme, defaults={"position": position}
                )
            record_action(
                request.user,
                action="create_wave" if creating else "edit_wave",
                council=wave.council,
                target=wave,
                summary=wave.title,
                details={"themes": [t.pk for t in form.cleaned_data["themes"]]},
            )
        messages.success(request, _("Wave “%s” saved.") % wave.title)
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    power = power_plan_of(wave) if wave.pk else None
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
    checklist = _opening_problems(wave, wave_themes, nudge_counts)
    return render(
        request,
        "console/wave_detail.html",
        {
            "wave": wave,
            "themes": [(t, nudge_counts.get(t.pk, 0)) for t in wave_themes],
            "checklist": checklist,
            "dashboard": wave_dashboard(wave),
            "monitor": monitor_wave(wave, reveal=False),
            "reminders": ReminderSchedule.objects.filter(wave=wave),
            "deliveries": EmailDelivery.objects.filter(wave=wave).select_related("member")[:50],
            "reminder_form": ReminderForm(),
            # Blinding: while the wave is open the page names no arm, so no plan either.
            "power": None if wave.status == WaveStatus.OPEN else power_plan_of(wave),
            "debriefs": _debriefs_of(wave),
        },
    )


def _debriefs_of(wave: Wave) -> list:
    """Return the closed wave's debrief and (once analysed) summary, drafting them if needed."""
    from experiments.debriefs import draft_debrief, draft_summary

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


def _opening_problems(wave: Wave, themes, nudge_counts) -> list[str]:
    problems = []
    if not themes:
        problems.append(_("Choose at least one theme for the wave."))
    if wave.experiment_on:
        for theme in themes:
            if nudge_counts.get(theme.pk, 0) < 2:
                problems.append(_("Write nudges A and B for the theme “%s”.") % theme.name_en)
    themes_without_activities = Theme.objects.filter(
        pk__in=[t.pk for t in themes], activities__isnull=True
    ).values_list("name_en", flat=True)
    for name in themes_without_activities:
        problems.append(_("Add at least one activity to the theme “%s”.") % name)
    return problems


@console_view
def wave_open(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    themes = list(wave.themes.all())
    nudge_counts = dict(
        NudgeText.objects.filter(wave=wave)
        .values_list("theme_id")
        .annotate(n=Count("nudge", distinct=True))
    )
    problems = _opening_problems(wave, themes, nudge_counts)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not problems:
        try:
            open_wave(wave.pk)
        except WaveStateError as error:
            messages.error(request, str(error))
        else:
            record_action(
                request.user,
                action="open_wave",
                council=wave.council,
                target=wave,
                summary=wave.title,
            )
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
            run = close_wave(wave.pk)
        except WaveStateError as error:
            messages.error(request, str(error))
        else:
            record_action(
                request.user,
                action="close_wave",
                council=wave.council,
                target=wave,
                summary=wave.title,
                details={"analysis_run": run.pk},
            )
            messages.success(request, _("The wave is closed and its analysis has started."))
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/wave_close.html", {"wave": wave, "form": form}, status=status)


# Nudges and the preview -------------------------------------------------------------------------


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
        with transaction.atomic():
            for nudge in (Nudge.A, Nudge.B):
                text = set_nudge_text(
                    wave,
                    theme=theme,
                    nudge=nudge.value,
                    text_en=data[f"{nudge.value}_en"],
                    text_cy=data[f"{nudge.value}_cy"],
                )
                record_action(
                    request.user,
                    action="set_nudge_text",
                    council=wave.council,
                    target=text,
                    summary=f"{theme.name_en}: nudge {nudge.value.upper()} v{text.version}",
                )
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
        with transaction.atomic():
            for item in Item:
                before = (initial.get(f"{item.value}_en", ""), initial.get(f"{item.value}_cy", ""))
                after = (data[f"{item.value}_en"].strip(), data[f"{item.value}_cy"].strip())
                if before == after:
                    continue
                set_item_wording(
                    wave, theme=theme, item=item.value, text_en=after[0], text_cy=after[1]
                )
                record_action(
                    request.user,
                    action="set_item_wording",
                    council=wave.council,
                    target=theme,
                    summary=f"{theme.name_en}: {item.value} reworded"
                    if after[0]
                    else f"{theme.name_en}: {item.value} back to default",
                )
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


# Invitations and reminders ------------------------------------------------------------------


@console_view
@require_POST
def send_invitations(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    try:
        count = queue_invitations(wave)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="send_invitations",
            council=wave.council,
            target=wave,
            summary=f"{count} invitation e-mails queued",
        )
        messages.success(request, _("%d invitation e-mails are on their way.") % count)
    return redirect("console:wave", wave_id=wave.pk)


@console_view
@require_POST
def schedule_reminder(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    form = ReminderForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Enter the date and time for the reminder, for example 2027-03-01 09:00.")
        )
        return redirect("console:wave", wave_id=wave.pk)
    schedule = ReminderSchedule.objects.create(wave=wave, send_at=form.cleaned_data["send_at"])
    record_action(
        request.user,
        action="schedule_reminder",
        council=wave.council,
        target=schedule,
        summary=f"Reminder at {schedule.send_at:%Y-%m-%d %H:%M}",
    )
    messages.success(request, _("Reminder planned."))
    return redirect("console:wave", wave_id=wave.pk)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Neutralise a cell a spreadsheet would run as a formula, by a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@console_view
@require_POST
def links_csv(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Issue a fresh personal link for every active member and download them as CSV."""
    wave = _wave(request, wave_id)
    if wave.status != WaveStatus.OPEN:
        messages.error(request, _("Links can only be issued for an open wave."))
        return redirect("console:wave", wave_id=wave.pk)
    members = (
        PanelMember.objects.filter(council=wave.council, status=MemberStatus.ACTIVE)
        .select_related("contact")
        .order_by("external_id")
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "name", "preferred_language", "link"])
    count = 0
    for member in members:
        issued = issue_invitation(wave, member=member)
        contact = getattr(member, "contact", None)
        writer.writerow(
            [
                csv_safe(member.external_id),
                csv_safe(contact.name if contact else ""),
                member.preferred_language,
                csv_safe(issued.url),
            ]
        )
        count += 1
    record_action(
        request.user,
        action="download_links",
        council=wave.council,
        target=wave,
        summary=f"{count} personal links issued for letters",
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wave-{wave.pk}-links.csv"'
    return response


# Paper questionnaires and telephone scripts ---------------------------------------------------


@console_view
def print_paper(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Choose members, allocate them as an online opening would, and print their copies."""
    wave = _wave(request, wave_id)
    form = PrintCopiesForm(request.POST or None, request.FILES or None)
    error = None
    if wave.status != WaveStatus.OPEN:
        error = _("Paper questionnaires can only be printed while the wave is open.")
    elif request.method == "POST" and form.is_valid():
        ids_text = form.cleaned_data["ids_text"]
        kind = form.cleaned_data["kind"]
        try:
            members = members_to_print(
                wave, external_ids=None if ids_text is None else parse_external_ids(ids_text)
            )
            copies = print_copies(wave, members=members, kind=kind)
        except PrintRefused as refused:
            error = str(refused)
        else:
            record_action(
                request.user,
                action="print_paper",
                council=wave.council,
                target=wave,
                summary=f"{len(copies)} {kind} copies printed; members allocated as needed",
                details={"kind": kind, "count": len(copies)},
            )
            return _printed_copies(request, wave, copies, kind=kind)
    return render(
        request,
        "console/print_paper.html",
        {"wave": wave, "form": form, "refusal": error},
        status=400 if request.method == "POST" else 200,
    )


def _printed_copies(request: HttpRequest, wave: Wave, copies, *, kind: str) -> HttpResponse:
    """Render the copies with the online page's forms, each in its member's language."""
    about = {}
    printed = []
    for copy in copies:
        with translation.override(copy.language):
            if copy.language not in about:
                about[copy.language] = AboutYouForm(in_wales=needs_welsh(wave), wards=[])
            forms = [
                ThemePageForm(page=page, manipulation_check=wave.manipulation_check)
                for page in copy.pages
            ]
        printed.append({"copy": copy, "forms": forms, "about": about[copy.language]})
    response = render(
        request,
        "experiments/paper_questionnaire.html",
        {"wave": wave, "printed": printed, "kind": kind},
    )
    response["Cache-Control"] = "no-store"
    return response


# Panel --------------------------------------------------------------------------------------


@console_view
def panel(request: HttpRequest) -> HttpResponse:
    members = scoped(
        PanelMember.objects.select_related("council", "contact").order_by(
            "council__name", "external_id"
        ),
        request.user,
        roles=ADMIN,
    )
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(
            Q(external_id__icontains=query) | Q(contact__email__icontains=query)
        )
    status = request.GET.get("status", "")
    if status in MemberStatus.values:
        members = members.filter(status=status)
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/panel.html",
        {"page": page, "query": query, "status": status, "statuses": MemberStatus.choices},
    )


@console_view
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_scoped_or_404(
        PanelMember.objects.select_related("council"), request.user, roles=ADMIN, pk=member_id
    )
    contact = MemberContact.objects.filter(member=member).first()
    if request.method == "POST":
        new_status = request.POST.get("status")
        if new_status not in MemberStatus.values:
            messages.error(request, _("Choose what to do with the member."))
        else:
            old = member.status
            member.status = new_status
            member.save(update_fields=["status"])
            record_action(
                request.user,
                action="change_member_status",
                council=member.council,
                target=member,
                summary=f"member #{member.pk}: {old} → {new_status}",
            )
            messages.success(request, _("Member %s updated.") % member.external_id)
        return redirect("console:member", member_id=member.pk)
    return render(
        request,
        "console/member.html",
        {"member": member, "contact": contact, "statuses": MemberStatus.choices},
    )


@console_view
def panel_import(request: HttpRequest) -> HttpResponse:
    """Upload a panel file and see the dry run; nothing is imported yet."""
    councils = _admin_councils(request)
    form = PanelUploadForm(request.POST or None, request.FILES or None, councils=councils)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        report = check_panel_file(content, filename=upload.name)
        stored = PanelUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=form.cleaned_data["council"],
        )
        return redirect("console:panel_import_report", upload_id=stored.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/panel_import.html", {"form": form}, status=status)


@console_view
def panel_import_report(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_scoped_or_404(
        PanelUpload.objects.select_related("council"), request.user, roles=ADMIN, pk=upload_id
    )
    if request.method == "POST":
        if not upload.importable:
            messages.error(request, _("This file cannot be imported again; upload it anew."))
            return redirect("console:panel_import_report", upload_id=upload.pk)
        try:
            result = import_panel_file(
                upload.council, content=bytes(upload.content), filename=upload.filename
            )
        except PanelFileError:
            messages.error(request, _("The file has problems; nothing was imported."))
            return redirect("console:panel_import_report", upload_id=upload.pk)
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.save(update_fields=["imported_at", "content"])
        record_action(
            request.user,
            action="import_panel",
            council=upload.council,
            target=upload,
            summary=f"{upload.filename}: {result.created} created, {result.updated} updated",
            details={"created": result.created, "updated": result.updated},
        )
        messages.success(
            request,
            _("Imported: %(created)d new members, %(updated)d updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect("console:panel")
    return render(
        request, "console/panel_import_report.html", {"upload": upload, "report": upload.report}
    )


# Paper and telephone responses ---------------------------------------------------------------


@console_view
def response_import(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Upload paper or telephone responses and see the dry run; nothing is imported yet."""
    wave = _wave(request, wave_id)
    form = ResponseUploadForm(request.POST or None, request.FILES or None)
    # A draft wave's page only says why nothing can be imported yet; the check refuses too.
    if request.method == "POST" and wave.status != WaveStatus.DRAFT and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        report = check_response_file(wave, content=content, filename=upload.name)
        stored = ResponseUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=wave.council,
            wave=wave,
        )
        return redirect(
            "console:response_import_report", wave_id=wave.pk, response_upload_id=stored.pk
        )
    status = 400 if request.method == "POST" else 200
    uploads = ResponseUpload.objects.filter(wave=wave).order_by("-uploaded_at")[:10]
    return render(
        request,
        "console/response_import.html",
        {"form": form, "wave": wave, "uploads": uploads},
        status=status,
    )


@console_view
def response_import_report(
    request: HttpRequest, wave_id: int, response_upload_id: int
) -> HttpResponse:
    wave = _wave(request, wave_id)
    upload = get_scoped_or_404(
        ResponseUpload.objects.filter(wave=wave), request.user, roles=ADMIN, pk=response_upload_id
    )
    if request.method == "POST":
        if not upload.importable:
            messages.error(request, _("This file cannot be imported again; upload it anew."))
            return redirect(
                "console:response_import_report", wave_id=wave.pk, response_upload_id=upload.pk
            )
        try:
            result = import_response_file(
                wave, content=bytes(upload.content), filename=upload.filename
            )
        except ResponseFileError as error:
            # The panel or the wave changed since the dry run: show the new report.
            upload.report = without_nul(error.report.as_dict())
            upload.content = b""
            upload.save(update_fields=["report", "content"])
            messages.error(request, _("The file has problems; nothing was imported."))
            return redirect(
                "console:response_import_report", wave_id=wave.pk, response_upload_id=upload.pk
            )
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.result = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        upload.save(update_fields=["imported_at", "content", "result"])
        record_action(
            request.user,
            action="import_responses",
            council=wave.council,
            target=upload,
            summary=(
                f"{upload.filename} into wave #{wave.pk}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged"
            ),
            details=upload.result,
        )
        messages.success(
            request,
            _(
                "Imported: %(created)d new responses, %(updated)d corrected, "
                "%(unchanged)d unchanged."
            )
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return redirect("console:wave", wave_id=wave.pk)
    return render(
        request,
        "console/response_import_report.html",
        {"wave": wave, "upload": upload, "report": upload.report},
    )


# Audit log -----------------------------------------------------------------------------------


@console_view
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = scoped(
        AuditEntry.objects.select_related("user", "council"), request.user, roles=ADMIN
    )
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", {"page": page})


# GDPR erasure ------------------------------------------------------------------------------------


@console_view
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    """Erase a member (after confirmation): contact details, ids, links, and answers unless
    the council recorded a research exemption and the admin chose to keep them."""
    member = get_scoped_or_404(
        PanelMember.objects.select_related("council"),
        request.user,
        roles=ADMIN,
        pk=member_id,
        erased_at__isnull=True,
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = member.council.research_exemption and request.POST.get("keep_answers") == "on"
        try:
            erase_member(member, keep_answers=keep, user=request.user)
        except ErasureError as error:
            messages.error(request, str(error))
            return redirect("console:member", member_id=member.pk)
        messages.success(request, _("The member has been erased."))
        return redirect("console:panel")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "console/member_erase.html", {"member": member, "form": form}, status=status
    )


# Debriefs -----------------------------------------------------------------------------------


def _debrief(request, debrief_id: int):
    from experiments.models import Debrief

    debrief = Debrief.objects.filter(
        pk=debrief_id, wave__council__in=_admin_councils(request)
    ).first()
    if debrief is None:
        raise Http404
    return _wave(request, debrief.wave_id), debrief


@console_view
def debrief_edit(request: HttpRequest, debrief_id: int) -> HttpResponse:
    from console.forms import DebriefForm
    from experiments.debriefs import DebriefError, edit_debrief

    wave, debrief = _debrief(request, debrief_id)
    form = DebriefForm(
        request.POST or None, initial={"text_en": debrief.text_en, "text_cy": debrief.text_cy}
    )
    if request.method == "POST" and form.is_valid():
        try:
            edit_debrief(debrief.pk, **form.cleaned_data)
        except DebriefError as error:
            messages.error(request, str(error))
        else:
            record_action(
                request.user,
                action="edit_debrief",
                council=wave.council,
                target=wave,
                summary=debrief.get_kind_display(),
            )
            messages.success(request, _("Message saved. It needs approving before it is sent."))
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/debrief_form.html",
        {"wave": wave, "debrief": debrief, "form": form},
        status=status,
    )


@console_view
@require_POST
def debrief_approve(request: HttpRequest, debrief_id: int) -> HttpResponse:
    from experiments.debriefs import DebriefError, approve_debrief

    wave, debrief = _debrief(request, debrief_id)
    try:
        approve_debrief(debrief.pk, user=request.user)
    except DebriefError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="approve_debrief",
            council=wave.council,
            target=wave,
            summary=debrief.get_kind_display(),
        )
        messages.success(request, _("Message approved: members see it on their link's page."))
    return redirect("console:wave", wave_id=wave.pk)


@console_view
@require_POST
def debrief_send(request: HttpRequest, debrief_id: int) -> HttpResponse:
    from experiments.debriefs import DebriefError, send_debrief

    wave, debrief = _debrief(request, debrief_id)
    try:
        count = send_debrief(debrief.pk)
    except DebriefError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="send_debrief",
            council=wave.council,
            target=wave,
            summary=debrief.get_kind_display(),
            details={"emails": count},
        )
        messages.success(request, _("%d e-mails queued.") % count)
    return redirect("console:wave", wave_id=wave.pk)
