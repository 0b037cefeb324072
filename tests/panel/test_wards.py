"""The wards a member may choose on the about-you page, read without scanning the panel.

The about-you and check pages ask for the council's wards on every visit; with tens of
thousands of members a DISTINCT over the council's members cost Postgres more than the
rest of the page. The read skips from ward to ward along an index instead.
"""

import pytest
from django.db import connection

from panel.wards import council_wards, wards_sql
from tests.factories import CouncilFactory, PanelMemberFactory

pytestmark = pytest.mark.django_db


def test_each_ward_of_the_council_once_in_order_without_blanks_or_other_councils():
    council, other = CouncilFactory(), CouncilFactory()
    for ward in ["Riverside", "Central", "", "Central", "Abbey", "Riverside"]:
        PanelMemberFactory(council=council, ward=ward)
    PanelMemberFactory(council=other, ward="Elsewhere")

    assert council_wards(council.pk) == ["Abbey", "Central", "Riverside"]
    assert council_wards(other.pk) == ["Elsewhere"]
    assert council_wards(CouncilFactory().pk) == []


def test_the_read_uses_the_council_and_ward_index_rather_than_scanning_members():
    council = CouncilFactory()
    PanelMemberFactory.create_batch(30, council=council, ward="Central")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + wards_sql(), [council.pk, council.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "panel_member_council_ward" in plan
    assert "Seq Scan" not in plan
