"""Everything a questionnaire page needs about the member, read in one statement.

Every page starts from the invitation in the session: its wave and council, the member,
their response and arm, how far each theme is answered and the digest of the pages' content.
Through the ORM that was three queries whose compiling cost more CPU than Postgres spent
running them, on every page of every member. On Postgres it is one statement here,
written once per process, whose row becomes model instances directly; elsewhere (the
embedded demo database) the ORM reads the same.
"""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Model, OuterRef, Subquery

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
from experiments.responses import CODED_COLUMNS, postgres_statements
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
    # (`responses.theme_progress`); None where the database cannot tell in the same
    # statement (then read when needed).
    theme_progress: dict[int, int] | None
    # The digest of the pages' content; None where there is none (no caching of pages).
    pages_stamp: str | None


def _columns(model: type[Model], alias: str, *, leave_out=()) -> tuple[list[str], list[str]]:
    fields = [f for f in model._meta.concrete_fields if f.name not in leave_out]
    return [f.attname for f in fields], [f'{alias}."{f.column}"' for f in fields]


@cache
def _statement() -> tuple[str, list[tuple[type[Model], list[str]]]]:
    """Return the statement and, per model, the attribute names its columns fill, in order."""
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
    stamp = (questionnaire_stamp_sql() or "SELECT ''").replace("%(w)s", "sit_wave.id")
    sql = f"""
        SELECT {", ".join(select)},
               sit_assign.arm,
               ARRAY(SELECT ARRAY[ta.theme_id,
                                  num_nonnulls({", ".join(f"ta.{c}" for c in CODED_COLUMNS)})
                                  + (ta.recalled_nudge <> '')::int
                                  + (SELECT count(*) FROM {ActivityAnswer._meta.db_table} aa
                                      WHERE aa.theme_answer_id = ta.id
                                        AND aa.done IS NOT NULL)]
                      FROM {ThemeAnswer._meta.db_table} ta
                      WHERE ta.response_id = sit_resp.id),
               ({stamp})
          FROM {Invitation._meta.db_table} sit_inv
          JOIN {Wave._meta.db_table} sit_wave ON sit_wave.id = sit_inv.wave_id
          JOIN {Council._meta.db_table} sit_council ON sit_council.id = sit_wave.council_id
          JOIN {PanelMember._meta.db_table} sit_member ON sit_member.id = sit_inv.member_id
          LEFT JOIN {Response._meta.db_table} sit_resp
                 ON sit_resp.wave_id = sit_inv.wave_id AND sit_resp.member_id = sit_inv.member_id
          LEFT JOIN {Assignment._meta.db_table} sit_assign
                 ON sit_assign.wave_id = sit_inv.wave_id
                AND sit_assign.member_id = sit_inv.member_id
         WHERE sit_inv.id = %s
    """
    return sql, layout


def _load_on_postgres(invitation_id: int) -> SittingRow | None:
    sql, layout = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [invitation_id])
        row = cursor.fetchone()
    if row is None:
        return None
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


def _load_with_orm(invitation_id: int) -> SittingRow | None:
    invitation = (
        Invitation.objects.select_related("wave__council", "member")
        .defer(*(f"wave__{name}" for name in WAVE_DEFERRED))
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return None
    response = (
        Response.objects.filter(wave_id=invitation.wave_id, member_id=invitation.member_id)
        .annotate(
            assigned_arm=Subquery(
                Assignment.objects.filter(
                    wave_id=OuterRef("wave_id"), member_id=OuterRef("member_id")
                ).values("arm")[:1]
            )
        )
        .first()
    )
    arm = response.assigned_arm if response is not None else None
    return SittingRow(invitation, response, arm, None, None)


def load_sitting(invitation_id: int | None) -> SittingRow | None:
    """Return the invitation's sitting, or None when there is no such invitation."""
    if invitation_id is None:
        return None
    if postgres_statements():
        return _load_on_postgres(invitation_id)
    return _load_with_orm(invitation_id)
