"""The frozen design holds below every screen: once a wave opens, the database itself
refuses any change to what its design froze, whatever path tries it; what may change (the
title, the closing time, a nudge correction) goes through the domain and is recorded."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from experiments.models import (
    Activity,
    Deviation,
    DeviationKind,
    ItemWording,
    NudgeText,
    Theme,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.nudges import set_nudge_texts
from experiments.policy import SYSTEM
from experiments.waves import change_closing_time, close_wave, open_wave, update_wave
from surveyplatform.domain import InvalidInput
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    ItemWordingFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
    make_openable,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened():
    """An opened wave (its design frozen) with one theme, its activities and wording."""
    wave = WaveFactory(status=WaveStatus.DRAFT, closes_at=timezone.now() + dt.timedelta(days=30))
    theme = WaveThemeFactory(wave=wave).theme
    make_openable(wave, activities=2)
    ItemWordingFactory(wave=wave, theme=theme)
    open_wave(SYSTEM, wave)
    wave.refresh_from_db()
    return wave


def _refused(change) -> None:
    with pytest.raises(IntegrityError, match="frozen design"), transaction.atomic():
        change()


CHANGES = {
    "move to another council": lambda w: Wave.objects.filter(pk=w.pk).update(
        council=CouncilFactory()
    ),
    "time questions": lambda w: Wave.objects.filter(pk=w.pk).update(time_questions="now"),
    "manipulation check": lambda w: Wave.objects.filter(pk=w.pk).update(manipulation_check=True),
    "allocation scheme": lambda w: Wave.objects.filter(pk=w.pk).update(
        allocation_scheme="keyed" if w.allocation_scheme != "keyed" else "blocks"
    ),
    "strata": lambda w: Wave.objects.filter(pk=w.pk).update(strata="ward"),
    "seed": lambda w: Wave.objects.filter(pk=w.pk).update(seed="f" * 64),
    "experiment switch": lambda w: Wave.objects.filter(pk=w.pk).update(experiment_on=False),
    "analysis plan": lambda w: Wave.objects.filter(pk=w.pk).update(analysis_plan={"alpha": 0.1}),
    "power inputs": lambda w: Wave.objects.filter(pk=w.pk).update(hoped_for_effect=0.2),
    "questions per page": lambda w: Wave.objects.filter(pk=w.pk).update(questions_per_page=3),
    "recorded design": lambda w: Wave.objects.filter(pk=w.pk).update(design_hash="0" * 64),
    "status back to draft": lambda w: Wave.objects.filter(pk=w.pk).update(status="draft"),
    "delete the wave": lambda w: Wave.objects.filter(pk=w.pk).delete(),
    "add a theme": lambda w: WaveTheme.objects.create(
        wave=w, theme=ThemeFactory(council=w.council), position=5
    ),
    "remove a theme": lambda w: WaveTheme.objects.filter(wave=w).delete(),
    "reorder themes": lambda w: WaveTheme.objects.filter(wave=w).update(position=9),
    "rename a theme": lambda w: Theme.objects.filter(waves=w).update(name_en="Other"),
    "change a theme's kind": lambda w: Theme.objects.filter(waves=w).update(kind="health"),
    "reword an activity": lambda w: Activity.objects.filter(theme__waves=w).update(text_en="X"),
    "add an activity": lambda w: ActivityFactory(theme=w.themes.get()),
    "remove an activity": lambda w: Activity.objects.filter(theme__waves=w).first().delete(),
    "reword a question": lambda w: ItemWording.objects.filter(wave=w).update(text_en="X"),
    "add a wording": lambda w: ItemWordingFactory(wave=w, theme=w.themes.get(), item="efficacy"),
    "remove a wording": lambda w: ItemWording.objects.filter(wave=w).delete(),
    "edit a nudge in place": lambda w: NudgeText.objects.filter(wave=w).update(text_en="X"),
    "delete a nudge": lambda w: NudgeText.objects.filter(wave=w).delete(),
    "add a nudge not marked as a deviation": lambda w: NudgeText.objects.create(
        wave=w, theme=w.themes.get(), nudge="a", version=9, text_en="X"
    ),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_the_database_refuses_every_change_to_an_opened_design(opened, change):
    # Given an opened wave and its design as recorded
    before = (opened.design_hash, opened.design)

    # When the change is tried directly against the database, then it is refused
    _refused(lambda: CHANGES[change](opened))

    # And the wave and its design are as they were
    opened.refresh_from_db()
    assert (opened.design_hash, opened.design) == before


def test_a_draft_wave_changes_freely(opened):
    draft = WaveFactory(council=opened.council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=draft).theme

    Wave.objects.filter(pk=draft.pk).update(time_questions="now", strata="ward")
    Theme.objects.filter(pk=theme.pk).update(name_en="Parks")
    ActivityFactory(theme=theme)
    WaveTheme.objects.filter(wave=draft).delete()

    assert Wave.objects.get(pk=draft.pk).time_questions == "now"


def test_the_title_still_changes_and_the_status_moves_forward(opened):
    update_wave(SYSTEM, opened, title="Spring 2027, extended")
    close_wave(SYSTEM, opened)

    opened.refresh_from_db()
    assert (opened.title, opened.status) == ("Spring 2027, extended", WaveStatus.CLOSED)
    _refused(lambda: Wave.objects.filter(pk=opened.pk).update(status="open"))


def test_the_domain_refuses_a_frozen_setting_by_name(opened):
    with pytest.raises(InvalidInput) as refused:
        update_wave(SYSTEM, opened, strata="ward", title="New")

    assert refused.value.fields == {"strata": ["Fixed once the wave has opened."]}
    opened.refresh_from_db()
    assert opened.title != "New"


def test_moving_the_closing_time_of_an_open_wave_is_a_recorded_deviation(opened):
    admin = CouncilMembershipFactory(council=opened.council, role="admin").user
    later = opened.closes_at + dt.timedelta(days=7)

    change_closing_time(admin, opened, closes_at=later)

    (deviation,) = Deviation.objects.filter(wave=opened)
    assert deviation.kind == DeviationKind.CLOSING_TIME
    assert deviation.user == admin
    assert deviation.details["after"] == later.isoformat()
    opened.refresh_from_db()
    assert opened.closes_at == later


def test_a_nudge_correction_is_a_new_version_and_a_recorded_deviation(opened):
    theme = opened.themes.get()

    set_nudge_texts(SYSTEM, opened, theme=theme, texts={"a": ("Most do", "Mae'r rhan fwyaf")})

    latest = NudgeText.objects.filter(wave=opened, nudge="a").order_by("-version").first()
    assert (latest.version, latest.is_deviation) == (2, True)
    (deviation,) = Deviation.objects.filter(wave=opened)
    assert deviation.kind == DeviationKind.NUDGE_TEXT
    opened.refresh_from_db()
    assert opened.design_hash  # the recorded design is untouched


def test_the_admin_cannot_move_an_open_wave_or_touch_its_themes(opened, admin_client):
    other = CouncilFactory()
    url = f"/admin/experiments/wave/{opened.pk}/change/"
    page = admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        {
            "title": opened.title,
            "closes_at_0": "",
            "closes_at_1": "",
            "council": other.pk,
            "time_questions": "now",
        },
    )

    opened.refresh_from_db()
    assert response.status_code in (200, 302)
    assert opened.council_id != other.pk
    assert opened.time_questions != "now"
    assert 'name="council"' not in page
    theme_page = admin_client.get(f"/admin/experiments/theme/{opened.themes.get().pk}/change/")
    assert 'name="name_en"' not in theme_page.content.decode()
