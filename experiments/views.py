"""The respondent's pages. They work without JavaScript and never name an arm."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from experiments.forms import QuestionnaireForm
from experiments.invitations import find_invitation
from experiments.models import Arm, Invitation, Response, ResponseStatus
from experiments.questionnaires import theme_pages
from experiments.responses import (
    begin_response,
    current_nudge_texts,
    record_exposures,
    submit_response,
)
from ratelimits.limits import client_ip, hit

SESSION_KEY = "invitation_id"


def _link_not_valid(request: HttpRequest) -> HttpResponse:
    return render(request, "experiments/link_not_valid.html", status=404)


def _session_invitation(request: HttpRequest) -> Invitation | None:
    invitation_id = request.session.get(SESSION_KEY)
    if invitation_id is None:
        return None
    return Invitation.objects.select_related("wave", "member").filter(pk=invitation_id).first()


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
    invitation = _session_invitation(request)
    if invitation is None:
        return _link_not_valid(request)
    wave = invitation.wave
    if not wave.is_open:
        return render(request, "experiments/wave_not_open.html", {"wave": wave}, status=410)
    if Response.objects.filter(
        wave=wave, member=invitation.member, status=ResponseStatus.COMPLETE
    ).exists():
        return redirect("experiments:done")

    language = translation.get_language()
    response, assignment = begin_response(invitation, language=language)
    nudge_texts = current_nudge_texts(wave.pk, Arm(assignment.arm).nudges)
    pages = theme_pages(wave, language=language, nudge_texts=nudge_texts)
    form = QuestionnaireForm(request.POST or None, pages=pages)

    if request.method == "POST" and form.is_valid():
        submit_response(response.pk, answers=form.theme_answers(), language=language)
        return redirect("experiments:done")

    record_exposures(response, [text for texts in nudge_texts.values() for text in texts])
    status = 400 if request.method == "POST" else 200
    return render(
        request, "experiments/questionnaire.html", {"form": form, "wave": wave}, status=status
    )


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    invitation = _session_invitation(request)
    if invitation is None:
        return _link_not_valid(request)
    response = Response.objects.filter(wave=invitation.wave, member=invitation.member).first()
    if response is None or response.status != ResponseStatus.COMPLETE:
        return redirect("experiments:questionnaire")
    return render(request, "experiments/done.html", {"wave": invitation.wave})
