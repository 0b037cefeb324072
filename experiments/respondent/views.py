"""The respondent's pages. They work without JavaScript and never name an arm.

The flow follows the GOV.UK Design System's question pages: a start page with the purpose,
privacy notice and consent; one page per theme, its nudges above its questions; a page
about the member; check your answers; confirmation. Every page is saved as it is sent, so
the same invitation link resumes where the member left off, on any device.
"""

from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from experiments.debriefs import approved_debriefs
from experiments.emails import member_for_unsubscribe_token, unsubscribe_token
from experiments.forms import (
    WARD_NOT_SAID,
    AboutYouForm,
    ConsentForm,
    LeavingForm,
    ThemePageForm,
)
from experiments.links import find_invitation
from experiments.models import (
    Arm,
    Council,
    Invitation,
    Response,
    ResponseStatus,
    WaveStatus,
)
from experiments.questionnaires import (
    ThemePage,
    in_language,
    kept,
    needs_welsh,
    pages_time_estimate,
    respondent_pages,
)
from experiments.respondent.sittings import SittingRow, load_sitting, load_sitting_with_session
from experiments.responses import (
    AnswersNotAccepted,
    IncompleteResponse,
    begin_response,
    page_sent,
    record_consent,
    record_page_shown,
    record_page_shown_with_exposures,
    save_about_you,
    save_theme_answers,
    start_page_shown,
    stored_page_answers,
    submit_response,
    theme_progress,
)
from panel.leaving import Leaving, carry_out, stop_emails
from panel.models import PanelMember
from panel.wards import council_wards
from ratelimits.limits import client_ip, hit
from surveyplatform.bots import HONEYPOT_FIELD, honeypot_on_invitation_forms
from surveyplatform.sessions import SITTING_KEY, key_names

SESSION_KEY = SITTING_KEY
# What the member typed on a page that was not saved (a page sent with a problem, or the
# language switched half way), kept for their sitting until the page is saved, and whether
# its problems are still to be shown (once).
DRAFTS_KEY = "drafts"
# Set when the link is opened, so the first page shown can welcome a member back.
WELCOME_KEY = "welcome_back"
LANGUAGE_FIELD = "language"
ABOUT_YOU = "about-you"
CHECK = "check"
START = "start"
DRAFT_VALUE_LIMIT = 200
# The start page's fields: the honeypot too, so that a draft shows again why it was refused.
START_FIELDS = ("consent", HONEYPOT_FIELD)


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
        {"wave": wave, "debriefs": messages, "asking": wave.council},
        status=410,
    )


def _session_sitting(request: HttpRequest) -> SittingRow | None:
    """Return the member's sitting: with their session in one statement when the key says whose.

    The session's data, read with the sitting, must name the same invitation as the key;
    otherwise (or with any other key) the session is read first, as anywhere else.
    """
    session = request.session
    named = key_names(session.session_key)
    if named is not None and hasattr(session, "take") and not hasattr(session, "_session_cache"):
        found = load_sitting_with_session(session.session_key, named)
        if found is not None:
            row, session_data = found
            if session.take(session_data).get(SESSION_KEY) == named:
                return row
    return load_sitting(session.get(SESSION_KEY))


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _see_other(url: str) -> HttpResponse:
    """Answer a POST with 303 See Other, so Back and refresh never send it again."""
    return HttpResponseSeeOther(url)


@dataclass(frozen=True)
class Screen:
    """One screen of a theme: the whole theme, or one part of a theme asked over several."""

    number: int
    part: int
    parts: int
    page: ThemePage
    questions: tuple[str, ...]
    # How many of the theme's questions are on this screen and the ones before it.
    answered_through: int

    @property
    def draft_name(self) -> str:
        return f"theme-{self.page.theme_id}-{self.part}"

    @property
    def visit_name(self) -> str:
        # Every part of a theme is a visit of the theme's page: the time spent on a theme
        # (analysis.quality) adds up its parts.
        return f"theme-{self.page.theme_id}"


