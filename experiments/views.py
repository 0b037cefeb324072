"""The respondent's pages. They work without JavaScript and never name an arm.

The flow follows the GOV.UK Design System's question pages: a start page with the purpose,
privacy notice and consent; one page per theme, its nudges above its questions; a page
about the member; check your answers; confirmation. Every page is saved as it is sent, so
the same invitation link resumes where the member left off, on any device.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from experiments.debriefs import approved_debriefs
from experiments.forms import WARD_NOT_SAID, AboutYouForm, ConsentForm, ThemePageForm
from experiments.invitations import find_invitation
from experiments.models import (
    Arm,
    Invitation,
    Response,
    ResponseStatus,
    ThemeAnswer,
    WaveStatus,
)
from experiments.questionnaires import (
    ThemePage,
    kept,
    needs_welsh,
    respondent_pages,
)
from experiments.responses import (
    AnswersNotAccepted,
    IncompleteResponse,
    answered_theme_ids,
    begin_response,
    record_consent,
    record_device,
    record_page_shown,
    record_page_shown_with_exposures,
    record_page_submitted,
    save_about_you,
    save_theme_answers,
    submit_response,
)
from experiments.sittings import SittingRow, load_sitting
from panel.models import PanelMember
from ratelimits.limits import client_ip, hit
from surveyplatform.bots import honeypot_on_invitation_forms

SESSION_KEY = "invitation_id"
ABOUT_YOU = "about-you"
CHECK = "check"


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "experiments/link_not_valid.html", status=404)


def _wave_not_open(request: HttpRequest, wave) -> HttpResponse:
    language = translation.get_language()
    messages = (
        [d.text_in(language) for d in approved_debriefs(wave)]
        if wave.status == WaveStatus.CLOSED
        else []
    )
    return render(
        request,
        "experiments/wave_not_open.html",
        {"wave": wave, "debriefs": messages},
        status=410,
    )


def _session_sitting(request: HttpRequest) -> SittingRow | None:
    return load_sitting(request.session.get(SESSION_KEY))


@dataclass
class Sitting:
    """What every questionnaire page needs: who is answering, in what language, and where."""

    invitation: Invitation
    response: Response
    arm: str
    language: str
    pages: list[ThemePage]
    _answered: set[int] | None = None
    pages_stamp: str = ""

    @property
    def wave(self):
        return self.invitation.wave

    @property
    def total_sections(self) -> int:
        return len(self.pages) + 2

    def answered_theme_ids(self) -> set[int]:
        """The themes answered so far, read once per request and kept up to date here."""
        if self._answered is None:
            self._answered = answered_theme_ids(self.response)
        return self._answered

    def theme_saved(self, theme_id: int) -> None:
        self.answered_theme_ids().add(theme_id)

    def page_key(self, kind: str, page: ThemePage) -> tuple:
        """Name everything a theme page shows the same to every member of this language."""
        wave = self.wave
        return (
            kind,
            self.pages_stamp,
            self.language,
            page.theme_id,
            wave.time_questions,
            wave.manipulation_check,
        )

    def page_urls(self) -> tuple[str, ...]:
        return _page_urls(get_script_prefix(), len(self.pages))

    def resume_url(self) -> str:
        """Return the first page still unanswered, or check your answers when none is."""
        if self.response.consented_at is None:
            return self.page_urls()[0]
        urls = self.page_urls()
        answered = self.answered_theme_ids()
        for number, page in enumerate(self.pages, start=1):
            if page.theme_id not in answered:
                return urls[number]
        if self.response.about_saved_at is None:
            return urls[-2]
        return urls[-1]

    def may_visit(self, url: str) -> bool:
        """Allow any page up to the first unanswered one; later pages wait their turn."""
        order = self.page_urls()[1:]
        resume = self.resume_url()
        if resume not in order:
            return False
        return order.index(url) <= order.index(resume)


@lru_cache(maxsize=32)
def _page_urls(prefix: str, themes: int) -> tuple[str, ...]:
    """The start page, each theme page, about you and check your answers, in order.

    Every page asks for them (where to resume, what may be visited); reversing them each
    time cost more than the rest of that logic.
    """
    return (
        reverse("experiments:questionnaire"),
        *(reverse("experiments:theme", args=[n]) for n in range(1, themes + 1)),
        reverse("experiments:about_you"),
        reverse("experiments:check"),
    )


def _begin(request: HttpRequest) -> Sitting | HttpResponse:
    """Return the member's sitting, or the page to show instead of the questionnaire."""
    row = _session_sitting(request)
    if row is None:
        return _link_not_valid(request)
    invitation = row.invitation
    wave = invitation.wave
    if not wave.is_open:
        return _wave_not_open(request, wave)
    language = translation.get_language()
    # One statement read the response, the arm, the themes answered and the digest of the
    # pages' content; only the first visit assigns and opens the response.
    response, arm, answered = row.response, row.arm, row.answered_theme_ids
    if response is None or arm is None:
        response, assignment = begin_response(invitation, language=language)
        arm, answered = assignment.arm, None
    if response.status == ResponseStatus.COMPLETE:
        return redirect("experiments:done")
    pages = respondent_pages(wave, language=language, nudges=Arm(arm).nudges, stamp=row.pages_stamp)
    return Sitting(invitation, response, arm, language, pages, answered, row.pages_stamp or "")


