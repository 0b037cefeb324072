"""Exports pinned byte for byte: a varied pooled scope written to CSV, Stata and SPSS.

The expected files were captured from the exporter before its reading and formatting were
rewritten for speed, and spot-checked against the data below. Every id is fixed, the
pseudonym key is fixed and every time is set, so the files are the same on every run: any
change in a value's formatting, a column's order, the guard against formulas, the labels
or the pseudonyms fails here. The Stata and SPSS files were pinned again when they gained
measure levels, declared missing codes and the wording each wave asked, whose content
tests/analysis/test_labelled_exports.py reads back.
"""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine

from experiments.models import ActivityAnswer, Assignment, Response, ThemeAnswer, WaveStatus
from exports import cells, jobs, readers
from exports import scope as export_scope
from exports.codebook import tidy_variables
from exports.models import ExportFormat
from tests.analysis.test_exports import export_bytes
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

KEY = "golden-export-test-key"
SUMMER = timezone(timedelta(hours=1))  # times stored with an offset, exported in UTC
WARDS = [
    "Central",
    '=HYPERLINK("http://x")',
    "+44 1234",
    "-5",
    "@SUM(A1)",
    "\tTabbed",
    "",
    "Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    'Line one\nline "two", three',
    "Ward with 'quote' and \\ backslash",
    "\rReturn",
    "Treffynnon",
]
ARMS = ["ab", "a", "b", "none", None]  # None: no assignment row
STATUSES = ["complete", "complete", "partial"]
MODES = ["web", "paper", "phone", "web"]
AGE_BANDS = ["", "16-24", "75+", "not_said", "45-54"]
GENDERS = ["woman", "", "man", "other", "not_said", "woman"]
ETHNIC = ["white", "asian", "", "black", "mixed", "other", "not_said"]
QUALIFICATIONS = ["level_4", "", "none", "apprenticeship", "level_1_2", "level_3", "other"]
RECALLED = ["", "a", "b", "ab", "none", "unsure"]
DONE = [True, False, None, "missing", True, True, False]  # "missing": no answer row


def _item(i: int, offset: int, high: int, *, gap: int = 0):
    """A coded answer cycling through 1..high, missing once every `gap` answers."""
    if gap and (i + offset) % gap == 0:
        return None
    return (i + offset) % high + 1