@dataclass
class Sitting:
    """What every questionnaire page needs: who is answering, in what language, and where."""

    invitation: Invitation
    response: Response
    arm: str
    language: str
    pages: list[ThemePage]
    _progress: dict[int, int] | None = None
    pages_stamp: str = ""

    @property
    def wave(self):
        return self.invitation.wave

    @property
    def council(self):
        return self.wave.council

    @cached_property
    def screens(self) -> list[Screen]:
        """Each screen of the questionnaire, laid out once per process for its pages."""
        wave = self.wave

        def build() -> list[Screen]:
            screens = []
            for number, page in enumerate(self.pages, start=1):
                parts = page.parts(
                    per_page=wave.questions_per_page, manipulation_check=wave.manipulation_check
                )
                through = 0
                for part, questions in enumerate(parts, start=1):
                    through += len(questions)
                    screens.append(Screen(number, part, len(parts), page, questions, through))
            return screens

        if not self.pages_stamp:
            return build()
        key = (
            "screens",
            wave.pk,
            self.pages_stamp,
            self.language,
            self.arm,
            wave.time_questions,
            wave.questions_per_page,
            wave.manipulation_check,
        )
        return kept(key, build)

    def screen(self, number: int, part: int) -> Screen | None:
        return next((s for s in self.screens if (s.number, s.part) == (number, part)), None)

    def theme_progress(self) -> dict[int, int]:
        """How far each theme is answered, read once per request and kept up to date here."""
        if self._progress is None:
            self._progress = theme_progress(self.response.pk)
        return self._progress

    def screen_saved(self, screen: Screen) -> None:
        progress = self.theme_progress()
        theme_id = screen.page.theme_id
        progress[theme_id] = max(progress.get(theme_id, 0), screen.answered_through)

    def is_saved(self, screen: Screen) -> bool:
        return self.theme_progress().get(screen.page.theme_id, 0) >= screen.answered_through

    def themes_answered(self) -> int:
        last = {s.page.theme_id: s for s in self.screens}
        return sum(self.is_saved(screen) for screen in last.values())

    @property
    def total_sections(self) -> int:
        """The sections a member answers: each theme, and about you."""
        return len(self.pages) + 1

    def sections_answered(self) -> int:
        return self.themes_answered() + (self.response.about_saved_at is not None)

    @property
    def total_question_pages(self) -> int:
        """The pages of questions, for "Question page n of N": the check page is not one."""
        return len(self.screens) + 1

    def page_key(self, kind: str, screen: Screen) -> tuple:
        """Name everything a theme page shows the same to every member of this language."""
        wave = self.wave
        return (
            kind,
            self.pages_stamp,
            self.language,
            screen.page.theme_id,
            screen.questions,
            wave.time_questions,
            wave.manipulation_check,
        )

    def page_urls(self) -> tuple[str, ...]:
        layout = tuple((s.number, s.part) for s in self.screens)
        return _page_urls(get_script_prefix(), layout)

    def screen_url(self, screen: Screen) -> str:
        return self.page_urls()[self.screens.index(screen) + 1]

    def resume_url(self) -> str:
        """Return the first page still unanswered, or check your answers when none is."""
        urls = self.page_urls()
        if self.response.consented_at is None:
            return urls[0]
        for index, screen in enumerate(self.screens, start=1):
            if not self.is_saved(screen):
                return urls[index]
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