def _answers_refused(request: HttpRequest, sitting: Sitting) -> HttpResponse:
    """Answer a POST that arrived after the response completed or the wave closed."""
    sitting.invitation.wave.refresh_from_db()
    if not sitting.invitation.wave.is_open:
        return _wave_not_open(request, sitting.invitation.wave)
    return redirect("experiments:done")


@never_cache
def open_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Swap the token in the link for a session, then continue at a URL without it."""
    if not hit(
        "invitation",
        client_ip(request),
        limit=settings.INVITATION_RATE_LIMIT,
        window_seconds=settings.INVITATION_RATE_WINDOW,
    ):
        response = render(request, "experiments/too_many_requests.html", status=429)
        response["Retry-After"] = str(settings.INVITATION_RATE_WINDOW)
        response["Referrer-Policy"] = "no-referrer"
        return response
    invitation = find_invitation(token)
    if invitation is None:
        response = _link_not_valid(request)
        response["Referrer-Policy"] = "no-referrer"
        return response
    if request.session.session_key is not None:
        # A session that came with the request gets a new key (no fixation); without one,
        # the session is created once, with the invitation in it, when the response is sent.
        request.session.cycle_key()
    request.session[SESSION_KEY] = invitation.pk
    response = redirect("experiments:questionnaire")
    if not request.COOKIES.get("django_language"):
        response.set_cookie(
            "django_language", invitation.member.preferred_language, samesite="Lax", httponly=True
        )
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    """Show the start page (purpose, privacy, consent), or resume where the member left off."""
    sitting = _begin(request)
    if isinstance(sitting, HttpResponse):
        return sitting
    response = sitting.response
    if request.method == "GET" and response.consented_at is not None and "start" not in request.GET:
        return redirect(sitting.resume_url())
    initial = {"consent": "yes"} if response.consented_at else {}
    form = ConsentForm(
        request.POST or None, initial=initial, honeypot=honeypot_on_invitation_forms()
    )
    declined = False
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["consent"] == "yes":
            try:
                with transaction.atomic():
                    record_consent(response.pk)
                    record_page_submitted(response, page="start")
            except AnswersNotAccepted:
                return _answers_refused(request, sitting)
            return redirect("experiments:theme", 1)
        declined = True
    with transaction.atomic():  # one commit for what the page records
        record_page_shown(response, page="start")
        record_device(
            response, user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=client_ip(request)
        )
    return render(
        request,
        "experiments/start.html",
        {"form": form, "wave": sitting.wave, "sitting": sitting, "declined": declined},
        status=400 if request.method == "POST" and not declined else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def theme_page(request: HttpRequest, number: int) -> HttpResponse:
    """One theme: the arm's nudges first, then the co-production questions."""
    sitting = _begin(request)
    if isinstance(sitting, HttpResponse):
        return sitting
    if not 1 <= number <= len(sitting.pages):
        return redirect(sitting.resume_url())
    url = sitting.page_urls()[number]
    if not sitting.may_visit(url):
        return redirect(sitting.resume_url())
    page = sitting.pages[number - 1]
    response = sitting.response
    # A POST form is bound to what was sent: the stored answers only fill a page shown anew,
    # and only a page answered before has any.
    stored = (
        None
        if request.method == "POST" or page.theme_id not in sitting.answered_theme_ids()
        else ThemeAnswer.objects.filter(response=response, theme_id=page.theme_id)
        .prefetch_related("activity_answers")
        .first()
    )
    # A page shown blank is the same for every member: its questions are rendered once per
    # process, and without them no form is needed.
    blank = request.method == "GET" and stored is None and bool(sitting.pages_stamp)

    def make_form() -> ThemePageForm:
        return ThemePageForm(
            request.POST or None,
            page=page,
            initial=ThemePageForm.initial_from(stored),
            manipulation_check=sitting.wave.manipulation_check,
        )

    form = None if blank else make_form()
    if form is not None and form.is_bound and form.is_valid():
        try:
            with transaction.atomic():
                save_theme_answers(
                    response.pk, answers=form.theme_answers(), language=sitting.language
                )
                record_page_submitted(response, page=f"theme-{page.theme_id}")
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        sitting.theme_saved(page.theme_id)
        if request.GET.get("check") == "1":
            return redirect("experiments:check")
        return redirect(sitting.resume_url())
    # The assignment is already committed (in _begin); only now is the nudge shown.
    record_page_shown_with_exposures(
        response, page=f"theme-{page.theme_id}", nudge_text_ids=page.nudge_text_ids
    )
    questions = None
    if blank:
        questions = kept(
            key=sitting.page_key("theme", page),
            build=lambda: render_to_string(
                "experiments/theme_questions.html", {"form": make_form(), "page": page}
            ),
        )
    back = (
        reverse("experiments:theme", args=[number - 1])
        if number > 1
        else reverse("experiments:questionnaire") + "?start=1"
    )
    return render(
        request,
        "experiments/theme.html",
        {
            "form": form,
            "page": page,
            "section": number,
            "sitting": sitting,
            "back_url": back,
            "questions": questions,
        },
        status=400 if request.method == "POST" else 200,
    )