def build_scope():
    """Create two councils, three closed waves and four themes answered in varied ways.

    Returns the wave ids: council A's waves 9201 and 9203, council B's wave 9202.
    """
    council_a = CouncilFactory(id=9101, name="Cyngor Sir Ynys Môn", slug="ynys-mon")
    council_b = CouncilFactory(id=9102, name="=Council B", slug="council-b")
    wave_a1 = WaveFactory(id=9201, council=council_a, title="Spring wave ☀")
    wave_b1 = WaveFactory(id=9202, council=council_b, title="@B wave")
    wave_a2 = WaveFactory(id=9203, council=council_a, title="Autumn wave")
    themes = {
        9301: ThemeFactory(id=9301, council=council_a, name_en="Litter", name_cy="Sbwriel"),
        9302: ThemeFactory(id=9302, council=council_a, name_en="Parks", name_cy="Parciau"),
        9303: ThemeFactory(id=9303, council=council_a, name_en="Safety", name_cy=""),
        9304: ThemeFactory(id=9304, council=council_b, name_en="+Health", name_cy="Iechyd"),
    }
    # Activities by theme in the theme's order, which is not the order of their ids.
    activities = {9301: [9401, 9402, 9403], 9302: [9406, 9404, 9408, 9405, 9407], 9303: [9409]}
    activities[9304] = [9411, 9410]
    for theme_id, ids in activities.items():
        for position, activity_id in enumerate(ids):
            ActivityFactory(
                id=activity_id,
                theme=themes[theme_id],
                position=position,
                text_en=f"Activity {activity_id}" if activity_id != 9405 else "=cmd|' /C calc'!A0",
                text_cy=f"Gweithgaredd {activity_id}" if activity_id != 9406 else "",
            )
    for wave, theme_ids in (
        (wave_a1, [9302, 9301, 9303]),  # scope order differs from id order
        (wave_b1, [9304]),
        (wave_a2, [9301]),
    ):
        for position, theme_id in enumerate(theme_ids):
            WaveThemeFactory(wave=wave, theme=themes[theme_id], position=position)

    # Responses interleave across waves, so that response order is not wave order.
    plan = [(wave_a1, [9301, 9302, 9303])] * 12 + [(wave_b1, [9304])] * 5
    plan += [(wave_a2, [9301])] * 4
    order = [0, 12, 1, 2, 17, 3, 13, 4, 5, 18, 6, 14, 7, 8, 19, 9, 15, 10, 11, 20, 16]
    base = datetime(2026, 6, 1, 8, 30, 15, 123456, tzinfo=SUMMER)
    for i, index in enumerate(order):
        wave, theme_ids = plan[index]
        member = PanelMemberFactory(id=9600 + i, council=wave.council, external_id=f"G{i:03d}")
        arm = ARMS[i % len(ARMS)]
        if arm is not None:
            Assignment.objects.create(wave=wave, member=member, arm=arm, scheme="simple")
        status = STATUSES[i % len(STATUSES)]
        response = Response.objects.create(
            id=9700 + i,
            wave=wave,
            member=member,
            status=status,
            mode=MODES[i % len(MODES)],
            language="cy" if i % 3 == 1 else "en",
            submitted_at=None if status == "partial" else base + timedelta(hours=i, minutes=7 * i),
            birth_year=None if i % 5 == 2 else 1930 + 3 * i,
            age_band=AGE_BANDS[i % len(AGE_BANDS)],
            gender=GENDERS[i % len(GENDERS)],
            ethnic_group=ETHNIC[i % len(ETHNIC)],
            qualification=QUALIFICATIONS[i % len(QUALIFICATIONS)],
            ward=WARDS[i % len(WARDS)],
        )
        Response.objects.filter(pk=response.pk).update(
            started_at=datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC) + timedelta(days=i)
        )
        # Some responses answer no theme, some skip one.
        answered = [] if i % 7 == 5 else [t for t in theme_ids if (i + t) % 4 != 0]
        for theme_id in answered:
            answer = ThemeAnswer.objects.create(
                response=response,
                theme=themes[theme_id],
                collective=_item(i, theme_id, 3, gap=5),
                time_now=_item(i, theme_id + 1, 4, gap=6),
                time_more=_item(i, theme_id + 2, 4, gap=2),
                conditions=_item(i, theme_id, 5, gap=3),
                satisfaction_information=9 if i % 4 == 0 else _item(i, 1, 5, gap=4),
                satisfaction_consultation=_item(i, 2, 5, gap=7),
                satisfaction_response=None,
                efficacy=9 if i % 6 == 3 else _item(i, theme_id, 5),
                recalled_nudge=RECALLED[(i + theme_id) % len(RECALLED)],
            )
            for j, activity_id in enumerate(activities[theme_id]):
                done = DONE[(i * 3 + j + theme_id) % len(DONE)]
                if done != "missing":
                    ActivityAnswer.objects.create(
                        theme_answer=answer, activity_id=activity_id, done=done
                    )
            if i == 4 and theme_id == 9301:
                # An answer to another theme's activity: no column of this theme holds it.
                ActivityAnswer.objects.create(theme_answer=answer, activity_id=9404, done=True)
    for wave in (wave_a1, wave_b1, wave_a2):
        wave.status = WaveStatus.CLOSED
        wave.closed_at = datetime(2026, 7, 1, tzinfo=UTC)
        wave.save()
    return [9201, 9202, 9203]


