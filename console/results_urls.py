from django.urls import path

from console.views import results as views

app_name = "analysis"

urlpatterns = [
    path("results/", views.results_list, name="results"),
    path("results/<int:wave_id>/", views.wave_results, name="wave_results"),
    path(
        "results/<int:wave_id>/preregistration/",
        views.wave_preregistration,
        name="preregistration",
    ),
    path("results/runs/", views.run_list, name="runs"),
    path("results/runs/<int:run_id>/", views.run_results, name="run_results"),
]