def _wards(sitting: Sitting) -> list[str]:
    wards = (
        PanelMember.objects.filter(council_id=sitting.wave.council_id)
        .exclude(ward="")
        .values_list("ward", flat=True)
        .distinct()
        .order_by("ward")
    )
    return [w for w in wards if w != WARD_NOT_SAID]


@never_cache
@require_http_methods(["GET", "POST"])
def about_you(request: HttpRequest) -> HttpResponse:
    sitting = _begin(request)
    if isinstance(sitting, HttpResponse):
        return sitting
    url = sitting.page_urls()[-2]
    if not sitting.may_visit(url):
        return redirect(sitting.resume_url())
    response = sitting.response
    form = AboutYouForm(
        request.POST or None,
        in_wales=needs_welsh(sitting.wave),
        wards=_wards(sitting),
        initial=AboutYouForm.initial_from(response),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                save_about_you(response.pk, about=form.about_you(), language=sitting.language)
                record_page_submitted(response, page=ABOUT_YOU)
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        return redirect("experiments:check")
    record_page_shown(response, page=ABOUT_YOU)
    return render(
        request,
        "experiments/about_you.html",
        {
            "form": form,
            "section": len(sitting.pages) + 1,
            "sitting": sitting,
            "back_url": reverse("experiments:theme", args=[len(sitting.pages)])
            if sitting.pages
            else reverse("experiments:questionnaire"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _summary(sitting: Sitting) -> list[dict]:
    """Return each page's questions with the stored answers, worded as the member saw them."""
    stored = {
        a.theme_id: a
        for a in ThemeAnswer.objects.filter(response=sitting.response).prefetch_related(
            "activity_answers"
        )
    }
    sections = []
    for number, page in enumerate(sitting.pages, start=1):
        answers = ThemePageForm.initial_from(stored.get(page.theme_id))
        sections.append(
            {
                "title": page.name,
                "change_url": sitting.page_urls()[number] + "?check=1",
                "rows": [
                    _answer_row(name, label, choices, answers.get(name))
                    for name, label, choices in _theme_questions(sitting, page)
                ],
            }
        )
    form = AboutYouForm(
        in_wales=needs_welsh(sitting.wave),
        wards=_wards(sitting),
        initial=AboutYouForm.initial_from(sitting.response),
    )
    rows = [_row(field) for field in form if field.name not in ("birth_year", "age_band")]
    age = form.initial.get("birth_year") or dict(form.fields["age_band"].choices).get(
        form.initial.get("age_band"), ""
    )
    rows.insert(0, {"question": translation.gettext("Age"), "answer": age, "id": "age"})
    sections.append(
        {
            "title": translation.gettext("About you"),
            "change_url": reverse("experiments:about_you"),
            "rows": rows,
        }
    )
    return sections


def _theme_questions(sitting: Sitting, page: ThemePage) -> list[tuple[str, str, dict]]:
    """Return each question of a theme page: its field, its wording and its answers' labels.

    The same for every member of the page's language, so kept once per process.
    """
    wave = sitting.wave

    def build() -> list[tuple[str, str, dict]]:
        form = ThemePageForm(page=page, manipulation_check=wave.manipulation_check)
        return [(f.name, str(f.label), _choice_labels(f)) for f in form]

    if not sitting.pages_stamp:
        return build()
    return kept(sitting.page_key("questions", page), build)


def _choice_labels(field) -> dict[str, str]:
    return {str(k): str(v) for k, v in getattr(field.field, "choices", [])}


def _answer_row(name: str, question: str, choices: dict, value) -> dict:
    answer = choices.get(str(value), value) if value not in (None, "") else ""
    return {"question": question, "answer": answer, "id": name}


def _row(field) -> dict:
    return _answer_row(field.name, field.label, _choice_labels(field), field.initial)


@never_cache
@require_http_methods(["GET", "POST"])
def check_answers(request: HttpRequest) -> HttpResponse:
    sitting = _begin(request)
    if isinstance(sitting, HttpResponse):
        return sitting
    if not sitting.may_visit(sitting.page_urls()[-1]):
        return redirect(sitting.resume_url())
    if request.method == "POST":
        try:
            with transaction.atomic():
                submit_response(sitting.response.pk, language=sitting.language)
                record_page_submitted(sitting.response, page=CHECK)
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        except IncompleteResponse:
            return redirect(sitting.resume_url())
        return redirect("experiments:done")
    record_page_shown(sitting.response, page=CHECK)
    return render(
        request,
        "experiments/check.html",
        {
            "sections": _summary(sitting),
            "section": sitting.total_sections,
            "sitting": sitting,
            "back_url": reverse("experiments:about_you"),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def done(request: HttpRequest) -> HttpResponse:
    row = _session_sitting(request)
    if row is None:
        return _link_not_valid(request)
    wave = row.invitation.wave
    if row.response is None or row.response.status != ResponseStatus.COMPLETE:
        if not wave.is_open:
            return _wave_not_open(request, wave)
        return redirect("experiments:questionnaire")
    return render(request, "experiments/done.html", {"wave": wave})