TIDY_ALL = (
    "\ufeffpseudonym,council,wave,arm,status,mode,language,started_at,submitted_at,birth_year,a"
    "ge_band,gender,ethnic_group,qualification,ward,theme,collective,time_now,time_more,conditi"
    "ons,satisfaction_information,satisfaction_consultation,satisfaction_response,efficacy,reca"
    "lled_nudge,act1,act2,act3,act4,act5,activities_total,activities_answered,activities_yes,in"
    "dividual_index,collective_any,gives_time\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9301,2,3,4,2,9,3,,2,1,1,0,1,,,3,3,2,0.6666666666666666,1,1\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9302,3,4,,3,9,3,,3,2,0,1,0,,,5,3,1,0.3333333333333333,0,1\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9303,1,1,2,,9,3,,4,3,1,,,,,1,1,1,1.0,1,0\r\n"
    "e624af9a2c9c8e821eb7e5717ba2360c,9102,9202,2,2,2,2,2026-06-01T23:59:59Z,2026-06-01T08:37:1"
    '5Z,1933,1,,1,,"\'=HYPERLINK(""http://x"")",9304,,,4,1,3,4,,1,5,1,1,,,,2,2,2,1.0,,\r\n'
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",9301,1,1,2,,4,5,,4,3,1,1,0,,,3,3,2,0.6666666666666666,1,0\r\n"
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",9303,,,4,1,4,5,,1,5,0,,,,,1,1,0,0.0,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,9302,,,4,1,,1,,9,5,0,,,1,1,5,3,2,0.6666666666666666,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,9303,1,4,,,,1,,9,,,,,,,1,0,0,,1,1\r\n"
    "914b50f722180e11c0cd9591d859c0d8,9101,9203,,2,1,2,2026-06-04T23:59:59Z,2026-06-01T11:58:15"
    "Z,1942,4,4,3,2,'@SUM(A1),9301,,,4,1,9,2,,1,5,,1,1,,,3,2,2,1.0,,\r\n"
    "57a553b8226c971da2b6455a844c28ab,9102,9202,2,2,3,1,2026-06-06T23:59:59Z,2026-06-01T14:12:1"
    "5Z,1948,1,1,6,6,,9304,,4,,1,3,4,,1,4,1,0,,,,2,2,1,0.5,,1\r\n"
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",9302,1,3,4,,,5,,5,3,0,1,0,,,5,3,1,0.3333333333333333,1,1\r\n'
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",9303,,4,,1,,5,,1,4,1,,,,,1,1,1,1.0,,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9301,1,3,4,,9,1,,5,3,0,,,,,3,1,0,,1,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9302,,4,,1,9,1,,1,4,,,1,1,0,5,3,2,0.6666666666666666,,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9303,3,,2,2,9,1,,2,5,,,,,,1,0,0,,0,\r\n'
    "b74f5ffdf39546652c0d096361a452ca,9101,9203,,2,2,1,2026-06-09T23:59:59Z,2026-06-01T17:33:15"
    "Z,1957,4,3,,1,Ward with 'quote' and \\ backslash,9301,,4,,1,1,2,,9,4,1,1,0,,,3,3,2,0.66666"
    "66666666666,,1\r\n"
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",9301,3,,2,2,2,3,,2,5,1,0,,,,3,2,1,0.5,0,\r\n'
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",9303,2,3,4,4,2,3,,4,1,,,,,,1,0,0,,1,1\r\n'
    "1156ec692bee856421c7170963232be5,9102,9202,2,1,1,1,2026-06-11T23:59:59Z,,1963,1,1,3,2,Tref"
    "fynnon,9304,,1,2,,,4,,1,3,0,1,,,,2,2,1,0.5,,0\r\n"
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",9301,3,4,,5,5,1,,5,2,,,1,,,3,1,1,,0,1\r\n'
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",9302,,1,2,,5,1,,1,3,,1,1,0,1,5,4,3,0.75,,0\r\n'
    "50b4587b84e11111b3f6b2c07195e534,9101,9203,,1,3,1,2026-06-14T23:59:59Z,,1972,4,2,4,5,'+44 "
    "1234,9301,,1,2,,1,2,,1,3,1,0,1,,,3,3,2,0.6666666666666666,,0\r\n"
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,9302,3,,4,3,,3,,9,5,,,1,1,0,5,3,2,0.6666666666666666,0,\r\n"
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,9303,1,4,,,,3,,9,,,,,,,1,0,0,,1,1\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,9301,1,4,,,4,5,,4,,1,0,,,,3,2,1,0.5,1,1\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,9302,2,1,2,5,4,5,,5,1,0,,,1,1,5,3,2,0.6666666666666666,1,0\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,9301,2,1,2,5,5,1,,5,1,,1,1,,,3,2,2,1.0,1,0\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,9303,1,3,4,,5,1,,2,3,1,,,,,1,1,1,1.0,1,1\r\n"
)

