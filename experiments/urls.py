from django.urls import path

from experiments import views

app_name = "experiments"

urlpatterns = [
    path("i/<str:token>/", views.open_invitation, name="invitation"),
    path("survey/", views.questionnaire, name="questionnaire"),
    path("survey/theme/<int:number>/", views.theme_page, name="theme"),
    path("survey/about-you/", views.about_you, name="about_you"),
    path("survey/check/", views.check_answers, name="check"),
    path("survey/done/", views.done, name="done"),
]
