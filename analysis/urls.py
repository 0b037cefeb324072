from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("results/<int:wave_id>/", views.wave_results, name="wave_results"),
]