WIDE_ALL = (
    "\ufeffpseudonym,council,wave,arm,status,mode,language,started_at,submitted_at,birth_year,a"
    "ge_band,gender,ethnic_group,qualification,ward,t9302_collective,t9302_time_now,t9302_time_"
    "more,t9302_conditions,t9302_satisfaction_information,t9302_satisfaction_consultation,t9302"
    "_satisfaction_response,t9302_efficacy,t9302_recalled_nudge,t9302_a9406,t9302_a9404,t9302_a"
    "9408,t9302_a9405,t9302_a9407,t9302_activities_total,t9302_activities_answered,t9302_activi"
    "ties_yes,t9302_individual_index,t9302_collective_any,t9302_gives_time,t9301_collective,t93"
    "01_time_now,t9301_time_more,t9301_conditions,t9301_satisfaction_information,t9301_satisfac"
    "tion_consultation,t9301_satisfaction_response,t9301_efficacy,t9301_recalled_nudge,t9301_a9"
    "401,t9301_a9402,t9301_a9403,t9301_activities_total,t9301_activities_answered,t9301_activit"
    "ies_yes,t9301_individual_index,t9301_collective_any,t9301_gives_time,t9303_collective,t930"
    "3_time_now,t9303_time_more,t9303_conditions,t9303_satisfaction_information,t9303_satisfact"
    "ion_consultation,t9303_satisfaction_response,t9303_efficacy,t9303_recalled_nudge,t9303_a94"
    "09,t9303_activities_total,t9303_activities_answered,t9303_activities_yes,t9303_individual_"
    "index,t9303_collective_any,t9303_gives_time,t9304_collective,t9304_time_now,t9304_time_mor"
    "e,t9304_conditions,t9304_satisfaction_information,t9304_satisfaction_consultation,t9304_sa"
    "tisfaction_response,t9304_efficacy,t9304_recalled_nudge,t9304_a9411,t9304_a9410,t9304_acti"
    "vities_total,t9304_activities_answered,t9304_activities_yes,t9304_individual_index,t9304_c"
    "ollective_any,t9304_gives_time\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,3,4,,3,9,3,,3,2,0,1,0,,,5,3,1,0.3333333333333333,0,1,2,3,4,2,9,3,,2"
    ",1,1,0,1,3,3,2,0.6666666666666666,1,1,1,1,2,,9,3,,4,3,1,1,1,1,1.0,1,0,,,,,,,,,,,,,,,,,\r\n"
    "e624af9a2c9c8e821eb7e5717ba2360c,9102,9202,2,2,2,2,2026-06-01T23:59:59Z,2026-06-01T08:37:1"
    '5Z,1933,1,,1,,"\'=HYPERLINK(""http://x"")",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,'
    ",,,,,,,,,4,1,3,4,,1,5,1,1,2,2,2,1.0,,\r\n"
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",,,,,,,,,,,,,,,,,,,,,1,1,2,,4,5,,4,3,1,1,0,3,3,2,0.6666666666666666,1,0,,,4,1,4,5,,1,5,0,1"
    ",1,0,0.0,,,,,,,,,,,,,,,,,,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,,,4,1,,1,,9,5,0,,,1,1,5,3,2,0.6666666666666666,,,,,,,,,,,,,,,,,,,,,1,4"
    ",,,,1,,9,,,1,0,0,,1,1,,,,,,,,,,,,,,,,,\r\n"
    "914b50f722180e11c0cd9591d859c0d8,9101,9203,,2,1,2,2026-06-04T23:59:59Z,2026-06-01T11:58:15"
    "Z,1942,4,4,3,2,'@SUM(A1),,,,,,,,,,,,,,,,,,,,,,,4,1,9,2,,1,5,,1,1,3,2,2,1.0,,,,,,,,,,,,,,,,"
    ",,,,,,,,,,,,,,,,,,,\r\n"
    "8a48ae990f1674004ab3c07717c6fd0c,9101,9201,1,1,2,1,2026-06-05T23:59:59Z,,1945,,1,5,4,'\tTa"
    "bbed,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "57a553b8226c971da2b6455a844c28ab,9102,9202,2,2,3,1,2026-06-06T23:59:59Z,2026-06-01T14:12:1"
    "5Z,1948,1,1,6,6,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,4,,1,3,4,,1,4,1,0,"
    "2,2,1,0.5,,1\r\n"
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",1,3,4,,,5,,5,3,0,1,0,,,5,3,1,0.3333333333333333,1,1,,,,,,,,,,,,,,,,,,,,4,,1,,5'
    ",,1,4,1,1,1,1,1.0,,1,,,,,,,,,,,,,,,,,\r\n"
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",,4,,1,9,1,,1,4,,,1,1,0,5,3,2,0.6666666666666666,,1,1,3,4,,9,1,,'
    "5,3,0,,,3,1,0,,1,1,3,,2,2,9,1,,2,5,,1,0,0,,0,,,,,,,,,,,,,,,,,,\r\n"
    "b74f5ffdf39546652c0d096361a452ca,9101,9203,,2,2,1,2026-06-09T23:59:59Z,2026-06-01T17:33:15"
    "Z,1957,4,3,,1,Ward with 'quote' and \\ backslash,,,,,,,,,,,,,,,,,,,,,,4,,1,1,2,,9,4,1,1,0,"
    "3,3,2,0.6666666666666666,,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",,,,,,,,,,,,,,,,,,,,,3,,2,2,2,3,,2,5,1,0,,3,2,1,0.5,0,,2,3,4,4,'
    "2,3,,4,1,,1,0,0,,1,1,,,,,,,,,,,,,,,,,\r\n"
    "1156ec692bee856421c7170963232be5,9102,9202,2,1,1,1,2026-06-11T23:59:59Z,,1963,1,1,3,2,Tref"
    "fynnon,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,1,2,,,4,,1,3,0,1,2,2,1,0.5,,"
    "0\r\n"
    "d158ee06cd57f87e57696cf511a2b52f,9101,9201,3,2,1,1,2026-06-12T23:59:59Z,2026-06-01T20:54:1"
    "5Z,,7,1,5,4,Central,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
    "\r\n"
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",,1,2,,5,1,,1,3,,1,1,0,1,5,4,3,0.75,,0,3,4,,5,5'
    ",1,,5,2,,,1,3,1,1,,0,1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "50b4587b84e11111b3f6b2c07195e534,9101,9203,,1,3,1,2026-06-14T23:59:59Z,,1972,4,2,4,5,'+44 "
    "1234,,,,,,,,,,,,,,,,,,,,,,1,2,,1,2,,1,3,1,0,1,3,3,2,0.6666666666666666,,0,,,,,,,,,,,,,,,,,"
    ",,,,,,,,,,,,,,,,\r\n"
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,3,,4,3,,3,,9,5,,,1,1,0,5,3,2,0.6666666666666666,0,,,,,,,,,,,,,,,,,,,,1,4"
    ",,,,3,,9,,,1,0,0,,1,1,,,,,,,,,,,,,,,,,\r\n"
    "1e5ec21cf1063220d81c5a61692fc536,9102,9202,2,2,1,2,2026-06-16T23:59:59Z,2026-06-02T01:22:1"
    "5Z,1978,1,4,,1,'@SUM(A1),,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
    ",,,,,\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,2,1,2,5,4,5,,5,1,0,,,1,1,5,3,2,0.6666666666666666,1,0,1,4,,,4,5,,4,,1,0,,3,2,1,0.5,1,1,,"
    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,,,,,,,,,,,,,,,,,,,,,2,1,2,5,5,1,,5,1,,1,1,3,2,2,1.0,1,0,1,3,4,,5,1,,2,3,1"
    ",1,1,1,1.0,1,1,,,,,,,,,,,,,,,,,\r\n"
    "90fe4f6a4bc1c0125f6b71e75c8731fe,9101,9203,,2,1,2,2026-06-19T23:59:59Z,2026-06-02T04:43:15"
    'Z,1987,4,,5,4,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c'
    '\U000e0073\U000e007f",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,'
    ",,\r\n"
    '855455bb0d73c3370e0dedac83d16573,9102,9202,1,1,1,1,2026-06-20T23:59:59Z,,1990,,2,6,6,"Line'
    ' one\nline ""two"", three",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,'
    ",,,,,,,\r\n"
)

