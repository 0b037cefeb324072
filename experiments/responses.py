"""Starting and recording a member's response to a wave.

The writes of the questionnaire's pages are one Postgres statement each, written here once
per process with every table and column name taken from the models, so that a renamed
field changes the statement with it. There is no other path: every environment, `make run`
included, runs on Postgres.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import connection, transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from experiments.assignment import assign_member
from experiments.models import (
    Activity,
    ActivityAnswer,
    Assignment,
    Exposure,
    Invitation,
    NudgeText,
    PageVisit,
    Response,
    ResponseStatus,
    ThemeAnswer,
    Wave,
    WaveStatus,
    WaveTheme,
)


def column(model: type[Model], name: str) -> str:
    """Return the quoted database column of a model's field, for hand-written statements."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class AnswersNotAccepted(Exception):
    """The wave is not open, or the response is already complete: nothing was stored."""


@dataclass(frozen=True)
class ThemeAnswers:
    """The answers of one theme page, or of one part of it.

    An item the wave does not ask is None. `saved` names the items this page holds (None:
    every item): a theme asked over several shorter pages saves each on its own, and an
    item of another part is left as stored.
    """

    theme_id: int
    activities: dict[int, bool]
    collective: int | None = None
    efficacy: int | None = None
    saved: tuple[str, ...] | None = None
    time_now: int | None = None
    time_more: int | None = None
    conditions: int | None = None
    satisfaction_information: int | None = None
    satisfaction_consultation: int | None = None
    satisfaction_response: int | None = None
    recalled_nudge: str = ""


@dataclass(frozen=True)
class AboutYou:
    birth_year: int | None
    age_band: str
    gender: str
    ethnic_group: str
    qualification: str
    ward: str


def begin_response(invitation: Invitation, *, language: str) -> tuple[Response, Assignment]:
    """Assign the member (once) and open their response, both committed before returning.

    The caller renders nudges only after this returns, so the arm is always on disk
    before anyone sees what it implies.
    """
    assignment = assign_member(invitation.wave, member=invitation.member)
    # get_or_create reads first, and on a concurrent insert catches the IntegrityError
    # in its own savepoint and reads the row the other request wrote.
    response, _ = Response.objects.get_or_create(
        wave=invitation.wave, member=invitation.member, defaults={"language": language}
    )
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


# What saving answers reads of the locked response (the rest stays unread).
LOCKED_FIELDS = ("id", "wave_id", "status", "language", "consented_at", "about_saved_at")


def _lock_response(response_id: int) -> tuple[Response, bool]:
    """Lock the response for writing; return it and whether its wave is open.

    The wave's row is share-locked with it: closing the wave waits for answers being
    saved, and answers sent after the close see it closed, while members' answers do not
    queue behind one another for the wave's row. Only the few columns saving needs are
    read: the wave's row holds its whole frozen design.
    """
    with connection.cursor() as cursor:
        cursor.execute(_lock_response_sql(), [response_id])
        row = cursor.fetchone()
    if row is None:
        raise Response.DoesNotExist(response_id)
    response = Response.from_db(connection.alias, LOCKED_FIELDS, row[:-1])
    return response, row[-1] == WaveStatus.OPEN


@cache
def _lock_response_sql() -> str:
    columns = ", ".join(f"r.{column(Response, name)}" for name in LOCKED_FIELDS)
    return (
        f"SELECT {columns}, w.{column(Wave, 'status')} FROM {table(Response)} r "
        f"JOIN {table(Wave)} w ON w.{column(Wave, 'id')} = r.{column(Response, 'wave')} "
        f"WHERE r.{column(Response, 'id')} = %s FOR UPDATE OF r FOR SHARE OF w"
    )


def _lock_for_answers(response_id: int) -> Response:
    """Lock the response for writing, refusing once it is complete or its wave is not open."""
    response, wave_open = _lock_response(response_id)
    if response.status == ResponseStatus.COMPLETE or not wave_open:
        raise AnswersNotAccepted
    return response


def record_consent(response_id: int) -> Response:
    """Note that the member agreed to take part (once; a repeat keeps the first time)."""
    with transaction.atomic(savepoint=False):
        response = _lock_for_answers(response_id)
        if response.consented_at is None:
            response.consented_at = timezone.now()
            response.save(update_fields=["consented_at", "updated_at"])
    return response


THEME_ANSWER_FIELDS = [
    "collective",
    "time_now",
    "time_more",
    "conditions",
    "satisfaction_information",
    "satisfaction_consultation",
    "satisfaction_response",
    "efficacy",
    "recalled_nudge",
    "saved_at",
]