@lru_cache(maxsize=64)
def _page_urls(prefix: str, layout: tuple[tuple[int, int], ...]) -> tuple[str, ...]:
    """The start page, each theme's page (or its parts), about you and check your answers.

    Every page asks for them (where to resume, what may be visited); reversing them each
    time cost more than the rest of that logic.
    """
    return (
        reverse("experiments:questionnaire"),
        *(
            reverse("experiments:theme", args=[number])
            if part == 1
            else reverse("experiments:theme_part", args=[number, part])
            for number, part in layout
        ),
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
    # One statement read the response, the arm, how far each theme is answered and the
    # digest of the pages' content; only the first visit assigns and opens the response.
    response, arm, progress = row.response, row.arm, row.theme_progress
    if response is None or arm is None:
        response, assignment = begin_response(invitation, language=language)
        arm, progress = assignment.arm, None
    if response.status == ResponseStatus.COMPLETE:
        return redirect("experiments:done")
    pages = respondent_pages(wave, language=language, nudges=Arm(arm).nudges, stamp=row.pages_stamp)
    return Sitting(invitation, response, arm, language, pages, progress, row.pages_stamp or "")


def _answers_refused(request: HttpRequest, sitting: Sitting) -> HttpResponse:
    """Answer a POST that arrived after the response completed or the wave closed."""
    sitting.invitation.wave.refresh_from_db()
    if not sitting.invitation.wave.is_open:
        return _wave_not_open(request, sitting.invitation.wave)
    return _see_other(reverse("experiments:done"))


# Drafts: what was typed on a page that was not saved ---------------------------------------


def _drafts(request: HttpRequest) -> dict:
    return request.session.get(DRAFTS_KEY) or {}


def _keep_draft(request: HttpRequest, name: str, fields, *, errors: bool) -> None:
    """Keep the page's sent values (only its own fields, each cut to a sane length)."""
    data = {
        field: [value[:DRAFT_VALUE_LIMIT] for value in request.POST.getlist(field)]
        for field in fields
        if field in request.POST
    }
    drafts = _drafts(request)
    drafts[name] = {"data": data, "errors": errors}
    request.session[DRAFTS_KEY] = drafts


def _drop_draft(request: HttpRequest, name: str) -> None:
    drafts = _drafts(request)
    if name in drafts:
        del drafts[name]
        request.session[DRAFTS_KEY] = drafts


def _take_draft(request: HttpRequest, name: str) -> tuple[QueryDict | None, bool]:
    """Return the page's draft values and whether to show its problems (this once)."""
    draft = _drafts(request).get(name)
    if draft is None:
        return None, False
    data = QueryDict(mutable=True)
    for field, values in draft["data"].items():
        data.setlist(field, values)
    if draft["errors"]:
        drafts = _drafts(request)
        drafts[name] = {**draft, "errors": False}
        request.session[DRAFTS_KEY] = drafts
    return data, draft["errors"]


def _switch_language(request: HttpRequest) -> str | None:
    """Return the language asked for by the switch on a page's form, if that is what was sent."""
    language = request.POST.get(LANGUAGE_FIELD)
    return language if language in dict(settings.LANGUAGES) else None


def _language_switched(request: HttpRequest, language: str) -> HttpResponse:
    """Show the same page again in the other language, keeping what was typed on it."""
    response = _see_other(request.get_full_path())
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _shown_values(form, draft: QueryDict | None) -> dict:
    """Overlay a draft's values on what the form would show from the stored answers."""
    initial = dict(form.initial)
    if draft is not None:
        initial.update({field: draft.get(field) for field in draft})
    return initial


def _welcome_back(request: HttpRequest, sitting: Sitting) -> dict | None:
    """Return the welcome-back line's figures, once after the link is opened again."""
    if not request.session.get(WELCOME_KEY):
        return None
    del request.session[WELCOME_KEY]
    if sitting.response.consented_at is None:
        return None
    return {"answered": sitting.sections_answered(), "total": sitting.total_sections}


_NOT_GIVEN = object()


def _page_context(request: HttpRequest, sitting: Sitting, welcome=_NOT_GIVEN, **context) -> dict:
    return {
        "sitting": sitting,
        "asking": sitting.council,
        "welcome": _welcome_back(request, sitting) if welcome is _NOT_GIVEN else welcome,
        "switch_form": "answers",
        **context,
    }


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
    if request.session.get(SESSION_KEY) != invitation.pk:
        request.session.pop(DRAFTS_KEY, None)
    request.session[SESSION_KEY] = invitation.pk
    if request.session.session_key is not None:
        # A session that came with the request gets a new key (no fixation), which names
        # the invitation now in it; without one, the session is created once, with the
        # invitation in it, when the response is sent.
        request.session.cycle_key()
    # Every e-mail carries a new link, so whether this one was opened before says nothing:
    # a member who has agreed to take part is coming back, and the first page shown says so.
    if Response.objects.filter(
        wave_id=invitation.wave_id, member_id=invitation.member_id, consented_at__isnull=False
    ).exists():
        request.session[WELCOME_KEY] = True
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
    honeypot = honeypot_on_invitation_forms()
    if request.method == "POST":
        form = ConsentForm(request.POST, honeypot=honeypot)
        language = _switch_language(request)
        if language:
            _keep_draft(request, START, START_FIELDS, errors=False)
            return _language_switched(request, language)
        if not form.is_valid():
            _keep_draft(request, START, START_FIELDS, errors=True)
            return _see_other(request.get_full_path())
        _drop_draft(request, START)
        if form.cleaned_data["consent"] == "no":
            return _see_other(reverse("experiments:declined"))
        try:
            page_sent(response, page=START, save=lambda: record_consent(response.pk))
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        return _see_other(sitting.page_urls()[1])
    draft, show_errors = _take_draft(request, START)
    initial = {"consent": "yes"} if response.consented_at else {}
    if show_errors:
        form = ConsentForm(draft, honeypot=honeypot)
        form.is_valid()
    else:
        form = ConsentForm(initial=initial, honeypot=honeypot)
        form.initial = _shown_values(form, draft)
    start_page_shown(
        response,
        page=START,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip=client_ip(request),
    )
    wave = sitting.wave
    welcome = _welcome_back(request, sitting)
    context = {
        "form": form,
        "wave": wave,
        "minutes": pages_time_estimate(
            sitting.pages,
            manipulation_check=wave.manipulation_check,
            experiment_on=wave.experiment_on,
        ),
    }
    if not show_errors and draft is None and welcome is None and response.consented_at is None:
        # The title and the time it takes are all of the wave the start page shows.
        key = ("start", honeypot, wave.title, wave.title_cy, context["minutes"])
        return _kept_render(request, sitting, key, "experiments/start.html", lambda: context)
    return render(
        request,
        "experiments/start.html",
        {**_page_context(request, sitting, welcome=welcome), **context},
    )


@never_cache
def declined(request: HttpRequest) -> HttpResponse:
    """Say what happens next to a member who chose not to take part."""
    row = _session_sitting(request)
    if row is None:
        return _link_not_valid(request)
    wave = row.invitation.wave
    if not wave.is_open:
        return _wave_not_open(request, wave)
    return render(
        request,
        "experiments/declined.html",
        {
            "wave": wave,
            "asking": wave.council,
            "agreed_before": row.response is not None and row.response.consented_at is not None,
            "leaving_url": reverse(
                "experiments:unsubscribe", args=[unsubscribe_token(row.invitation.member)]
            ),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def theme_page(request: HttpRequest, number: int, part: int = 1) -> HttpResponse:
    """One theme (or one part of a long one): the arm's nudges first, then its questions."""
    sitting = _begin(request)
    if isinstance(sitting, HttpResponse):
        return sitting
    screen = sitting.screen(number, part)
    if screen is None:
        return redirect(sitting.resume_url())
    url = sitting.screen_url(screen)
    if not sitting.may_visit(url) or request.path != url:
        return redirect(sitting.resume_url())
    page = screen.page
    response = sitting.response
    wave = sitting.wave

    def make_form(data=None, initial=None) -> ThemePageForm:
        return ThemePageForm(
            data,
            page=page,
            initial=initial,
            manipulation_check=wave.manipulation_check,
            part=screen.questions if screen.parts > 1 else None,
            fields=_theme_fields(sitting, screen),
        )

    if request.method == "POST":
        language = _switch_language(request)
        if language:
            _keep_draft(request, screen.draft_name, screen.questions, errors=False)
            return _language_switched(request, language)
        form = make_form(request.POST)
        if not form.is_valid():
            _keep_draft(request, screen.draft_name, screen.questions, errors=True)
            return _see_other(request.get_full_path())
        try:
            page_sent(
                response,
                page=screen.visit_name,
                save=lambda: save_theme_answers(
                    response.pk, answers=form.theme_answers(), language=sitting.language
                ),
            )
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        _drop_draft(request, screen.draft_name)
        sitting.screen_saved(screen)
        if request.GET.get("check") == "1" and screen.part == screen.parts:
            return _see_other(reverse("experiments:check"))
        if request.GET.get("check") == "1":
            following = sitting.screens[sitting.screens.index(screen) + 1]
            return _see_other(sitting.screen_url(following) + "?check=1")
        return _see_other(sitting.resume_url())

    draft, show_errors = _take_draft(request, screen.draft_name)
    # Stored answers fill a page saved before; parts are saved in order, so a page not yet
    # saved has none of its own.
    stored = (
        stored_page_answers(response.pk, theme_id=page.theme_id).get(page.theme_id)
        if sitting.is_saved(screen)
        else None
    )
    # The assignment is already committed (in _begin); only now is the nudge shown.
    record_page_shown_with_exposures(
        response, page=screen.visit_name, nudge_text_ids=page.nudge_text_ids
    )
    index = sitting.screens.index(screen)
    back = sitting.page_urls()[index] + ("?start=1" if index == 0 else "")
    welcome = _welcome_back(request, sitting)
    blank = not show_errors and stored is None and draft is None and sitting.pages_stamp
    if blank and welcome is None:
        return _kept_theme_page(request, sitting, screen, back_url=back, question_page=index + 1)
    questions = form = None
    if show_errors:
        form = make_form(draft)
        form.is_valid()
    elif blank:
        # A page shown blank is the same for every member: its questions are rendered once
        # per process, and without them no form is needed.
        questions = kept(
            key=sitting.page_key("theme", screen),
            build=lambda: render_to_string(
                "experiments/theme_questions.html", {"form": make_form(), "page": page}
            ),
        )
    else:
        form = make_form(initial=stored or {})
        form.initial = _shown_values(form, draft)
    return render(
        request,
        "experiments/theme.html",
        {
            **_page_context(request, sitting, welcome=welcome),
            "form": form,
            "page": page,
            "screen": screen,
            "question_page": index + 1,
            "back_url": back,
            "questions": questions,
        },
    )


def _theme_fields(sitting: Sitting, screen: Screen) -> dict | None:
    """Return the fields of the screen's form, built once per process for its language.

    None without the pages' digest: then nothing names the content, and the form builds its own.
    """
    if not sitting.pages_stamp:
        return None
    wave = sitting.wave

    def build() -> dict:
        return ThemePageForm(
            page=screen.page,
            manipulation_check=wave.manipulation_check,
            part=screen.questions if screen.parts > 1 else None,
        ).fields

    return kept(sitting.page_key("fields", screen), build)


# Stands in for the CSRF token in a kept page; each request puts its own token in its place.
_TOKEN_MARK = "kept-page-csrf-token-mark"


def _kept_render(
    request: HttpRequest, sitting: Sitting, key: tuple, template: str, build_context
) -> HttpResponse:
    """Answer a blank page from its HTML kept once per process, with this request's token.

    A page nobody has answered yet shows the same to every member of its language (and,
    for a theme, arm): only the CSRF token differs, and rendering it each time was most of
    the page's CPU. `key` names everything else the page shows; it is completed here with
    the pages' digest, the language and who asks (the footer).
    """
    council = sitting.council
    key = (
        *key,
        sitting.wave.pk,
        sitting.pages_stamp,
        sitting.language,
        (council.pk, council.slug, council.name, council.name_cy),
        (council.panel_email, council.panel_telephone),
    )

    def build() -> str:
        context = {**_page_context(request, sitting, welcome=None), **build_context()}
        return render_to_string(template, {**context, "csrf_token": _TOKEN_MARK}, request)

    html = kept(key, build)
    return HttpResponse(html.replace(_TOKEN_MARK, get_token(request), 1))


def _kept_theme_page(
    request: HttpRequest, sitting: Sitting, screen: Screen, *, back_url: str, question_page: int
) -> HttpResponse:
    page = screen.page
    key = (
        *sitting.page_key("page", screen),
        screen.number,
        screen.part,
        screen.parts,
        tuple(page.nudge_text_ids),
        sitting.page_urls(),
        back_url,
        question_page,
    )

    def context() -> dict:
        wave = sitting.wave
        form = ThemePageForm(
            page=page,
            manipulation_check=wave.manipulation_check,
            part=screen.questions if screen.parts > 1 else None,
        )
        return {
            "form": form,
            "page": page,
            "screen": screen,
            "question_page": question_page,
            "back_url": back_url,
        }

    return _kept_render(request, sitting, key, "experiments/theme.html", context)


def _wards(sitting: Sitting) -> list[str]:
    return [w for w in council_wards(sitting.wave.council_id) if w != WARD_NOT_SAID]


ABOUT_YOU_FIELDS = (
    "birth_year",
    "age_band",
    "confirm_age",
    "gender",
    "ethnic_group",
    "qualification",
    "ward",
)


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
    in_wales, wards = needs_welsh(sitting.wave), _wards(sitting)
    if request.method == "POST":
        language = _switch_language(request)
        if language:
            _keep_draft(request, ABOUT_YOU, ABOUT_YOU_FIELDS, errors=False)
            return _language_switched(request, language)
        form = AboutYouForm(request.POST, in_wales=in_wales, wards=wards)
        if not form.is_valid():
            _keep_draft(request, ABOUT_YOU, ABOUT_YOU_FIELDS, errors=True)
            return _see_other(request.get_full_path())
        try:
            page_sent(
                response,
                page=ABOUT_YOU,
                save=lambda: save_about_you(
                    response.pk, about=form.about_you(), language=sitting.language
                ),
            )
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        _drop_draft(request, ABOUT_YOU)
        return _see_other(reverse("experiments:check"))
    draft, show_errors = _take_draft(request, ABOUT_YOU)
    record_page_shown(response, page=ABOUT_YOU)
    question_page = sitting.total_question_pages
    back_url = sitting.page_urls()[-3] + ("?start=1" if not sitting.pages else "")
    welcome = _welcome_back(request, sitting)
    if not show_errors and draft is None and welcome is None and response.about_saved_at is None:
        return _kept_render(
            request,
            sitting,
            ("about-you", in_wales, tuple(wards), question_page, back_url),
            "experiments/about_you.html",
            lambda: {
                "form": AboutYouForm(in_wales=in_wales, wards=wards),
                "question_page": question_page,
                "back_url": back_url,
            },
        )
    if show_errors:
        form = AboutYouForm(draft, in_wales=in_wales, wards=wards)
        form.is_valid()
    else:
        form = AboutYouForm(
            in_wales=in_wales, wards=wards, initial=AboutYouForm.initial_from(response)
        )
        form.initial = _shown_values(form, draft)
    return render(
        request,
        "experiments/about_you.html",
        {
            **_page_context(request, sitting, welcome=welcome),
            "form": form,
            "question_page": question_page,
            "back_url": back_url,
        },
    )


def _summary(sitting: Sitting) -> list[dict]:
    """Return each page's questions with the stored answers, worded as the member saw them."""
    stored = stored_page_answers(sitting.response.pk)
    first_screens = {}
    for screen in sitting.screens:
        first_screens.setdefault(screen.page.theme_id, screen)
    sections = []
    for page in sitting.pages:
        answers = stored.get(page.theme_id, {})
        sections.append(
            {
                "title": page.name,
                "change_url": sitting.screen_url(first_screens[page.theme_id]) + "?check=1",
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
    rows = [
        _row(field) for field in form if field.name not in ("birth_year", "age_band", "confirm_age")
    ]
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
    key = (
        "questions",
        sitting.pages_stamp,
        sitting.language,
        page.theme_id,
        wave.time_questions,
        wave.manipulation_check,
    )
    return kept(key, build)


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
        language = _switch_language(request)
        if language:
            return _language_switched(request, language)
        try:
            page_sent(
                sitting.response,
                page=CHECK,
                save=lambda: submit_response(sitting.response.pk, language=sitting.language),
            )
        except AnswersNotAccepted:
            return _answers_refused(request, sitting)
        except IncompleteResponse:
            return _see_other(sitting.resume_url())
        request.session.pop(DRAFTS_KEY, None)
        return _see_other(reverse("experiments:done"))
    record_page_shown(sitting.response, page=CHECK)
    return render(
        request,
        "experiments/check.html",
        _page_context(
            request,
            sitting,
            sections=_summary(sitting),
            back_url=reverse("experiments:about_you"),
        ),
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
    # Straight after sending, the page thanks; opened again later, it says it was sent.
    just_sent = request.session.pop(WELCOME_KEY, None) is None
    return render(
        request,
        "experiments/done.html",
        {"wave": wave, "asking": wave.council, "response": row.response, "just_sent": just_sent},
    )


# Who is asking: the council's privacy notice ------------------------------------------------


@never_cache
def privacy_notice(request: HttpRequest, council: str) -> HttpResponse:
    """Show a council's privacy notice for its panel, in the reader's language."""
    found = Council.objects.filter(slug=council).first()
    if found is None:
        raise Http404
    language = translation.get_language()
    return render(
        request,
        "experiments/privacy.html",
        {
            "asking": found,
            "council_name": found.name_in(language),
            "lawful_basis": in_language(found.lawful_basis_en, found.lawful_basis_cy, language),
            "more": in_language(found.privacy_notice_en, found.privacy_notice_cy, language),
            "in_survey": request.session.get(SESSION_KEY) is not None,
        },
    )


# Leaving: the link in every panel e-mail -----------------------------------------------------

LEAVING_CHOICE_KEY = "leaving_choice"


def _leaving_member(request: HttpRequest, token: str) -> PanelMember | None:
    member = member_for_unsubscribe_token(token)
    if member is not None and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) is None:
        # Until the member chooses with the language switch, speak the language of their record.
        translation.activate(member.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()
    return member


def _leaving_not_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "experiments/leaving_not_valid.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Let a member stop e-mails or leave the panel from the link in any e-mail, unsigned-in.

    A POST of `List-Unsubscribe=One-Click` (RFC 8058, sent by a mail client) stops e-mails
    at once; a member choosing on the page confirms their choice on the next page.
    """
    member = _leaving_member(request, token)
    if member is None:
        return _leaving_not_valid(request)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") == "One-Click":
            stop_emails(member)
            return HttpResponse(status=200)
        language = _switch_language(request)
        if language:
            _keep_draft(request, LEAVING_CHOICE_KEY, ["choice"], errors=False)
            return _language_switched(request, language)
        form = LeavingForm(request.POST)
        if not form.is_valid():
            _keep_draft(request, LEAVING_CHOICE_KEY, ["choice"], errors=True)
            return _see_other(request.get_full_path())
        _drop_draft(request, LEAVING_CHOICE_KEY)
        confirm = reverse("experiments:unsubscribe_confirm", args=[token])
        return _see_other(f"{confirm}?choice={form.cleaned_data['choice']}")
    draft, show_errors = _take_draft(request, LEAVING_CHOICE_KEY)
    if show_errors:
        form = LeavingForm(draft)
        form.is_valid()
    else:
        form = LeavingForm(initial={"choice": draft.get("choice")} if draft else None)
    return render(
        request,
        "experiments/leaving.html",
        {"form": form, "asking": member.council, "member": member, "switch_form": "answers"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Say exactly what the chosen way of leaving does, and do it once confirmed."""
    member = _leaving_member(request, token)
    if member is None:
        return _leaving_not_valid(request)
    try:
        choice = Leaving(request.GET.get("choice", ""))
    except ValueError:
        return redirect("experiments:unsubscribe", token=token)
    if request.method == "POST":
        council_id = member.council_id
        member = carry_out(member, choice)
        request.session[LEAVING_CHOICE_KEY] = {"choice": choice.value, "council": council_id}
        return _see_other(reverse("experiments:unsubscribe_done", args=[token]))
    return render(
        request,
        "experiments/leaving_confirm.html",
        {
            "asking": member.council,
            "choice": choice.value,
            "keeps_answers": member.council.research_exemption,
            "retention_days": member.council.retention_days,
            "back_url": reverse("experiments:unsubscribe", args=[token]),
        },
    )


@never_cache
def unsubscribe_done(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm what was done; after an erasure the link names nobody any more."""
    done = request.session.get(LEAVING_CHOICE_KEY)
    member = _leaving_member(request, token)
    if not isinstance(done, dict) or (
        member is None and done["choice"] != Leaving.LEAVE_AND_DELETE
    ):
        return _leaving_not_valid(request)
    return render(
        request,
        "experiments/leaving_done.html",
        {"asking": Council.objects.filter(pk=done["council"]).first(), "choice": done["choice"]},
    )