TIDY_A1 = (
    "\ufeffpseudonym,council,wave,arm,status,mode,language,started_at,submitted_at,birth_year,a"
    "ge_band,gender,ethnic_group,qualification,ward,theme,collective,time_now,time_more,conditi"
    "ons,satisfaction_information,satisfaction_consultation,satisfaction_response,efficacy,reca"
    "lled_nudge,act1,act2,act3,act4,act5,activities_total,activities_answered,activities_yes,in"
    "dividual_index,collective_any,gives_time\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9301,2,3,4,2,9,3,,2,1,1,0,1,,,3,3,2,0.6666666666666666,1,1\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9302,3,4,,3,9,3,,3,2,0,1,0,,,5,3,1,0.3333333333333333,0,1\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,9303,1,1,2,,9,3,,4,3,1,,,,,1,1,1,1.0,1,0\r\n"
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",9301,1,1,2,,4,5,,4,3,1,1,0,,,3,3,2,0.6666666666666666,1,0\r\n"
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",9303,,,4,1,4,5,,1,5,0,,,,,1,1,0,0.0,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,9302,,,4,1,,1,,9,5,0,,,1,1,5,3,2,0.6666666666666666,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,9303,1,4,,,,1,,9,,,,,,,1,0,0,,1,1\r\n"
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",9302,1,3,4,,,5,,5,3,0,1,0,,,5,3,1,0.3333333333333333,1,1\r\n'
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",9303,,4,,1,,5,,1,4,1,,,,,1,1,1,1.0,,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9301,1,3,4,,9,1,,5,3,0,,,,,3,1,0,,1,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9302,,4,,1,9,1,,1,4,,,1,1,0,5,3,2,0.6666666666666666,,1\r\n'
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",9303,3,,2,2,9,1,,2,5,,,,,,1,0,0,,0,\r\n'
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",9301,3,,2,2,2,3,,2,5,1,0,,,,3,2,1,0.5,0,\r\n'
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",9303,2,3,4,4,2,3,,4,1,,,,,,1,0,0,,1,1\r\n'
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",9301,3,4,,5,5,1,,5,2,,,1,,,3,1,1,,0,1\r\n'
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",9302,,1,2,,5,1,,1,3,,1,1,0,1,5,4,3,0.75,,0\r\n'
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,9302,3,,4,3,,3,,9,5,,,1,1,0,5,3,2,0.6666666666666666,0,\r\n"
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,9303,1,4,,,,3,,9,,,,,,,1,0,0,,1,1\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,9301,1,4,,,4,5,,4,,1,0,,,,3,2,1,0.5,1,1\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,9302,2,1,2,5,4,5,,5,1,0,,,1,1,5,3,2,0.6666666666666666,1,0\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,9301,2,1,2,5,5,1,,5,1,,1,1,,,3,2,2,1.0,1,0\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,9303,1,3,4,,5,1,,2,3,1,,,,,1,1,1,1.0,1,1\r\n"
)