def save_theme_answers(response_id: int, *, answers: ThemeAnswers, language: str) -> None:
    """Store (or replace) the answers of one theme page; the response stays partial.

    Saving the same page twice, from a double click or the back button, updates the one
    row per theme instead of adding another.
    """
    with transaction.atomic(savepoint=False):
        _lock_for_answers(response_id)
        _upsert_theme_answers(response_id, answers=answers, language=language)


def _updated_fields(answers: ThemeAnswers) -> tuple[str, ...]:
    """Return the columns a save replaces: the page's items and the time it was saved."""
    if answers.saved is None:
        return tuple(THEME_ANSWER_FIELDS)
    return (*(f for f in THEME_ANSWER_FIELDS if f in answers.saved), "saved_at")


def _theme_answer_values(answers: ThemeAnswers) -> dict:
    return {
        "theme_id": answers.theme_id,
        "collective": answers.collective,
        "time_now": answers.time_now,
        "time_more": answers.time_more,
        "conditions": answers.conditions,
        "satisfaction_information": answers.satisfaction_information,
        "satisfaction_consultation": answers.satisfaction_consultation,
        "satisfaction_response": answers.satisfaction_response,
        "efficacy": answers.efficacy,
        "recalled_nudge": answers.recalled_nudge,
    }


@cache
def _theme_answers_upsert_sql(updated_fields: tuple[str, ...]) -> str:
    theme_answer, activity_answer = table(ThemeAnswer), table(ActivityAnswer)
    fields = [column(ThemeAnswer, name) for name in THEME_ANSWER_FIELDS]
    keys = [column(ThemeAnswer, "response"), column(ThemeAnswer, "theme")]
    params = ["response_id", "theme_id", *THEME_ANSWER_FIELDS]
    updated = ", ".join(
        f"{c} = EXCLUDED.{c}" for c in (column(ThemeAnswer, name) for name in updated_fields)
    )
    answer_id = column(ThemeAnswer, "id")
    parent, activity, done = (
        column(ActivityAnswer, name) for name in ("theme_answer", "activity", "done")
    )
    return f"""
        WITH theme_answer AS (
          INSERT INTO {theme_answer} ({", ".join([*keys, *fields])})
          VALUES ({", ".join(f"%({name})s" for name in params)})
          ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {updated}
          RETURNING {answer_id}
        ), activities AS (
          INSERT INTO {activity_answer} ({parent}, {activity}, {done})
          SELECT theme_answer.{answer_id}, given.activity_id, given.done
            FROM theme_answer,
                 unnest(%(activity_ids)s::bigint[], %(done)s::boolean[])
                   AS given (activity_id, done)
          ON CONFLICT ({parent}, {activity}) DO UPDATE SET {done} = EXCLUDED.{done}
        )
        UPDATE {table(Response)}
           SET {column(Response, "language")} = %(language)s,
               {column(Response, "updated_at")} = %(saved_at)s
         WHERE {column(Response, "id")} = %(response_id)s
    """


def _upsert_theme_answers(response_id: int, *, answers: ThemeAnswers, language: str) -> None:
    """The theme's row, its activities and the response's language in one statement.

    The unique constraints make a resent page replace, never add: a double click or the
    back button updates the one row per theme instead of adding another.
    """
    values = _theme_answer_values(answers)
    values.update(
        response_id=response_id,
        saved_at=timezone.now(),
        activity_ids=list(answers.activities),
        done=list(answers.activities.values()),
        language=language,
    )
    with connection.cursor() as cursor:
        cursor.execute(_theme_answers_upsert_sql(_updated_fields(answers)), values)


def save_about_you(response_id: int, *, about: AboutYou, language: str) -> Response:
    """Store the once-per-questionnaire questions about the member; still partial."""
    with transaction.atomic(savepoint=False):
        response = _lock_for_answers(response_id)
        response.birth_year = about.birth_year
        response.age_band = about.age_band
        response.gender = about.gender
        response.ethnic_group = about.ethnic_group
        response.qualification = about.qualification
        response.ward = about.ward
        response.language = language
        response.about_saved_at = timezone.now()
        response.save(
            update_fields=[
                "birth_year",
                "age_band",
                "gender",
                "ethnic_group",
                "qualification",
                "ward",
                "language",
                "about_saved_at",
                "updated_at",
            ]
        )
    return response


# The coded columns of a theme's answers that count as answered questions when not null.
CODED_COLUMNS = tuple(f for f in THEME_ANSWER_FIELDS if f not in ("recalled_nudge", "saved_at"))


def theme_progress(response_id: int) -> dict[int, int]:
    """Return, per theme with stored answers, how many of its questions are answered.

    A theme asked over several pages is saved part by part, in order, so the count says
    which parts are done; it is complete when the count reaches its number of questions.
    """
    rows = ThemeAnswer.objects.filter(response_id=response_id).annotate(
        activities_answered=Count(
            "activity_answers", filter=Q(activity_answers__done__isnull=False)
        )
    )
    return {
        row.theme_id: row.activities_answered
        + sum(getattr(row, column) is not None for column in CODED_COLUMNS)
        + (row.recalled_nudge != "")
        for row in rows
    }


