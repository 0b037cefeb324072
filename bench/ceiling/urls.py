from django.urls import path

from bench.ceiling.views import insert_one_row

urlpatterns = [path("", insert_one_row, name="bench-ceiling")]