WIDE_A1 = (
    "\ufeffpseudonym,council,wave,arm,status,mode,language,started_at,submitted_at,birth_year,a"
    "ge_band,gender,ethnic_group,qualification,ward,t9302_collective,t9302_time_now,t9302_time_"
    "more,t9302_conditions,t9302_satisfaction_information,t9302_satisfaction_consultation,t9302"
    "_satisfaction_response,t9302_efficacy,t9302_recalled_nudge,t9302_a9406,t9302_a9404,t9302_a"
    "9408,t9302_a9405,t9302_a9407,t9302_activities_total,t9302_activities_answered,t9302_activi"
    "ties_yes,t9302_individual_index,t9302_collective_any,t9302_gives_time,t9301_collective,t93"
    "01_time_now,t9301_time_more,t9301_conditions,t9301_satisfaction_information,t9301_satisfac"
    "tion_consultation,t9301_satisfaction_response,t9301_efficacy,t9301_recalled_nudge,t9301_a9"
    "401,t9301_a9402,t9301_a9403,t9301_activities_total,t9301_activities_answered,t9301_activit"
    "ies_yes,t9301_individual_index,t9301_collective_any,t9301_gives_time,t9303_collective,t930"
    "3_time_now,t9303_time_more,t9303_conditions,t9303_satisfaction_information,t9303_satisfact"
    "ion_consultation,t9303_satisfaction_response,t9303_efficacy,t9303_recalled_nudge,t9303_a94"
    "09,t9303_activities_total,t9303_activities_answered,t9303_activities_yes,t9303_individual_"
    "index,t9303_collective_any,t9303_gives_time\r\n"
    "9859026502f61359d001e2c22ca55de5,9101,9201,1,2,1,1,2026-05-31T23:59:59Z,2026-06-01T07:30:1"
    "5Z,1930,,1,4,5,Central,3,4,,3,9,3,,3,2,0,1,0,,,5,3,1,0.3333333333333333,0,1,2,3,4,2,9,3,,2"
    ",1,1,0,1,3,3,2,0.6666666666666666,1,1,1,1,2,,9,3,,4,3,1,1,1,1,1.0,1,0\r\n"
    "fd947568781844eff62345f295cecf15,9101,9201,3,1,3,1,2026-06-02T23:59:59Z,,,7,2,,1,'+44 1234"
    ",,,,,,,,,,,,,,,,,,,,,1,1,2,,4,5,,4,3,1,1,0,3,3,2,0.6666666666666666,1,0,,,4,1,4,5,,1,5,0,1"
    ",1,0,0.0,,\r\n"
    "f491bf8045195f35ac98d691b09fc193,9101,9201,4,2,1,1,2026-06-03T23:59:59Z,2026-06-01T10:51:1"
    "5Z,1939,8,3,2,3,'-5,,,4,1,,1,,9,5,0,,,1,1,5,3,2,0.6666666666666666,,,,,,,,,,,,,,,,,,,,,1,4"
    ",,,,1,,9,,,1,0,0,,1,1\r\n"
    "8a48ae990f1674004ab3c07717c6fd0c,9101,9201,1,1,2,1,2026-06-05T23:59:59Z,,1945,,1,5,4,'\tTa"
    "bbed,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "ff862561c225f7ee3c9e24a1d38eaac1,9101,9201,3,2,1,2,2026-06-07T23:59:59Z,2026-06-01T15:19:1"
    '5Z,,7,,4,5,"Llanfair, Pwllgwyngyll ŵŷ 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073'
    '\U000e007f",1,3,4,,,5,,5,3,0,1,0,,,5,3,1,0.3333333333333333,1,1,,,,,,,,,,,,,,,,,,,,4,,1,,5'
    ",,1,4,1,1,1,1,1.0,,1\r\n"
    '142d21a234e726299224929defae322e,9101,9201,4,1,1,1,2026-06-08T23:59:59Z,,1954,8,2,1,,"Line'
    ' one\nline ""two"", three",,4,,1,9,1,,1,4,,,1,1,0,5,3,2,0.6666666666666666,,1,1,3,4,,9,1,,'
    "5,3,0,,,3,1,0,,1,1,3,,2,2,9,1,,2,5,,1,0,0,,0,\r\n"
    "7e243603dc3498ee7239c376a0737cce,9101,9201,1,2,3,2,2026-06-10T23:59:59Z,2026-06-01T18:40:1"
    '5Z,1960,,4,2,3,"\'\rReturn",,,,,,,,,,,,,,,,,,,,,3,,2,2,2,3,,2,5,1,0,,3,2,1,0.5,0,,2,3,4,4,'
    "2,3,,4,1,,1,0,0,,1,1\r\n"
    "d158ee06cd57f87e57696cf511a2b52f,9101,9201,3,2,1,1,2026-06-12T23:59:59Z,2026-06-01T20:54:1"
    "5Z,,7,1,5,4,Central,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
    "06e987825634831306d9cb7c72fc0acb,9101,9201,4,2,2,2,2026-06-13T23:59:59Z,2026-06-01T22:01:1"
    '5Z,1969,8,,6,6,"\'=HYPERLINK(""http://x"")",,1,2,,5,1,,1,3,,1,1,0,1,5,4,3,0.75,,0,3,4,,5,5'
    ",1,,5,2,,,1,3,1,1,,0,1,,,,,,,,,,,,,,,,\r\n"
    "a8dffc1bf069432cf645fcf77e214bac,9101,9201,1,2,1,1,2026-06-15T23:59:59Z,2026-06-02T00:15:1"
    "5Z,1975,,3,1,,'-5,3,,4,3,,3,,9,5,,,1,1,0,5,3,2,0.6666666666666666,0,,,,,,,,,,,,,,,,,,,,1,4"
    ",,,,3,,9,,,1,0,0,,1,1\r\n"
    "71c658484410d253a9a1e5e7d0c3b177,9101,9201,3,1,2,1,2026-06-17T23:59:59Z,,,7,1,2,3,'\tTabbe"
    "d,2,1,2,5,4,5,,5,1,0,,,1,1,5,3,2,0.6666666666666666,1,0,1,4,,,4,5,,4,,1,0,,3,2,1,0.5,1,1,,"
    ",,,,,,,,,,,,,,\r\n"
    "36896f518d1e826cb787ad97bef21568,9101,9201,4,2,3,1,2026-06-18T23:59:59Z,2026-06-02T03:36:1"
    "5Z,1984,8,1,3,2,,,,,,,,,,,,,,,,,,,,,,2,1,2,5,5,1,,5,1,,1,1,3,2,2,1.0,1,0,1,3,4,,5,1,,2,3,1"
    ",1,1,1,1.0,1,1\r\n"
)