@cache
def _stored_answers_sql(one_theme: bool) -> str:
    coded = ", ".join(f"ta.{column(ThemeAnswer, name)}" for name in CODED_COLUMNS)
    answer_id = column(ThemeAnswer, "id")
    done = column(ActivityAnswer, "done")
    return f"""
        SELECT ta.{column(ThemeAnswer, "theme")}, {coded},
               ta.{column(ThemeAnswer, "recalled_nudge")},
               ARRAY(SELECT ARRAY[aa.{column(ActivityAnswer, "activity")}, aa.{done}::int]
                       FROM {table(ActivityAnswer)} aa
                      WHERE aa.{column(ActivityAnswer, "theme_answer")} = ta.{answer_id}
                        AND aa.{done} IS NOT NULL)
          FROM {table(ThemeAnswer)} ta
         WHERE ta.{column(ThemeAnswer, "response")} = %s
         {f"AND ta.{column(ThemeAnswer, 'theme')} = %s" if one_theme else ""}
    """


def stored_page_answers(response_id: int, *, theme_id: int | None = None) -> dict[int, dict]:
    """Return, per theme (or for one), its stored answers as its page's fields show them.

    One statement for the check page and for a page the member goes back to, which read
    them on every visit: an activity's answer is "yes" or "no", an item's its code.
    """
    params = [response_id] if theme_id is None else [response_id, theme_id]
    with connection.cursor() as cursor:
        cursor.execute(_stored_answers_sql(theme_id is not None), params)
        rows = cursor.fetchall()
    answers = {}
    for row in rows:
        theme, coded, recalled, activities = row[0], row[1:-2], row[-2], row[-1]
        shown = {
            name: value
            for name, value in zip(CODED_COLUMNS, coded, strict=True)
            if value is not None
        }
        if recalled:
            shown["recalled_nudge"] = recalled
        for activity_id, done in activities:
            shown[f"activity_{activity_id}"] = "yes" if done else "no"
        answers[theme] = shown
    return answers


@cache
def _unanswered_sql() -> str:
    """Per theme of the wave: its activities, and how many of its questions are answered."""
    coded = ", ".join(f"ta.{column(ThemeAnswer, name)}" for name in CODED_COLUMNS)
    answer_id = column(ThemeAnswer, "id")
    theme = column(WaveTheme, "theme")
    return f"""
        SELECT wt.{theme},
               (SELECT count(*) FROM {table(Activity)} act
                 WHERE act.{column(Activity, "theme")} = wt.{theme}),
               (SELECT num_nonnulls({coded})
                       + (ta.{column(ThemeAnswer, "recalled_nudge")} <> '')::int
                       + (SELECT count(*) FROM {table(ActivityAnswer)} aa
                           WHERE aa.{column(ActivityAnswer, "theme_answer")} = ta.{answer_id}
                             AND aa.{column(ActivityAnswer, "done")} IS NOT NULL)
                  FROM {table(ThemeAnswer)} ta
                 WHERE ta.{column(ThemeAnswer, "response")} = %s
                   AND ta.{column(ThemeAnswer, "theme")} = wt.{theme}),
               w.{column(Wave, "time_questions")}, w.{column(Wave, "manipulation_check")}
          FROM {table(WaveTheme)} wt
          JOIN {table(Wave)} w ON w.{column(Wave, "id")} = wt.{column(WaveTheme, "wave")}
         WHERE wt.{column(WaveTheme, "wave")} = %s
    """


def unanswered_theme_ids(response: Response) -> set[int]:
    """Return the wave's themes with a question still unanswered in the response.

    One statement: it runs under the response's lock on every submission.
    """
    with connection.cursor() as cursor:
        cursor.execute(_unanswered_sql(), [response.pk, response.wave_id])
        rows = cursor.fetchall()
    unanswered = set()
    for theme_id, activities, answered, time_questions, manipulation_check in rows:
        # Every theme asks its activities, six rated items, the time items the wave asks
        # and, if the wave checks it, what the information box said.
        wave = Wave(time_questions=time_questions, manipulation_check=manipulation_check)
        rated = 6 + wave.asks_time_now + wave.asks_time_more + manipulation_check
        if (answered or 0) < activities + rated:
            unanswered.add(theme_id)
    return unanswered


