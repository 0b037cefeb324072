"""Who may do what, on which council's objects: the one access rule of the platform.

Every staff action and every staff read goes through this module, whichever front end
asks: the console, the results and export pages, the API, Django admin or a management
command. Three parts:

1. The staff gate (`staff_access`): signed in, active, staff, and verified by a second
   factor when the user enrolled one, or when a council they hold a role in requires it.
2. Rights per role (`ROLE_RIGHTS`): what a council admin and a researcher may do in the
   councils they hold that role in. Superusers hold every right in every council. A user
   holds at most one role per council.
3. Scoping (`councils_with`, `scoped`, `get_scoped`, `require`): an object of a council
   the actor holds no role in is "not found", exactly as a missing one; an object of their
   own council that their role may not touch is "not allowed".

`staff_action` ties a staff action together: it checks the right, owns the transaction and
writes the audit entry when the action succeeds, so that a front end does neither.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from audit.log import record_action
from experiments.models import Council, CouncilMembership, CouncilRole
from surveyplatform.domain import NotAllowed, NotFound


class Right(StrEnum):
    """What an actor may do in a council."""

    READ = "read"  # see the council's themes and waves at all
    DESIGN = "design"  # themes, activities, waves, nudges, wording, experiment settings
    FIELDWORK = "fieldwork"  # open, invite, remind, print, import responses, close, debrief
    PANEL = "panel"  # members and their contact details, panel imports, status, erasure
    MONITOR = "monitor"  # response counts and the (blinded) allocation monitor
    AUDIT = "audit"  # the council's audit log
    RESULTS = "results"  # results pages and reports
    ANALYSE = "analyse"  # analysis runs over several waves
    EXPORT = "export"  # pseudonymised member-level data files
    ROLES = "roles"  # grant and revoke roles (superusers only)


ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    CouncilRole.ADMIN: frozenset(
        {
            Right.READ,
            Right.DESIGN,
            Right.FIELDWORK,
            Right.PANEL,
            Right.MONITOR,
            Right.AUDIT,
            Right.RESULTS,
            Right.ANALYSE,
        }
    ),
    # Researchers read results and member-level data, by pseudonym only: never contact
    # details, never the panel, never a change to the survey.
    CouncilRole.RESEARCHER: frozenset(
        {Right.READ, Right.MONITOR, Right.RESULTS, Right.ANALYSE, Right.EXPORT}
    ),
}


def roles_with(right: Right) -> list[str]:
    return [role for role, rights in ROLE_RIGHTS.items() if right in rights]


# --- Actors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemActor:
    """The platform itself: scheduled tasks and management commands run by an operator."""

    name: str = "system"
    is_authenticated: bool = False
    is_active: bool = True
    is_superuser: bool = True
    is_staff: bool = True
    pk: None = field(default=None)

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def _is_user(actor) -> bool:
    return bool(
        actor is not None
        and not is_system(actor)
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
    )


# --- The staff gate -----------------------------------------------------------------------


class Access(StrEnum):
    """What the staff gate says about a request's user."""

    ALLOWED = "allowed"
    SIGN_IN = "sign_in"  # not signed in
    VERIFY = "verify"  # signed in with the password only; enter the current code
    ENROL = "enrol"  # a council of theirs requires a second factor; set one up
    REFUSED = "refused"  # not an active staff account


