"""The API's root: the resources of version 1, with where the schema and the docs live."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (resource, route name, what it holds) in the order a newcomer meets them.
RESOURCES = [
    ("councils", "api:council-list", "The councils you hold a role in."),
    ("themes", "api:theme-list", "Themes of your councils, with their activities."),
    ("activities", "api:activity-list", "The individual co-production activities of each theme."),
    ("waves", "api:wave-list", "Waves: draft, open and closed, with their monitoring."),
    ("invitations", "api:invitation-list", "Personal invitation links (council admins)."),
    ("analysis-runs", "api:analysis-run-list", "Analyses of closed waves and their results."),
    (
        "panel-imports",
        "api:panel-import-list",
        "Panel files checked and imported (council admins).",
    ),
    ("response-imports", "api:response-import-list", "Paper responses imported (council admins)."),
    ("exports", "api:export-list", "Pseudonymised data files (researchers)."),
]


class ApiRoot(APIView):
    """List the API's resources; what each returns is limited to the caller's councils."""

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        return Response(
            {
                "version": "v1",
                "resources": {
                    name: {
                        "url": reverse(route, request=request, format=format),
                        "description": description,
                    }
                    for name, route, description in RESOURCES
                },
                "schema": reverse("api:schema", request=request),
                "docs": reverse("api:docs", request=request),
                "authentication": (
                    "Authorization: Token <key>; make a key on your account page: "
                    + reverse("console:account", request=request)
                ),
            }
        )
