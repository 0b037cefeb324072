from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from surveyplatform.health import healthz
from surveyplatform.metrics import metrics

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("", include("experiments.respondent.urls")),
    path("admin/", admin.site.urls),
    path("console/", include("console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("", include("console.results_urls")),
    path("exports/", include("console.exports_urls")),
    path("api/", include("api.urls")),
]

if settings.BENCH_CEILING:
    urlpatterns.append(path("bench/ceiling/", include("bench.ceiling.urls")))
handler400 = "surveyplatform.errors.bad_request"
handler500 = "surveyplatform.errors.server_error"
