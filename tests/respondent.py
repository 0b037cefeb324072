"""Helpers that act as a panel member would, page by page."""

from django.test import Client
from django.urls import reverse

from experiments.models import Theme, Wave

QUESTIONNAIRE = reverse("experiments:questionnaire")
ABOUT_YOU = reverse("experiments:about_you")
CHECK = reverse("experiments:check")
DONE = reverse("experiments:done")


def theme_url(number: int) -> str:
    return reverse("experiments:theme", args=[number])


def theme_page_answers(
    theme: Theme,
    *,
    done: bool = True,
    collective: int = 1,
    efficacy: int = 2,
    time_now: int = 2,
    time_more: int = 3,
    conditions: int = 2,
    satisfaction_information: int = 2,
    satisfaction_consultation: int = 3,
    satisfaction_response: int = 9,
) -> dict[str, str]:
    """Return a POST body answering every item of one theme's page."""
    data = {f"activity_{a.pk}": "yes" if done else "no" for a in theme.activities.all()}
    data.update(
        collective=str(collective),
        efficacy=str(efficacy),
        time_now=str(time_now),
        time_more=str(time_more),
        conditions=str(conditions),
        satisfaction_information=str(satisfaction_information),
        satisfaction_consultation=str(satisfaction_consultation),
        satisfaction_response=str(satisfaction_response),
    )
    return data


def about_you_answers(**overrides: str) -> dict[str, str]:
    """Return a POST body answering the about-you page."""
    data = {
        "birth_year": "1970",
        "age_band": "",
        "gender": "woman",
        "ethnic_group": "white",
        "qualification": "level_3",
        "ward": "Central",
    }
    data.update(overrides)
    return data


def open_link(client: Client, url: str):
    """Follow an invitation URL and return the page it lands on (the start page at first)."""
    path = url.split("://", 1)[-1].split("/", 1)[1]
    first = client.get("/" + path)
    assert first.status_code == 302, first.status_code
    return client.get(first["Location"], follow=True)


def consent(client: Client):
    """Agree to take part on the start page and return the first theme page."""
    result = client.post(QUESTIONNAIRE, {"consent": "yes"})
    assert result.status_code == 303, result.status_code
    return client.get(result["Location"])


def answer_whole_questionnaire(client: Client, url: str, **answers):
    """Open the link, consent, answer every page and send; return the last response."""
    open_link(client, url)
    consent(client)
    invitation_id = client.session["invitation_id"]
    wave = Wave.objects.get(invitations__pk=invitation_id)
    themes = wave.themes.order_by("wave_themes__position", "pk")
    for number, theme in enumerate(themes, start=1):
        saved = client.post(theme_url(number), theme_page_answers(theme, **answers))
        assert saved.status_code == 303, saved.content.decode()[:2000]
    saved = client.post(ABOUT_YOU, about_you_answers())
    assert saved.status_code == 303, saved.content.decode()[:2000]
    return client.post(CHECK)