DIGESTS = {
    ("all", "dta"): "3e53ead901df7d6385abd8dde9508edbad5dd8ff209741bd6562819c53438378",
    ("all", "dta-cy"): "42a6a59d73446a9636aed0df68dd0699d687f6b0cd2a77ae138345eb59666f07",
    ("all", "sav"): "2f231f05b358e8fb3c9c103ee761aa928340846d672b02f6bc2a947dd93f6354",
    ("a1", "dta"): "9a3123a800a72141538593c35035e178ed04de650ac80b0134417d75098fa7a7",
    ("a1", "dta-cy"): "46f52a8d223b822cc27def258c2cbe61509806ee7b0b676d2402737dbfe424b0",
    ("a1", "sav"): "d5ccdb71aaf3281da08fa4e7f6208a6ac709d2f8246e7152d7e071c0caedfb6f",
}


@pytest.fixture
def scope(db, settings):
    settings.PSEUDONYM_KEY = KEY
    return build_scope()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PINNED_CSV = {
    (ExportFormat.CSV_TIDY, "all"): TIDY_ALL,
    (ExportFormat.CSV_TIDY, "a1"): TIDY_A1,
    (ExportFormat.CSV_WIDE, "all"): WIDE_ALL,
    (ExportFormat.CSV_WIDE, "a1"): WIDE_A1,
}


