"""Paper questionnaires and telephone scripts, allocated when they are printed.

A paper respondent reads the nudges printed on their copy, so their arm is fixed the
moment the copy is printed, not when their answers come back. Printing therefore
allocates each member exactly as their first online opening would
(`experiments.assignment.assign_member`: same scheme, same strata, same allocation log),
keeps the arm of a member already allocated, and records a `PaperCopy` with the arm and
the nudge versions printed. The import of the answers (`experiments.response_imports`)
checks the arm keyed from the copy against this record and records the printed nudge
versions as the response's exposures, as the online theme page does when it shows them.

The copy names the arm only by its code in the export (1 = A and B, 2 = A only, 3 = B
only, 4 = none), shown as a "version", so that whoever keys the answers can fill the
`arm` column without the respondent being told about the experiment.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from experiments.assignment import assign_member
from experiments.models import (
    Arm,
    Assignment,
    Invitation,
    NudgeText,
    PaperCopy,
    PaperCopyKind,
    Response,
    ResponseMode,
    Wave,
    WaveStatus,
)
from experiments.policy import Right, staff_action
from experiments.questionnaires import ThemePage, theme_pages
from experiments.randomised_elsewhere import is_randomised_elsewhere
from experiments.responses import current_nudge_texts
from panel.models import MemberStatus, PanelMember
from surveyplatform.domain import InvalidInput, InvalidState

MAX_EXTERNAL_IDS = 5000


class PrintRefused(InvalidState):
    """Nothing was printed or allocated; the message says why."""


@dataclass(frozen=True)
class PrintedCopy:
    """One member's copy: who it is for, the version code, and the pages in their language."""

    external_id: str
    language: str
    version: int
    pages: list[ThemePage]


def version_code(arm: str) -> int:
    """Return the arm's code in the export's `arm` column, printed as the copy's version."""
    # The codebook numbers text choices from 1 in their order (analysis.codebook).
    return list(Arm.values).index(arm) + 1


def parse_external_ids(text: str) -> list[str]:
    """Split pasted or uploaded ids on lines, commas, semicolons and tabs; keep first order."""
    seen: dict[str, None] = {}
    for line in text.replace("\r", "\n").splitlines():
        for cell in line.replace(",", "\t").replace(";", "\t").split("\t"):
            cell = cell.strip().strip('"').strip()
            if cell and cell.lower() != "external_id":
                seen.setdefault(cell, None)
    return list(seen)


def members_to_print(wave: Wave, *, external_ids: list[str] | None) -> list[PanelMember]:
    """Return the members named, or every invited active member without an online response.

    Named members must be active members of the wave's council who have not answered it
    online (their online answers stand and a paper return could not be imported); every
    problem is reported at once, and nothing is printed while any remains.
    """
    online = Response.objects.filter(wave=wave, mode=ResponseMode.WEB).values("member_id")
    if external_ids is None:
        invited = Invitation.objects.filter(wave=wave).values("member_id")
        return list(
            PanelMember.objects.filter(
                council_id=wave.council_id,
                status=MemberStatus.ACTIVE,
                erased_at__isnull=True,
                pk__in=invited,
            )
            .exclude(pk__in=Response.objects.filter(wave=wave).values("member_id"))
            .order_by("external_id")
        )
    if not external_ids:
        raise PrintRefused(_("Enter at least one external id."))
    if len(external_ids) > MAX_EXTERNAL_IDS:
        raise PrintRefused(
            _("At most %(limit)d members can be printed at once; %(count)d were given.")
            % {"limit": MAX_EXTERNAL_IDS, "count": len(external_ids)}
        )
    found = {
        m.external_id: m
        for m in PanelMember.objects.filter(
            council_id=wave.council_id, external_id__in=external_ids, erased_at__isnull=True
        )
    }
    answered = set(online.values_list("member_id", flat=True))
    problems = []
    for external_id in external_ids:
        member = found.get(external_id)
        if member is None:
            problems.append(
                _("No member of this council's panel has the external id “%(id)s”.")
                % {"id": external_id}
            )
        elif member.status != MemberStatus.ACTIVE:
            problems.append(
                _("The member “%(id)s” is not active on the panel.") % {"id": external_id}
            )
        elif member.pk in answered:
            problems.append(
                _("The member “%(id)s” has already answered this wave online.")
                % {"id": external_id}
            )
    if problems:
        raise PrintRefused(" ".join(problems))
    return [found[external_id] for external_id in external_ids]


