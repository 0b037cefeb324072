from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import views
from api.exports import ExportViewSet
from api.root import ApiRoot

app_name = "api"

router = SimpleRouter()
router.register("councils", views.CouncilViewSet, basename="council")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("waves", views.WaveViewSet, basename="wave")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("analysis-runs", views.AnalysisRunViewSet, basename="analysis-run")
router.register("panel-imports", views.PanelImportViewSet, basename="panel-import")
router.register("response-imports", views.ResponseImportViewSet, basename="response-import")
router.register("exports", ExportViewSet, basename="export")

urlpatterns = [
    path("v1/", ApiRoot.as_view(), name="root"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
