from django.urls import path

from console.views import exports as export_views

app_name = "exports"

urlpatterns = [
    path("", export_views.export_list, name="list"),
    path("<int:export_id>/", export_views.export_detail, name="detail"),
    path("<int:export_id>/download", export_views.export_download, name="download"),
]
