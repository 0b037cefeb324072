"""The respondent pages are kept per process; every edit of what they show must reach members.

Each test first shows a page (so a copy is kept), then edits the wave the way the console,
the API or the admin would (including queryset updates that send no signal), and checks
that the next page shows the edit.
"""

import pytest

from experiments.assignment import simple_arm
from experiments.models import Arm, Exposure, Item, NudgeText, Response, WaveStatus
from experiments.nudges import set_nudge_text
from experiments.questionnaires import respondent_pages, set_item_wording
from tests.factories import ActivityFactory, PanelMemberFactory, WaveThemeFactory, guards_off
from tests.respondent import consent, open_link, theme_url

pytestmark = pytest.mark.django_db


def _invite_in_arm(invite, wave, arms: set[Arm]):
    """Invite members until one falls in one of the given arms (the wave's simple scheme)."""
    for _ in range(50):
        issued = invite(wave)
        if simple_arm(wave.seed, issued.invitation.member_id) in arms:
            return issued
    raise AssertionError("no member fell in the wanted arms")


def test_an_activity_edited_after_a_page_was_shown_appears_on_the_next_page(
    client, invite, open_wave
):
    # Given a member who has seen the theme page
    activity = open_wave.wave_themes.get().theme.activities.first()
    open_link(client, invite().url)
    first = consent(client)
    assert activity.text_en in first.content.decode()

    # When the activity's wording is corrected without any signal
    with guards_off("activity"):  # the frozen design refuses this; the cache must not hide it
        type(activity).objects.filter(pk=activity.pk).update(text_en="Planted a street tree")

    # Then the page shows the new wording, not a kept copy
    again = client.get(theme_url(1)).content.decode()
    assert "Planted a street tree" in again
    assert activity.text_en not in again


def test_a_nudge_rewritten_after_opening_is_shown_and_its_version_recorded(
    client, invite, open_wave
):
    # Given a member of an arm that shows nudge A, who has seen the theme page once
    theme = open_wave.wave_themes.get().theme
    issued = _invite_in_arm(invite, open_wave, {Arm.AB, Arm.A})
    open_link(client, issued.url)
    consent(client)
    first_version = NudgeText.objects.get(wave=open_wave, theme=theme, nudge="a")

    # When the council rewrites nudge A while the wave is open (a new version)
    second = set_nudge_text(
        open_wave, theme=theme, nudge="a", text_en="Most of your street already helps.", text_cy="x"
    )
    assert second.version == first_version.version + 1
    page = client.get(theme_url(1)).content.decode()

    # Then the page shows the new text, and the exposure names the version shown
    assert "Most of your street already helps." in page
    assert first_version.text_en not in page
    response = Response.objects.get(member_id=issued.invitation.member_id)
    shown = list(
        Exposure.objects.filter(response=response, nudge_text__nudge="a")
        .order_by("pk")
        .values_list("nudge_text_id", flat=True)
    )
    assert shown == [first_version.pk, second.pk]


def test_a_theme_added_to_the_wave_adds_a_page(open_wave):
    # Given the wave's one page, built once
    assert len(respondent_pages(open_wave, language="en", nudges=())) == 1

    # When a second theme is added to the wave
    extra = WaveThemeFactory(wave=open_wave, position=1).theme
    ActivityFactory(theme=extra)

    # Then the pages include it
    pages = respondent_pages(open_wave, language="en", nudges=())
    assert [p.theme_id for p in pages][-1] == extra.pk
    assert len(pages) == 2


def test_an_item_wording_edited_on_a_draft_wave_shows_up(open_wave):
    # Given a draft wave whose pages were built once
    open_wave.status = WaveStatus.DRAFT
    open_wave.save(update_fields=["status"])
    theme = open_wave.wave_themes.get().theme
    (before,) = respondent_pages(open_wave, language="en", nudges=("a",))

    # When the council words the collective item its own way, then in Welsh too
    set_item_wording(open_wave, theme=theme, item=Item.COLLECTIVE, text_en="Do you join in?")
    (after,) = respondent_pages(open_wave, language="en", nudges=("a",))
    set_item_wording(
        open_wave, theme=theme, item=Item.COLLECTIVE, text_en="Do you join in?", text_cy="Ymunwch?"
    )
    (welsh,) = respondent_pages(open_wave, language="cy", nudges=("a",))

    # Then each build shows the wording as it stood
    assert before.question(Item.COLLECTIVE) != "Do you join in?"
    assert after.question(Item.COLLECTIVE) == "Do you join in?"
    assert welsh.question(Item.COLLECTIVE) == "Ymunwch?"


def test_the_time_questions_follow_the_wave(open_wave):
    # Given pages built while the wave asks both time questions
    (both,) = respondent_pages(open_wave, language="en", nudges=())

    # When the wave asks only the time given now
    open_wave.time_questions = "now"
    open_wave.save(update_fields=["time_questions"])
    (now_only,) = respondent_pages(open_wave, language="en", nudges=())

    # Then the second build no longer asks the time members would give more
    assert (both.asks_time_more, now_only.asks_time_more) == (True, False)


def test_members_of_another_council_share_nothing(invite, open_wave):
    # Given pages kept for one wave
    respondent_pages(open_wave, language="en", nudges=("a", "b"))
    other = WaveThemeFactory().wave
    ActivityFactory(theme=other.wave_themes.get().theme, text_en="Another council's activity")
    PanelMemberFactory(council=other.council)

    # Then another wave's pages show only its own theme
    (page,) = respondent_pages(other, language="en", nudges=("a", "b"))
    assert page.theme_id == other.wave_themes.get().theme_id
    assert [a.text for a in page.activities] == ["Another council's activity"]
