"""Helpers that act as a panel member would."""

from django.test import Client
from django.urls import reverse

from experiments.models import Wave


def complete_answers(
    wave: Wave, *, done: bool = True, collective: int = 1, efficacy: int = 2
) -> dict[str, str]:
    """Return a POST body answering every item of the skeleton questionnaire."""
    data = {}
    for theme in wave.themes.all():
        for activity in theme.activities.all():
            data[f"activity_{activity.pk}"] = "yes" if done else "no"
        data[f"collective_{theme.pk}"] = str(collective)
        data[f"efficacy_{theme.pk}"] = str(efficacy)
    return data


def open_link(client: Client, url: str):
    """Follow an invitation URL and return the questionnaire page."""
    path = url.split("://", 1)[-1].split("/", 1)[1]
    first = client.get("/" + path)
    assert first.status_code == 302, first.status_code
    return client.get(first["Location"])


QUESTIONNAIRE = reverse("experiments:questionnaire")
