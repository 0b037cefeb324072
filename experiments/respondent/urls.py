from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from experiments.respondent import views

app_name = "experiments"

# Leaving needs no session: the signed link is the proof, and one-click unsubscribe
# (RFC 8058) posts without a CSRF token.
unsubscribe = csrf_exempt(views.unsubscribe)

urlpatterns = [
    path("i/<str:token>/", views.open_invitation, name="invitation"),
    path("survey/", views.questionnaire, name="questionnaire"),
    path("survey/declined/", views.declined, name="declined"),
    path("survey/theme/<int:number>/", views.theme_page, name="theme"),
    path("survey/theme/<int:number>/<int:part>/", views.theme_page, name="theme_part"),
    path("survey/about-you/", views.about_you, name="about_you"),
    path("survey/check/", views.check_answers, name="check"),
    path("survey/done/", views.done, name="done"),
    path("privacy/<slug:council>/", views.privacy_notice, name="privacy"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:token>/confirm/",
        views.unsubscribe_confirm,
        name="unsubscribe_confirm",
    ),
    path("unsubscribe/<str:token>/done/", views.unsubscribe_done, name="unsubscribe_done"),
    # The address of the links in e-mails sent before the page moved here.
    path("console/unsubscribe/<str:token>/", unsubscribe, name="unsubscribe_earlier"),
]