def print_copies(wave: Wave, *, members: list[PanelMember], kind: str) -> list[PrintedCopy]:
    """Allocate each member by the wave's design (once) and record the copy printed for them.

    The wave is locked for the whole printing, so it cannot close half-way through and
    every member of one printing is allocated under the same open design.
    """
    if kind not in PaperCopyKind.values:
        raise InvalidInput(_("Unknown kind of copy %(kind)s.") % {"kind": kind})
    with transaction.atomic():
        locked = Wave.objects.select_for_update().get(pk=wave.pk)
        if locked.status != WaveStatus.OPEN:
            raise PrintRefused(
                _("Paper questionnaires can only be printed while the wave is open.")
            )
        if is_randomised_elsewhere(locked):
            raise PrintRefused(
                _(
                    "This wave was randomised elsewhere: its answers and groups are imported "
                    "from a file, and the platform prints no copies for it."
                )
            )
        if not members:
            raise PrintRefused(_("There is nobody to print for."))
        texts_of: dict[str, dict[int, list[NudgeText]]] = {}
        pages_of: dict[tuple[str, str], list[ThemePage]] = {}
        copies: list[PrintedCopy] = []
        records: list[PaperCopy] = []
        allocated = dict(
            Assignment.objects.filter(wave=locked, member__in=members).values_list(
                "member_id", "arm"
            )
        )
        for member in members:
            arm = allocated.get(member.pk) or assign_member(locked, member=member).arm
            language = member.preferred_language
            if arm not in texts_of:
                texts_of[arm] = current_nudge_texts(locked.pk, Arm(arm).nudges)
            if (arm, language) not in pages_of:
                pages_of[(arm, language)] = theme_pages(
                    locked, language=language, nudge_texts=texts_of[arm]
                )
            records.append(
                PaperCopy(wave=locked, member=member, kind=kind, arm=arm, language=language)
            )
            copies.append(
                PrintedCopy(
                    external_id=member.external_id,
                    language=language,
                    version=version_code(arm),
                    pages=pages_of[(arm, language)],
                )
            )
        PaperCopy.objects.bulk_create(records, batch_size=2000)
        PaperCopy.nudge_texts.through.objects.bulk_create(
            [
                PaperCopy.nudge_texts.through(papercopy_id=record.pk, nudgetext_id=text.pk)
                for record in records
                for texts in texts_of[record.arm].values()
                for text in texts
            ],
            batch_size=2000,
        )
    return copies


def printed_nudge_texts(wave: Wave, member_ids: list[int]) -> dict[int, list[int]]:
    """Return, per member, the nudge text ids of the latest copy printed for them."""
    latest: dict[int, int] = {}
    for pk, member_id in (
        PaperCopy.objects.filter(wave=wave, member_id__in=member_ids)
        .order_by("printed_at", "pk")
        .values_list("pk", "member_id")
    ):
        latest[member_id] = pk
    texts: dict[int, list[int]] = {member_id: [] for member_id in latest}
    by_copy = {pk: member_id for member_id, pk in latest.items()}
    for copy_id, text_id in PaperCopy.nudge_texts.through.objects.filter(
        papercopy_id__in=by_copy
    ).values_list("papercopy_id", "nudgetext_id"):
        texts[by_copy[copy_id]].append(text_id)
    return texts


def print_paper_copies(
    actor, wave: Wave, *, external_ids: list[str] | None, kind: str
) -> list[PrintedCopy]:
    """Choose the members (named, or every invited one without an answer) and print them.

    Allocation happens here, as a first online opening would, so it is a fieldwork action
    of the wave's council; the copies are returned for the front end to lay out.
    """
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="print_paper") as note:
        members = members_to_print(wave, external_ids=external_ids)
        copies = print_copies(wave, members=members, kind=kind)
        note.target = wave
        note.summary = f"{len(copies)} {kind} copies printed; members allocated as needed"
        note.details = {"kind": kind, "count": len(copies)}
    return copies
