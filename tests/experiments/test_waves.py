"""A wave's checklist, the order of its themes, and copying a wave into a new draft."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.log import staff_actions
from experiments.models import (
    ItemWording,
    Nation,
    NudgeText,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.policy import SYSTEM
from experiments.waves import (
    WaveStateError,
    change_closing_time,
    close_wave,
    copy_wave,
    move_wave_theme,
    next_step,
    open_wave,
    opening_checks,
)
from surveyplatform.domain import InvalidInput, NotFound
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    ItemWordingFactory,
    NudgeTextFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = pytest.mark.django_db


def _draft(council=None, *, themes=("Parks", "Litter"), nudges=True):
    wave = WaveFactory(status=WaveStatus.DRAFT, **({"council": council} if council else {}))
    for position, name in enumerate(themes):
        theme = WaveThemeFactory(wave=wave, theme__name_en=name, position=position).theme
        ActivityFactory(theme=theme)
        if nudges:
            NudgeTextFactory(wave=wave, theme=theme, nudge="a")
            NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    return wave


def _order(wave: Wave) -> list[str]:
    return list(
        WaveTheme.objects.filter(wave=wave)
        .order_by("position", "pk")
        .values_list("theme__name_en", flat=True)
    )


def test_the_next_step_of_a_draft_is_its_first_problem_in_plain_words():
    # Given a draft whose second theme has no activity and no nudges
    wave = _draft(themes=("Parks",))
    bare = WaveThemeFactory(wave=wave, theme__name_en="Litter", position=1).theme

    problems = opening_checks(wave)
    step = next_step(wave, problems)

    assert [(p.kind, p.message, p.theme_id) for p in problems] == [
        ("activities", "Add at least one activity to the theme “Litter”.", bare.pk),
        ("nudges", "Write nudges A and B for the theme “Litter”.", bare.pk),
    ]
    assert (step.action, step.message, step.theme_id) == (
        "activities",
        "Add at least one activity to the theme “Litter”.",
        bare.pk,
    )


def test_a_complete_draft_is_ready_to_open_and_an_open_wave_asks_for_invitations():
    wave = _draft()
    assert next_step(wave).action == "open"

    open_wave(SYSTEM, wave)
    assert next_step(Wave.objects.get(pk=wave.pk)).action == "invite"

    close_wave(SYSTEM, wave)
    assert next_step(Wave.objects.get(pk=wave.pk)).action == "results"


@pytest.mark.parametrize(
    ("closes_in", "message"),
    [
        (None, "Set the closing time: the wave closes by itself then."),
        (
            dt.timedelta(minutes=-1),
            "The closing time has passed: choose one in the future.",
        ),
    ],
)
def test_a_draft_without_a_closing_time_in_the_future_cannot_open(closes_in, message):
    # Given a draft that is otherwise ready, with no closing time or one already past
    wave = _draft(themes=("Parks",))
    wave.closes_at = timezone.now() + closes_in if closes_in else None
    wave.save(update_fields=["closes_at"])

    problems = opening_checks(wave)

    # Then the checklist says so, it is the next step, and opening is refused
    assert [(p.kind, p.message) for p in problems] == [("closing", message)]
    assert (next_step(wave, problems).action, next_step(wave, problems).message) == (
        "closing",
        message,
    )
    with pytest.raises(WaveStateError, match=message):
        open_wave(SYSTEM, wave)
    wave.refresh_from_db()
    assert (wave.status, wave.opened_at, wave.design_hash) == (WaveStatus.DRAFT, None, "")
    assert staff_actions().count() == 0


def test_a_welsh_council_s_checklist_lists_every_missing_welsh_text_where_it_is_written():
    # Given a Welsh council's draft without the council's and wave's Welsh names
    wave = _draft(themes=("Parks",))
    council = wave.council
    council.nation, council.name_cy = Nation.WALES, ""
    council.save(update_fields=["nation", "name_cy"])
    wave.title_cy = ""
    wave.save(update_fields=["title_cy"])
    theme = wave.themes.get()
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", version=2, text_cy="")

    problems = opening_checks(wave)

    assert [(p.kind, p.place, p.theme_id, p.message) for p in problems] == [
        ("welsh", "council", None, f"Missing Welsh text: Council “{council.name}”: name."),
        ("welsh", "wave", None, f"Missing Welsh text: Wave “{wave.title}”: title."),
        ("welsh", "nudges", theme.pk, "Missing Welsh text: Theme “Parks”: nudge B (version 2)."),
    ]
    with pytest.raises(WaveStateError):
        open_wave(SYSTEM, wave)
    assert Wave.objects.get(pk=wave.pk).status == WaveStatus.DRAFT


def test_themes_move_up_and_down_and_each_move_is_audited():
    admin = CouncilMembershipFactory()
    wave = _draft(admin.council, themes=("Parks", "Litter", "Safety"))
    safety = wave.themes.get(name_en="Safety")

    move_wave_theme(admin.user, wave, theme=safety, offset=-1)
    move_wave_theme(admin.user, wave, theme=safety, offset=-1)

    assert _order(wave) == ["Safety", "Parks", "Litter"]
    assert list(staff_actions().values_list("action", flat=True)) == ["reorder_wave_themes"] * 2


@pytest.mark.parametrize(("name", "offset"), [("Parks", -1), ("Litter", 1)])
def test_a_theme_cannot_move_past_either_end_and_nothing_changes(name, offset):
    admin = CouncilMembershipFactory()
    wave = _draft(admin.council)

    with pytest.raises(InvalidInput):
        move_wave_theme(admin.user, wave, theme=wave.themes.get(name_en=name), offset=offset)

    assert _order(wave) == ["Parks", "Litter"]
    assert staff_actions().count() == 0


def test_the_order_of_an_open_wave_s_themes_is_fixed():
    admin = CouncilMembershipFactory()
    wave = _draft(admin.council)
    open_wave(admin.user, wave)

    with pytest.raises(WaveStateError):
        move_wave_theme(admin.user, wave, theme=wave.themes.get(name_en="Litter"), offset=-1)

    assert _order(wave) == ["Parks", "Litter"]


def test_a_theme_of_another_wave_is_not_found():
    admin = CouncilMembershipFactory()
    wave = _draft(admin.council)

    with pytest.raises(NotFound):
        move_wave_theme(admin.user, wave, theme=ThemeFactory(council=admin.council), offset=1)


def test_copying_a_closed_wave_gives_a_draft_with_its_themes_nudges_wording_and_settings():
    # Given last year's closed wave: two themes in a chosen order, a corrected nudge,
    # the council's own wording of one question, and its own settings
    admin = CouncilMembershipFactory()
    source = _draft(admin.council, themes=("Parks", "Litter"))
    source.manipulation_check, source.hoped_for_effect = True, 0.05
    source.questions_per_page, source.analysis_plan = 8, {"alpha": 0.01}
    source.save()
    parks = source.themes.get(name_en="Parks")
    ItemWordingFactory(wave=source, theme=parks, item="efficacy", text_en="Own", text_cy="Eich")
    open_wave(admin.user, source)
    NudgeText.objects.create(
        wave=source, theme=parks, nudge="a", version=2, text_en="Fixed", is_deviation=True
    )
    close_wave(admin.user, source)

    # When the admin copies it
    copy = copy_wave(admin.user, source, title="Spring 2028", title_cy="Gwanwyn 2028")

    # Then the copy is a new, unfrozen draft asking the same things
    assert (copy.status, copy.design, copy.design_hash) == (WaveStatus.DRAFT, None, "")
    assert (copy.title, copy.title_cy, copy.closes_at) == ("Spring 2028", "Gwanwyn 2028", None)
    assert copy.seed != source.seed
    assert _order(copy) == ["Parks", "Litter"]
    assert (copy.manipulation_check, copy.hoped_for_effect) == (True, 0.05)
    assert (copy.questions_per_page, copy.analysis_plan) == (8, {"alpha": 0.01})
    texts = NudgeText.objects.filter(wave=copy, theme=parks).order_by("nudge")
    assert [(t.nudge, t.version, t.text_en, t.is_deviation) for t in texts] == [
        ("a", 1, "Fixed", False),
        ("b", 1, "Nudge B in English", False),
    ]
    assert list(ItemWording.objects.filter(wave=copy).values_list("item", "text_cy")) == [
        ("efficacy", "Eich")
    ]
    entry = staff_actions().get(action="copy_wave")
    assert entry.details == {
        "copied_from": source.pk,
        "themes": [parks.pk, source.themes.get(name_en="Litter").pk],
        "nudge_texts": 4,
        "wordings": 1,
    }

    # And it cannot open until it has a closing time of its own
    with pytest.raises(WaveStateError, match="Set the closing time"):
        open_wave(admin.user, copy)
    change_closing_time(admin.user, copy, closes_at=timezone.now() + dt.timedelta(days=28))

    # And it is frozen at its own opening, leaving the source's design as it was
    source_hash = Wave.objects.get(pk=source.pk).design_hash
    open_wave(admin.user, copy)
    copy.refresh_from_db()
    assert copy.design_hash
    assert copy.design_hash != source_hash
    assert Wave.objects.get(pk=source.pk).design_hash == source_hash


def test_a_wave_of_another_council_cannot_be_copied_and_nothing_is_created():
    admin = CouncilMembershipFactory()
    foreign = _draft()

    with pytest.raises(NotFound):
        copy_wave(admin.user, foreign, title="Mine now")

    assert Wave.objects.count() == 1
    assert staff_actions().count() == 0


def test_a_copy_needs_a_title():
    admin = CouncilMembershipFactory()
    source = _draft(admin.council)

    with pytest.raises(InvalidInput):
        copy_wave(admin.user, source, title="  ")

    assert Wave.objects.count() == 1


def test_the_welsh_title_of_an_open_wave_can_still_be_written():
    from experiments.waves import update_wave

    admin = CouncilMembershipFactory()
    wave = _draft(admin.council)
    open_wave(admin.user, wave)

    update_wave(admin.user, wave, title_cy="Arolwg y gwanwyn")

    assert Wave.objects.get(pk=wave.pk).title_cy == "Arolwg y gwanwyn"
