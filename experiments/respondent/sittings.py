"""Everything a questionnaire page needs about the member, read in one statement.

Every page starts from the invitation in the session: its wave and council, the member,
their response and arm, how far each theme is answered and the digest of the pages' content.
Through the ORM that was three queries whose compiling cost more CPU than Postgres spent
running them, on every page of every member. It is one statement here, written once per
process with every table and column name taken from the models, whose row becomes model
instances directly.
"""

from dataclasses import dataclass
from functools import cache

from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from experiments.models import (
    ActivityAnswer,
    Assignment,
    Council,
    Invitation,
    Response,
    ThemeAnswer,
    Wave,
)
from experiments.questionnaires import questionnaire_stamp_sql
from experiments.responses import CODED_COLUMNS, column, table
from panel.models import PanelMember

# The frozen design and the analysis options are large and no respondent page reads them.
WAVE_DEFERRED = ("design", "analysis_plan")


@dataclass
class SittingRow:
    """The invitation (with wave, council and member) and, once opened, the response."""

    invitation: Invitation
    response: Response | None
    arm: str | None
    # Per theme with stored answers, how many of its questions are answered
    # (`responses.theme_progress`); None before the first opening (no response yet).
    theme_progress: dict[int, int] | None
    # The digest of the pages' content (`questionnaires.questionnaire_stamp_sql`).
    pages_stamp: str


def _columns(model: type[Model], alias: str, *, leave_out=()) -> tuple[list[str], list[str]]:
    fields = [f for f in model._meta.concrete_fields if f.name not in leave_out]
    return [f.attname for f in fields], [f"{alias}.{column(model, f.name)}" for f in fields]


@cache
def _statement(with_session: bool = False) -> tuple[str, list[tuple[type[Model], list[str]]]]:
    """Return the statement and, per model, the attribute names its columns fill, in order.

    `with_session` reads the member's session in the same statement (its data last), by its
    key and unexpired, as the session store would: the parameters are then the key, the
    time now and the invitation's id.
    """
    # Aliases the digest's own subqueries do not use (wt, t, a, n, i).
    parts = [
        (Invitation, "sit_inv", ()),
        (Wave, "sit_wave", WAVE_DEFERRED),
        (Council, "sit_council", ()),
        (PanelMember, "sit_member", ()),
        (Response, "sit_resp", ()),
    ]
    layout, select = [], []
    for model, alias, leave_out in parts:
        names, columns = _columns(model, alias, leave_out=leave_out)
        layout.append((model, names))
        select += columns
    stamp = questionnaire_stamp_sql().replace("%(w)s", f"sit_wave.{column(Wave, 'id')}")
    inv_wave, inv_member = column(Invitation, "wave"), column(Invitation, "member")
    answer_id, answer_theme = column(ThemeAnswer, "id"), column(ThemeAnswer, "theme")
    coded = ", ".join(f"ta.{column(ThemeAnswer, name)}" for name in CODED_COLUMNS)
    session_column = session_join = ""
    if with_session:
        session_key, expiry = column(Session, "session_key"), column(Session, "expire_date")
        session_column = f", sit_session.{column(Session, 'session_data')}"
        session_join = (
            f"\n          JOIN {table(Session)} sit_session"
            f" ON sit_session.{session_key} = %s AND sit_session.{expiry} > %s"
        )
    sql = f"""
        SELECT {", ".join(select)},
               sit_assign.{column(Assignment, "arm")},
               ARRAY(SELECT ARRAY[ta.{answer_theme},
                                  num_nonnulls({coded})
                                  + (ta.{column(ThemeAnswer, "recalled_nudge")} <> '')::int
                                  + (SELECT count(*) FROM {table(ActivityAnswer)} aa
                                      WHERE aa.{column(ActivityAnswer, "theme_answer")}
                                            = ta.{answer_id}
                                        AND aa.{column(ActivityAnswer, "done")} IS NOT NULL)]
                      FROM {table(ThemeAnswer)} ta
                      WHERE ta.{column(ThemeAnswer, "response")}
                          = sit_resp.{column(Response, "id")}),
               ({stamp}){session_column}
          FROM {table(Invitation)} sit_inv{session_join}
          JOIN {table(Wave)} sit_wave
            ON sit_wave.{column(Wave, "id")} = sit_inv.{inv_wave}
          JOIN {table(Council)} sit_council
            ON sit_council.{column(Council, "id")} = sit_wave.{column(Wave, "council")}
          JOIN {table(PanelMember)} sit_member
            ON sit_member.{column(PanelMember, "id")} = sit_inv.{inv_member}
          LEFT JOIN {table(Response)} sit_resp
                 ON sit_resp.{column(Response, "wave")} = sit_inv.{inv_wave}
                AND sit_resp.{column(Response, "member")} = sit_inv.{inv_member}
          LEFT JOIN {table(Assignment)} sit_assign
                 ON sit_assign.{column(Assignment, "wave")} = sit_inv.{inv_wave}
                AND sit_assign.{column(Assignment, "member")} = sit_inv.{inv_member}
         WHERE sit_inv.{column(Invitation, "id")} = %s
    """
    return sql, layout


def load_sitting(invitation_id: int | None) -> SittingRow | None:
    """Return the invitation's sitting, or None when there is no such invitation."""
    if invitation_id is None:
        return None
    sql, layout = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [invitation_id])
        row = cursor.fetchone()
    return None if row is None else _sitting(row, layout)


def load_sitting_with_session(
    session_key: str, invitation_id: int
) -> tuple[SittingRow, str] | None:
    """Return the invitation's sitting and the session's data, read by the session's key.

    None when the session is unknown or expired, or there is no such invitation.
    """
    sql, layout = _statement(with_session=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, timezone.now(), invitation_id])
        row = cursor.fetchone()
    return None if row is None else (_sitting(row[:-1], layout), row[-1])


def _sitting(row: tuple, layout) -> SittingRow:
    instances, start = [], 0
    for model, names in layout:
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(model.from_db(connection.alias, names, values))
    invitation, wave, council, member, response = instances
    arm, answered, stamp = row[start:]
    wave.council = council
    invitation.wave = wave
    invitation.member = member
    if response.pk is None:  # no response yet: the LEFT JOIN gave NULLs
        return SittingRow(invitation, None, arm, None, stamp)
    response.wave = wave
    response.member = member
    return SittingRow(invitation, response, arm, {t: int(n) for t, n in answered}, stamp)