@pytest.mark.parametrize(("format", "waves"), list(PINNED_CSV))
def test_csv_exports_are_byte_identical_to_the_pinned_files(scope, format, waves):
    wave_ids = scope if waves == "all" else [9201]
    expected = PINNED_CSV[(format, waves)]

    data = export_bytes(wave_ids, format)

    # Compared line by line first, so that a failure names the row that changed.
    assert data.decode("utf-8").split("\r\n") == expected.split("\r\n")
    assert data == expected.encode("utf-8")


@pytest.mark.parametrize("waves", ["all", "a1"])
def test_stata_and_spss_files_are_byte_identical_to_the_pinned_files(scope, waves):
    wave_ids = scope if waves == "all" else [9201]

    stata = export_bytes(wave_ids, ExportFormat.STATA)
    stata_cy = export_bytes(wave_ids, ExportFormat.STATA, labels="cy")
    # An SPSS header records when the file was written.
    with time_machine.travel(datetime(2026, 7, 2, 9, 15, tzinfo=UTC), tick=False):
        spss = export_bytes(wave_ids, ExportFormat.SPSS)

    assert sha256(stata) == DIGESTS[(waves, "dta")]
    assert sha256(stata_cy) == DIGESTS[(waves, "dta-cy")]
    assert sha256(spss) == DIGESTS[(waves, "sav")]


def test_an_export_stopped_mid_stream_leaves_the_connection_usable(scope, monkeypatch, tmp_path):
    # Given rows read in chunks of one, and a later response holding an unknown code
    monkeypatch.setattr(readers, "CHUNK_SIZE", 1)
    Response.objects.filter(pk=9718).update(gender="female")

    # When the tidy export fails part way, and another one is abandoned after its first chunk
    with pytest.raises(cells.ExportError, match=r"gender.*'female'"):
        jobs.write_export(tmp_path / "x.csv", wave_ids=scope, format=ExportFormat.CSV_TIDY)
    variables = tidy_variables(export_scope.load_scope(scope))
    rows = readers.tidy_csv_rows(export_scope.load_scope(scope), scope, variables)
    assert len(next(rows)) == 1
    rows.close()

    # Then the connection answers the next query
    assert Response.objects.filter(wave_id__in=scope).count() == 21


@pytest.mark.parametrize("format", [ExportFormat.CSV_TIDY, ExportFormat.CSV_WIDE])
def test_a_wave_without_responses_gives_the_header_alone(db, format):
    wave = WaveFactory(status=WaveStatus.CLOSED, title="Empty")
    WaveThemeFactory(wave=wave)

    fast = export_bytes([wave.pk], format)

    assert fast.startswith("\ufeffpseudonym,council,wave,".encode())
    assert fast.count(b"\r\n") == 1
