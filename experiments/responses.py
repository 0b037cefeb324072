"""Starting and recording a member's response to a wave."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from experiments.assignment import assign_member
from experiments.models import (
    ActivityAnswer,
    Assignment,
    Exposure,
    Invitation,
    NudgeText,
    Response,
    ResponseStatus,
    Theme,
    ThemeAnswer,
)


@dataclass(frozen=True)
class ThemeAnswers:
    theme_id: int
    activities: dict[int, bool]
    collective: int
    efficacy: int


def begin_response(invitation: Invitation, *, language: str) -> tuple[Response, Assignment]:
    """Assign the member (once) and open their response, both committed before returning.

    The caller renders nudges only after this returns, so the arm is always on disk
    before anyone sees what it implies.
    """
    assignment = assign_member(invitation.wave, member=invitation.member)
    try:
        with transaction.atomic():
            response, _ = Response.objects.get_or_create(
                wave=invitation.wave, member=invitation.member, defaults={"language": language}
            )
    except IntegrityError:
        response = Response.objects.get(wave=invitation.wave, member=invitation.member)
    if invitation.first_opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, first_opened_at__isnull=True).update(
            first_opened_at=timezone.now()
        )
    return response, assignment


def current_nudge_texts(wave_id: int, nudges: tuple[str, ...]) -> dict[int, list[NudgeText]]:
    """Return the latest version of each of the given nudges, per theme."""
    latest: dict[tuple[int, str], NudgeText] = {}
    for text in NudgeText.objects.filter(wave_id=wave_id, nudge__in=nudges).order_by(
        "theme_id", "nudge", "-version"
    ):
        latest.setdefault((text.theme_id, text.nudge), text)
    by_theme: dict[int, list[NudgeText]] = {}
    for (theme_id, _), text in sorted(latest.items(), key=lambda item: item[0]):
        by_theme.setdefault(theme_id, []).append(text)
    return by_theme


def record_exposures(response: Response, texts: list[NudgeText]) -> None:
    Exposure.objects.bulk_create(Exposure(response=response, nudge_text=t) for t in texts)


def submit_response(
    response_id: int, *, answers: list[ThemeAnswers], language: str
) -> tuple[Response, bool]:
    """Store the answers and mark the response complete, exactly once.

    Return the response and whether this call completed it: a repeated submission (a
    double click, a resent form) finds it complete under the row lock and stores nothing.
    """
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        if response.status == ResponseStatus.COMPLETE:
            return response, False
        themes = {t.pk: t for t in Theme.objects.filter(pk__in=[a.theme_id for a in answers])}
        for theme_answers in answers:
            theme_answer, _ = ThemeAnswer.objects.update_or_create(
                response=response,
                theme=themes[theme_answers.theme_id],
                defaults={
                    "collective": theme_answers.collective,
                    "efficacy": theme_answers.efficacy,
                },
            )
            for activity_id, done in theme_answers.activities.items():
                ActivityAnswer.objects.update_or_create(
                    theme_answer=theme_answer, activity_id=activity_id, defaults={"done": done}
                )
        response.status = ResponseStatus.COMPLETE
        response.language = language
        response.submitted_at = timezone.now()
        response.save(update_fields=["status", "language", "submitted_at", "updated_at"])
    return response, True
