"""The wards of a council's panel, as members choose from them on the about-you page.

Read on every about-you and check page: a DISTINCT over the council's members reads every
member, so the statement instead skips from each ward to the next along the (council, ward)
index, one index probe per ward however large the panel.
"""

from functools import cache

from django.db import connection

from panel.models import PanelMember


def _column(name: str) -> str:
    return connection.ops.quote_name(PanelMember._meta.get_field(name).column)


@cache
def wards_sql() -> str:
    """The loose index scan; its two parameters are the council's id, twice."""
    table = connection.ops.quote_name(PanelMember._meta.db_table)
    council, ward = _column("council"), _column("ward")
    return f"""
        WITH RECURSIVE wards(ward) AS (
            SELECT min({ward}) FROM {table} WHERE {council} = %s AND {ward} > ''
            UNION ALL
            SELECT (SELECT min(m.{ward}) FROM {table} m
                     WHERE m.{council} = %s AND m.{ward} > wards.ward)
              FROM wards WHERE wards.ward IS NOT NULL
        )
        SELECT ward FROM wards WHERE ward IS NOT NULL
    """


def council_wards(council_id: int) -> list[str]:
    """Return each ward named by the council's members, once, in order."""
    with connection.cursor() as cursor:
        cursor.execute(wards_sql(), [council_id, council_id])
        return [ward for (ward,) in cursor.fetchall()]