def has_second_factor(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def second_factor_required(user) -> bool:
    """Return whether a council the user holds a role in requires a second factor."""
    return CouncilMembership.objects.filter(
        user=user, council__second_factor_required=True
    ).exists()


def staff_access(user, *, verified: bool | None = None) -> Access:
    """Decide whether a user may use the staff site, the staff API session or Django admin.

    `verified` is whether this session passed the second factor (django-otp's
    `user.is_verified()`, the default). API tokens are a separate credential and do not
    pass through here.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Access.SIGN_IN
    if not (user.is_active and user.is_staff):
        return Access.REFUSED
    if verified is None:
        is_verified = getattr(user, "is_verified", None)
        verified = bool(is_verified()) if callable(is_verified) else False
    if has_second_factor(user):
        return Access.ALLOWED if verified else Access.VERIFY
    if second_factor_required(user):
        return Access.ENROL
    return Access.ALLOWED


# --- Rights and scoping -------------------------------------------------------------------


def councils_with(actor, right: Right = Right.READ) -> QuerySet[Council]:
    """Return the councils in which the actor holds the right."""
    if is_system(actor) or (_is_user(actor) and actor.is_superuser):
        return Council.objects.all()
    if not _is_user(actor):
        return Council.objects.none()
    return Council.objects.filter(
        pk__in=CouncilMembership.objects.filter(user=actor, role__in=roles_with(right)).values(
            "council_id"
        )
    )


def role_in(actor, council: Council | int) -> str | None:
    """Return the actor's role in the council, or None."""
    if not _is_user(actor):
        return None
    council_id = council.pk if isinstance(council, Council) else council
    return (
        CouncilMembership.objects.filter(user=actor, council_id=council_id)
        .values_list("role", flat=True)
        .first()
    )


def can(actor, right: Right, council: Council | int) -> bool:
    """Return whether the actor holds the right in the council."""
    if is_system(actor) or (_is_user(actor) and actor.is_superuser):
        return True
    role = role_in(actor, council)
    return role is not None and right in ROLE_RIGHTS.get(role, ())


def require(actor, right: Right, council: Council | int) -> None:
    """Refuse unless the actor holds the right in the council.

    NotFound when the actor holds no role there (the object might as well not exist),
    NotAllowed when their role there does not include the right.
    """
    if is_system(actor) or (_is_user(actor) and actor.is_superuser):
        return
    role = role_in(actor, council)
    if role is None:
        raise NotFound(_("Not found."))
    if right not in ROLE_RIGHTS.get(role, ()):
        raise NotAllowed(_("Your role in this council does not allow this."))


def scoped(
    queryset: QuerySet, actor, right: Right = Right.READ, *, council_field: str = "council"
) -> QuerySet:
    """Restrict a queryset to rows whose council (through council_field) grants the right."""
    if is_system(actor) or (_is_user(actor) and actor.is_superuser):
        return queryset
    return queryset.filter(**{f"{council_field}__in": councils_with(actor, right)})


def get_scoped(
    queryset: QuerySet,
    actor,
    right: Right = Right.READ,
    *,
    council_field: str = "council",
    **lookup,
) -> Model:
    """Return the one object matching lookup among those the actor holds the right on.

    NotFound when there is none, when it lies in a council the actor holds no role in, or
    when the lookup is malformed; NotAllowed when the actor's role there lacks the right.
    """
    try:
        obj = queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound(_("Not found.")) from error
    council_id = obj
    for part in council_field.split("__"):
        council_id = getattr(council_id, part)
    require(actor, right, council_id)
    return obj


# --- Staff actions ------------------------------------------------------------------------


@dataclass
class AuditNote:
    """What a staff action records once it has succeeded."""

    target: Model | None = None
    summary: str = ""
    details: dict = field(default_factory=dict)


@contextlib.contextmanager
def staff_action(
    actor, right: Right, council: Council | int | list[int], *, action: str
) -> Iterator[AuditNote]:
    """Check the actor's right, run the action in one transaction, and audit it on success.

    The body fills in the yielded note (target, summary, details); the audit entry is
    written in the same transaction, so an action that fails leaves neither its changes
    nor an entry behind. An action over several councils (a pooled export) needs the right
    in each; its entry names them in its details rather than one council.
    """
    if isinstance(council, list | tuple | set | frozenset):
        council_ids = sorted({int(pk) for pk in council})
        if not council_ids:
            raise NotFound(_("Not found."))
        for council_id in council_ids:
            require(actor, right, council_id)
        council_id = council_ids[0] if len(council_ids) == 1 else None
    else:
        require(actor, right, council)
        council_id = council.pk if isinstance(council, Council) else council
        council_ids = [council_id]
    note = AuditNote()
    with transaction.atomic():
        yield note
        details = dict(note.details)
        if council_id is None:
            details.setdefault("councils", council_ids)
        if is_system(actor):
            details.setdefault("by", actor.name)
        record_action(
            None if is_system(actor) else actor,
            action=action,
            council_id=council_id,
            target=note.target,
            summary=note.summary,
            details=details,
        )
