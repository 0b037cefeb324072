"""The wave page as a checklist, its settings, copy and order; the theme editor; the dashboard."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.log import staff_actions
from console.dashboard import balance_statement, percent
from experiments.models import (
    Activity,
    Invitation,
    Nation,
    NudgeText,
    Response,
    ResponseStatus,
    Theme,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.monitoring import LevelBalance, SampleRatioCheck, WaveMonitor
from experiments.policy import SYSTEM
from experiments.waves import open_wave
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = pytest.mark.django_db

# How an infinite or undefined number would show on a page.
UNDEFINED = re.compile(r"\b(inf|-inf|nan|NaN|None|Infinity)\b")


def draft(council, *names, nudges=True):
    wave = WaveFactory(council=council, status=WaveStatus.DRAFT)
    for position, name in enumerate(names or ("Parks",)):
        theme = WaveThemeFactory(wave=wave, theme__name_en=name, position=position).theme
        ActivityFactory(theme=theme)
        if nudges:
            NudgeTextFactory(wave=wave, theme=theme, nudge="a")
            NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    return wave


def order(wave):
    return list(
        WaveTheme.objects.filter(wave=wave)
        .order_by("position", "pk")
        .values_list("theme__name_en", flat=True)
    )


def body(response) -> str:
    return response.content.decode()


# --- The wave page ----------------------------------------------------------------------


def test_the_wave_page_puts_the_next_step_first_in_plain_words(console_client):
    wave = draft(console_client.council, "Parks", nudges=False)

    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))

    banner = page.split('data-testid="next-step"')[1].split("</div>\n</div>")[0]
    assert "Write nudges A and B for the theme “Parks”." in banner
    theme = wave.themes.get()
    assert reverse("console:nudges", args=[wave.pk, theme.pk]) in banner
    # It comes before the themes, the power verdict and everything else
    assert page.index('data-testid="next-step"') < page.index('data-testid="themes"')
    assert page.index('data-testid="themes"') < page.index('data-testid="power-verdict"')


def test_a_ready_draft_s_next_step_is_to_open_it_and_every_wave_can_be_copied(console_client):
    wave = draft(console_client.council)

    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))

    assert "Everything needed is in place. Preview each theme, then open the wave." in page
    assert reverse("console:wave_open", args=[wave.pk]) in page
    assert reverse("console:wave_copy", args=[wave.pk]) in page


def test_a_draft_without_a_closing_time_shows_it_in_the_checklist_and_cannot_open(
    console_client,
):
    # Given a draft that is ready but for its closing time
    wave = draft(console_client.council)
    wave.closes_at = None
    wave.save(update_fields=["closes_at"])
    edit = reverse("console:wave_edit", args=[wave.pk])

    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))

    # Then the next step and the list of what is missing both lead to where it is set
    message = "Set the closing time: the wave closes by itself then."
    banner = page.split('data-testid="next-step"')[1].split("</div>\n</div>")[0]
    assert message in banner
    assert f'href="{edit}"' in banner
    assert "Set the closing time</a>" in banner
    missing = page.split('data-testid="opening-problems"')[1].split("</ul>")[0]
    assert message in missing
    assert f'href="{edit}"' in missing
    assert 'id="task-themes-status"><strong class="govuk-tag govuk-tag--blue">Incomplete' in page
    # And the wave cannot be opened from its page
    assert reverse("console:wave_open", args=[wave.pk]) not in page
    response = console_client.post(reverse("console:wave_open", args=[wave.pk]), {"confirm": "on"})
    assert response.status_code == 400
    assert message in body(response)
    wave.refresh_from_db()
    assert wave.status == WaveStatus.DRAFT


def test_the_create_form_keeps_the_statistics_for_the_settings_page(console_client):
    page = body(console_client.get(reverse("console:wave_create")))

    assert 'name="title_cy"' in page
    for statistical in (
        "expected_sd_individual",
        "intra_cluster_correlation",
        "manipulation_check",
        "expected_response_rate",
    ):
        assert f'name="{statistical}"' not in page


def test_themes_move_up_and_down_with_plain_buttons_and_keep_their_order(console_client):
    # Given a draft asking about three themes
    wave = draft(console_client.council, "Parks", "Litter", "Safety")
    safety = wave.themes.get(name_en="Safety")
    move = reverse("console:wave_theme_move", args=[wave.pk, safety.pk])

    # When the admin moves "Safety" up, using the buttons on the wave page
    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))
    assert f'action="{move}"' in page
    response = console_client.post(move, {"direction": "up"})

    # Then it is second, and saving the wave's themes again keeps that order
    assert response.status_code == 302
    assert response["Location"].endswith("#themes")
    assert order(wave) == ["Parks", "Safety", "Litter"]
    console_client.post(
        reverse("console:wave_edit", args=[wave.pk]),
        {
            "council": wave.council_id,
            "title": wave.title,
            "title_cy": wave.title_cy,
            "experiment_on": "on",
            "themes": [t.pk for t in wave.themes.all()],
        },
    )
    assert order(wave) == ["Parks", "Safety", "Litter"]


def test_moving_the_first_theme_up_says_why_and_changes_nothing(console_client):
    wave = draft(console_client.council, "Parks", "Litter")
    parks = wave.themes.get(name_en="Parks")

    response = console_client.post(
        reverse("console:wave_theme_move", args=[wave.pk, parks.pk]),
        {"direction": "up"},
        follow=True,
    )

    assert "The theme is already first." in body(response)
    assert order(wave) == ["Parks", "Litter"]
    assert staff_actions().count() == 0


def test_the_order_of_an_open_wave_s_themes_cannot_be_changed(console_client):
    wave = draft(console_client.council, "Parks", "Litter")
    open_wave(SYSTEM, wave)
    litter = wave.themes.get(name_en="Litter")

    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))
    response = console_client.post(
        reverse("console:wave_theme_move", args=[wave.pk, litter.pk]), {"direction": "up"}
    )

    assert "Move up" not in page
    assert response.status_code == 302
    assert order(wave) == ["Parks", "Litter"]


def test_the_settings_page_refuses_a_cluster_wave_stratified_by_gender(console_client):
    wave = draft(console_client.council)

    response = console_client.post(
        reverse("console:wave_settings", args=[wave.pk]),
        {
            "allocation_scheme": "cluster",
            "strata": "gender",
            "time_questions": "both",
            "questions_per_page": "12",
        },
    )

    assert response.status_code == 400
    assert "stratify a cluster wave by ward or not at all" in body(response)
    wave.refresh_from_db()
    assert (wave.allocation_scheme, wave.strata) == ("simple", "")


def test_an_open_wave_s_settings_are_shown_but_cannot_change(console_client):
    wave = draft(console_client.council)
    open_wave(SYSTEM, wave)

    page = console_client.get(reverse("console:wave_settings", args=[wave.pk]))
    posted = console_client.post(
        reverse("console:wave_settings", args=[wave.pk]), {"manipulation_check": "on"}
    )

    assert page.status_code == 200
    assert "Save settings" not in body(page)
    assert posted.status_code == 200
    assert Wave.objects.get(pk=wave.pk).manipulation_check is False


# --- Copying ----------------------------------------------------------------------------


def test_copying_a_wave_from_its_page_makes_a_new_draft_and_says_what_to_check(console_client):
    # Given a closed wave
    source = draft(console_client.council, "Parks", "Litter")
    open_wave(SYSTEM, source)
    Wave.objects.filter(pk=source.pk).update(status=WaveStatus.CLOSED)

    # When the admin copies it under a new title
    form = console_client.get(reverse("console:wave_copy", args=[source.pk]))
    response = console_client.post(
        reverse("console:wave_copy", args=[source.pk]),
        {"title": "Spring 2028", "title_cy": "Gwanwyn 2028"},
        follow=True,
    )

    # Then the copy's page opens, with the same themes in the same order
    assert f'value="{source.title} (copy)"' in body(form)
    copy = Wave.objects.get(title="Spring 2028")
    assert response.redirect_chain[-1][0] == reverse("console:wave", args=[copy.pk])
    assert f"“Spring 2028” is a new draft copied from “{source.title}”." in body(response)
    assert (copy.status, copy.title_cy) == (WaveStatus.DRAFT, "Gwanwyn 2028")
    assert order(copy) == ["Parks", "Litter"]
    assert NudgeText.objects.filter(wave=copy).count() == 4
    assert staff_actions().get(action="copy_wave").object_id == str(copy.pk)


def test_a_copy_without_a_title_is_refused_and_nothing_is_created(console_client):
    source = draft(console_client.council)

    response = console_client.post(reverse("console:wave_copy", args=[source.pk]), {"title": ""})

    assert response.status_code == 400
    assert "Give the new wave a title." in body(response)
    assert Wave.objects.count() == 1


def test_another_council_s_wave_cannot_be_copied(console_client):
    foreign = draft(ThemeFactory().council)

    response = console_client.post(
        reverse("console:wave_copy", args=[foreign.pk]), {"title": "Mine"}
    )

    assert response.status_code == 404
    assert Wave.objects.count() == 1


# --- Welsh ------------------------------------------------------------------------------


def welsh_draft(council):
    council.nation, council.name_cy = Nation.WALES, ""
    council.save(update_fields=["nation", "name_cy"])
    wave = draft(council, "Parks")
    theme = wave.themes.get()
    Activity.objects.filter(theme=theme).update(text_cy="")
    return wave, theme


def test_a_welsh_council_s_checklist_lists_each_missing_welsh_text_with_where_to_write_it(
    console_client,
):
    wave, theme = welsh_draft(console_client.council)

    page = body(console_client.get(reverse("console:wave", args=[wave.pk])))

    missing = page.split('data-testid="welsh-missing"')[1].split("</ul>")[0]
    assert f"Missing Welsh text: Council “{wave.council.name}”: name." in missing
    assert reverse("console:council_welsh", args=[wave.pk]) in missing
    activity = theme.activities.get()
    assert f"Theme “Parks”: activity “{activity.text_en}”" in missing
    assert reverse("console:theme_edit", args=[theme.pk]) in missing
    assert (
        reverse("console:wave_open", args=[wave.pk])
        not in page.split("</main>")[0].split('data-testid="checklist"')[1].split("</ul>")[0]
    )


def test_the_council_s_welsh_name_is_written_from_the_checklist_and_audited(console_client):
    wave, _theme = welsh_draft(console_client.council)

    refused = console_client.post(reverse("console:council_welsh", args=[wave.pk]), {})
    saved = console_client.post(
        reverse("console:council_welsh", args=[wave.pk]), {"name_cy": "Cyngor Sir Powys"}
    )

    assert refused.status_code == 400
    assert saved.status_code == 302
    wave.council.refresh_from_db()
    assert wave.council.name_cy == "Cyngor Sir Powys"
    assert staff_actions().get().action == "set_council_welsh_texts"


def test_the_welsh_preview_marks_english_text_shown_to_welsh_readers(console_client):
    # Given a theme whose activity and nudge B have no Welsh
    wave = draft(console_client.council, "Parks")
    theme = wave.themes.get()
    activity = theme.activities.get()
    Activity.objects.filter(pk=activity.pk).update(text_cy="")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", version=2, text_cy="")

    english = body(console_client.get(reverse("console:preview", args=[wave.pk, theme.pk])))
    welsh = body(
        console_client.get(reverse("console:preview", args=[wave.pk, theme.pk]) + "?lang=cy")
    )

    # Then the Welsh preview marks each English stand-in, in every group showing it
    assert 'data-testid="english-in-welsh"' in welsh
    marked = welsh.count('<mark class="english-in-welsh" lang="en">')
    # The activity in all four groups, nudge B in the two groups that see it
    assert marked == 4 + 2
    assert f'lang="en">{activity.text_en}<span' in welsh
    assert "english-in-welsh" not in english


# --- The theme editor -------------------------------------------------------------------


def test_a_new_theme_has_no_order_or_delete_boxes_and_shows_the_wording_of_each_kind(
    console_client,
):
    page = body(console_client.get(reverse("console:theme_create")))

    assert "DELETE" not in page
    assert "-position" not in page
    assert page.count('data-testid="activity-row"') == 3
    kinds = page.split('data-testid="kind-wordings"')[1]
    assert "How would you rate the well-being of people in your area at the moment?" in kinds
    assert 'lang="cy"' in kinds
    assert "[theme name]" in kinds


def test_add_another_activity_keeps_what_was_typed_and_saves_nothing(console_client):
    data = {
        "council": console_client.council.pk,
        "kind": "environment",
        "name_en": "Parks",
        "name_cy": "",
        "activities-TOTAL_FORMS": "1",
        "activities-INITIAL_FORMS": "0",
        "activities-0-text_en": "Picked up litter",
        "activities-0-text_cy": "Codi sbwriel",
    }

    response = console_client.post(reverse("console:theme_create"), {**data, "add_activity": "1"})

    page = body(response)
    assert response.status_code == 200
    assert page.count('data-testid="activity-row"') == 2
    assert 'value="Picked up litter"' in page
    assert 'value="Parks"' in page
    assert "There is a problem" not in page
    assert Theme.objects.count() == 0


def test_remove_drops_a_row_and_saving_keeps_the_rest_in_order(console_client):
    rows = {
        "activities-TOTAL_FORMS": "3",
        "activities-INITIAL_FORMS": "0",
        "activities-0-text_en": "First",
        "activities-1-text_en": "Second",
        "activities-2-text_en": "Third",
    }
    data = {"council": console_client.council.pk, "kind": "health", "name_en": "Health", **rows}

    shown = body(
        console_client.post(reverse("console:theme_create"), {**data, "remove_activity": "1"})
    )
    assert shown.count('data-testid="activity-row"') == 2
    assert 'value="Second"' not in shown

    saved = console_client.post(
        reverse("console:theme_create"),
        {
            **data,
            "activities-TOTAL_FORMS": "3",
            "activities-1-text_en": "",
            "activities-2-text_en": "Third",
        },
    )
    assert saved.status_code == 302
    theme = Theme.objects.get()
    assert list(theme.activities.values_list("text_en", flat=True)) == ["First", "Third"]


def test_editing_a_theme_rewords_removes_and_adds_activities(console_client):
    theme = ThemeFactory(council=console_client.council, name_en="Parks")
    keep = ActivityFactory(theme=theme, text_en="Keep", position=0)
    ActivityFactory(theme=theme, text_en="Drop", position=1)

    response = console_client.post(
        reverse("console:theme_edit", args=[theme.pk]),
        {
            "kind": "environment",
            "name_en": "Parks",
            "name_cy": "Parciau",
            "activities-TOTAL_FORMS": "2",
            "activities-INITIAL_FORMS": "0",
            "activities-0-id": str(keep.pk),
            "activities-0-text_en": "Kept, reworded",
            "activities-1-text_en": "New",
        },
    )

    assert response.status_code == 302
    assert list(theme.activities.values_list("pk", "text_en")) == [
        (keep.pk, "Kept, reworded"),
        (theme.activities.get(text_en="New").pk, "New"),
    ]


def test_a_theme_of_an_open_wave_is_shown_read_only_and_cannot_change(console_client):
    wave = draft(console_client.council, "Parks")
    open_wave(SYSTEM, wave)
    theme = wave.themes.get()

    page = console_client.get(reverse("console:theme_edit", args=[theme.pk]))
    posted = console_client.post(
        reverse("console:theme_edit", args=[theme.pk]),
        {"kind": "health", "name_en": "Changed", "activities-TOTAL_FORMS": "0"},
    )

    assert page.status_code == 200
    assert 'data-testid="theme-fixed"' in body(page)
    assert theme.activities.get().text_en in body(page)
    assert "<form" not in body(page).split("<main")[1]
    assert posted.status_code == 200
    theme.refresh_from_db()
    assert theme.name_en == "Parks"


def test_an_activity_of_another_theme_cannot_be_taken_over(console_client):
    theme = ThemeFactory(council=console_client.council, name_en="Parks")
    foreign = ActivityFactory(text_en="Not yours")

    response = console_client.post(
        reverse("console:theme_edit", args=[theme.pk]),
        {
            "kind": "environment",
            "name_en": "Parks",
            "activities-TOTAL_FORMS": "1",
            "activities-INITIAL_FORMS": "0",
            "activities-0-id": str(foreign.pk),
            "activities-0-text_en": "Mine now",
        },
    )

    assert response.status_code == 400
    foreign.refresh_from_db()
    assert foreign.text_en == "Not yours"


# --- The dashboard ----------------------------------------------------------------------


def test_the_dashboard_gives_shares_of_those_invited_and_of_the_panel(console_client):
    # Given a panel of 10, 4 invited, 3 of whom completed on two days
    wave = WaveFactory(council=console_client.council)
    WaveThemeFactory(wave=wave, theme__name_en="Parks")
    members = PanelMemberFactory.create_batch(10, council=wave.council)
    for member in members[:4]:
        Invitation.objects.create(wave=wave, member=member, token_hash=f"{member.pk:064d}")
    day_one = timezone.now() - dt.timedelta(days=1)
    for member, when in zip(members[:3], [day_one, day_one, timezone.now()], strict=True):
        Response.objects.create(
            wave=wave, member=member, status=ResponseStatus.COMPLETE, submitted_at=when
        )

    page = body(console_client.get(reverse("console:wave_dashboard", args=[wave.pk])))

    assert "3 members have completed the survey: 75% of the 4 invited." in page
    per_day = page.split('data-testid="per-day"')[1].split("</table>")[0]
    assert "50% of invited" in per_day
    assert "75% of invited" in per_day
    funnel = page.split('data-testid="funnel"')[1].split("</dl>")[0]
    assert "75% of those invited" in funnel
    assert "30% of the panel" in funnel
    assert not UNDEFINED.search(page.split("<main")[1])


def test_a_dashboard_with_nobody_invited_shows_no_undefined_share(console_client):
    wave = WaveFactory(council=console_client.council)

    page = body(console_client.get(reverse("console:wave_dashboard", args=[wave.pk])))

    assert "nobody has been invited yet" in page
    main = page.split("<main")[1]
    assert not UNDEFINED.search(main)
    assert "%</td>" not in main
    assert percent(3, 0) is None


def monitor(balance=(), *, opened=400, mismatch=False):
    return WaveMonitor(
        wave_id=1,
        experiment_on=True,
        scheme="simple",
        units="members",
        invited=opened,
        opened=opened,
        exposed=None,
        partial=0,
        completed=opened,
        arms=(),
        sample_ratio=SampleRatioCheck(
            (100,) * 4, (100.0,) * 4, 9.0, 3, 0.03 if not mismatch else 1e-5, mismatch
        ),
        balance=tuple(balance),
        joint_balance=None,
    )


def level(covariate, value, differences):
    return LevelBalance(
        covariate,
        value,
        {group: 0.5 for group in differences},
        differences,
    )


def test_groups_that_look_alike_are_said_to_be_well_balanced():
    statement = balance_statement(
        monitor([level("gender", "woman", {"Group 1": 0.05, "Group 2": -0.02})])
    )

    assert statement.headline == "Groups are well balanced."
    assert statement.differences == []


def test_a_group_with_fewer_women_is_named_in_plain_words_even_when_d_is_infinite():
    statement = balance_statement(
        monitor(
            [
                level("gender", "woman", {"Group 1": 0.02, "Group 3": -0.3}),
                level("age_band", "75+", {"Group 2": float("inf"), "Group 4": 0.0}),
            ]
        )
    )

    assert statement.headline == (
        "The groups differ in who is in them. This can happen by chance; see the "
        "statistician's view."
    )
    assert statement.differences == [
        "Group 2 has more people aged 75 or over than the others: this can happen by chance.",
        "Group 3 has fewer women than the others: this can happen by chance.",
    ]


def test_a_sample_ratio_mismatch_is_said_first():
    statement = balance_statement(monitor(mismatch=True))

    assert statement.headline.startswith("The groups differ in size more than chance allows.")
    assert statement.size_mismatch


def test_the_statistician_s_view_never_shows_an_infinite_difference(console_client):
    # Given a wave whose only assigned members differ completely in gender between groups
    from experiments.models import Assignment

    wave = WaveFactory(council=console_client.council)
    for arm, gender in (("ab", "woman"), ("a", "man"), ("b", "man"), ("none", "man")):
        member = PanelMemberFactory(council=wave.council, gender=gender)
        Assignment.objects.create(wave=wave, member=member, arm=arm, scheme="simple")

    page = body(console_client.get(reverse("console:wave_balance", args=[wave.pk])))

    main = page.split("<main")[1]
    assert not UNDEFINED.search(main)
    assert "d not defined" in main
    assert "Group 1" in main


def test_the_wave_pages_speak_welsh_to_an_admin_who_reads_welsh(console_client):
    # Given a running wave and an admin who chose Welsh
    from django.conf import settings

    wave = draft(console_client.council, "Parks", "Litter")
    open_wave(SYSTEM, wave)
    console_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    pages = {
        "console:wave": "Y cam nesaf",
        "console:wave_dashboard": "Dangosfwrdd",
        "console:wave_balance": "Golwg yr ystadegydd ar y grwpiau",
        "console:wave_copy": "Gwneud y copi",
        "console:wave_settings": "Gosodiadau'r arbrawf",
        "console:wave_power": "Cynllun pŵer",
    }

    # Then each page answers in Welsh
    for name, welsh in pages.items():
        page = console_client.get(reverse(name, args=[wave.pk]))
        assert page.status_code == 200, name
        assert welsh in body(page), name
    theme = body(console_client.get(reverse("console:theme_create")))
    assert "Ychwanegu gweithgaredd arall" in theme
