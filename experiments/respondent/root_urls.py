"""The URL list of the short respondent stack (`stack`): the pages and the language switch."""

from django.urls import include, path

urlpatterns = [
    path("", include("experiments.respondent.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
handler400 = "surveyplatform.errors.bad_request"
handler500 = "surveyplatform.errors.server_error"
