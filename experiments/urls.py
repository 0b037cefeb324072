from django.urls import path

from experiments import views

app_name = "experiments"

urlpatterns = [
    path("i/<str:token>/", views.open_invitation, name="invitation"),
    path("survey/", views.questionnaire, name="questionnaire"),
    path("survey/done/", views.done, name="done"),
]
