"""Council tenancy: which councils a staff user may see, and querysets scoped to them.

Every console view and API endpoint goes through these helpers. An object of a council
the user has no role in answers 404, exactly as a missing object does, so that a
response never confirms that another council's object exists.
"""

from collections.abc import Iterable

from django.db.models import Model, QuerySet
from django.http import Http404

from experiments.models import Council, CouncilMembership, CouncilRole

ALL_ROLES = (CouncilRole.ADMIN, CouncilRole.RESEARCHER)


def councils_for(user, *, roles: Iterable[str] = ALL_ROLES) -> QuerySet[Council]:
    """Return the councils in which the user holds one of the roles.

    Superusers manage the platform, not a council's survey: they get councils only
    through memberships like everyone else, so console pages never mix councils.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Council.objects.none()
    return Council.objects.filter(
        pk__in=CouncilMembership.objects.filter(user=user, role__in=list(roles)).values(
            "council_id"
        )
    )


def scoped(
    queryset: QuerySet,
    user,
    *,
    council_field: str = "council",
    roles: Iterable[str] = ALL_ROLES,
) -> QuerySet:
    """Restrict a queryset to rows whose council (reached through council_field) is the user's."""
    return queryset.filter(**{f"{council_field}__in": councils_for(user, roles=roles)})


def get_scoped_or_404(
    queryset: QuerySet,
    user,
    *,
    council_field: str = "council",
    roles: Iterable[str] = ALL_ROLES,
    **lookup,
) -> Model:
    """Return the one object matching lookup within the user's councils, or raise Http404."""
    try:
        return scoped(queryset, user, council_field=council_field, roles=roles).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error


def get_council_or_404(user, council_id, *, roles: Iterable[str] = ALL_ROLES) -> Council:
    """Return one of the user's councils by id, or raise Http404."""
    try:
        return councils_for(user, roles=roles).get(pk=council_id)
    except (Council.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error