@cache
def _page_visit_sql() -> dict[str, str]:
    visits, exposures = table(PageVisit), table(Exposure)
    response, page, shown, sent, visit_id = (
        column(PageVisit, name) for name in ("response", "page", "shown_at", "submitted_at", "id")
    )
    exposed = ", ".join(column(Exposure, name) for name in ("response", "nudge_text", "shown_at"))
    return {
        "shown": f"INSERT INTO {visits} ({response}, {page}, {shown}) VALUES (%s, %s, %s)",
        "shown_with_exposures": f"""
            WITH shown AS (
              INSERT INTO {exposures} ({exposed})
              SELECT %s, text_id, %s FROM unnest(%s::bigint[]) AS text_id
            )
            INSERT INTO {visits} ({response}, {page}, {shown}) VALUES (%s, %s, %s)
        """,
        "submitted": f"""
            WITH stamped AS (
              UPDATE {visits} SET {sent} = %(now)s
               WHERE {visit_id} = (SELECT {visit_id} FROM {visits}
                                    WHERE {response} = %(response)s AND {page} = %(page)s
                                      AND {sent} IS NULL
                                    ORDER BY {shown} DESC LIMIT 1)
              RETURNING {visit_id}
            )
            INSERT INTO {visits} ({response}, {page}, {shown}, {sent})
            SELECT %(response)s, %(page)s, %(now)s, %(now)s
             WHERE NOT EXISTS (SELECT 1 FROM stamped)
        """,
    }


def record_page_shown(response: Response, *, page: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_page_visit_sql()["shown"], [response.pk, page, timezone.now()])


def record_page_shown_with_exposures(
    response: Response, *, page: str, nudge_text_ids: list[int]
) -> None:
    """Record a page shown and the nudge text versions on it, in one statement.

    The page visit and every exposure commit together, in one round trip.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _page_visit_sql()["shown_with_exposures"],
            [response.pk, now, list(nudge_text_ids), response.pk, page, now],
        )


def record_page_submitted(response: Response, *, page: str) -> None:
    """Stamp the latest unsent visit of the page; a page sent without a visit gets one."""
    with connection.cursor() as cursor:
        cursor.execute(
            _page_visit_sql()["submitted"],
            {"now": timezone.now(), "response": response.pk, "page": page},
        )


def page_sent(response: Response, *, page: str, save: Callable[[], object]) -> None:
    """Store what a page sent and stamp its visit, committed together or not at all.

    `save` is one of the writes above (consent, a theme's answers, about you, sending);
    whatever it raises (`AnswersNotAccepted`, `IncompleteResponse`) leaves nothing stored.
    """
    with transaction.atomic():
        save()
        record_page_submitted(response, page=page)


def start_page_shown(response: Response, *, page: str, user_agent: str, ip: str) -> None:
    """Record the start page shown and the device it was shown on, in one commit."""
    with transaction.atomic():
        record_page_shown(response, page=page)
        record_device(response, user_agent=user_agent, ip=ip)


def submit_response(response_id: int, *, language: str) -> tuple[Response, bool]:
    """Mark the response complete, exactly once, when every page has been answered.

    Return the response and whether this call completed it: a repeated submission (a
    double click, a resent form) finds it complete under the row lock and changes nothing.
    Raise `IncompleteResponse` naming nothing stored if a page is still unanswered.
    """
    with transaction.atomic(savepoint=False):
        response, wave_open = _lock_response(response_id)
        if response.status == ResponseStatus.COMPLETE:
            return response, False
        if not wave_open:
            raise AnswersNotAccepted
        if (
            response.consented_at is None
            or response.about_saved_at is None
            or unanswered_theme_ids(response)
        ):
            raise IncompleteResponse
        response.status = ResponseStatus.COMPLETE
        response.language = language
        response.submitted_at = timezone.now()
        response.save(update_fields=["status", "language", "submitted_at", "updated_at"])
    return response, True


class IncompleteResponse(Exception):
    """A page of the questionnaire is still unanswered."""


def ip_prefix(ip: str) -> str:
    """Return the network part an address shares with its neighbours (IPv4 /24, IPv6 /48)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def device_fingerprint(*, user_agent: str, ip: str) -> str:
    """Return a salted SHA-256 of the user agent and the IP prefix (never the address itself).

    The salt is derived from SECRET_KEY, so the hash cannot be reversed by trying addresses
    without it, and it means nothing outside this installation.
    """
    import hashlib
    import hmac

    from django.conf import settings

    salt = hashlib.sha256(f"device-fingerprint:{settings.SECRET_KEY}".encode()).digest()
    message = f"{user_agent.strip()}|{ip_prefix(ip)}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


def record_device(response: Response, *, user_agent: str, ip: str) -> None:
    """Store the response's device hash once, at its first page; later pages keep the first."""
    if response.device_hash:
        return
    digest = device_fingerprint(user_agent=user_agent, ip=ip)
    Response.objects.filter(pk=response.pk, device_hash="").update(device_hash=digest)
    response.device_hash = digest
