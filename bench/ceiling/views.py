from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

CEILING_TABLE = "bench_ceiling_hit"


@csrf_exempt
def insert_one_row(request: HttpRequest) -> HttpResponse:
    """Insert one row per POST and answer its id; the bench creates and drops the table."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (body) VALUES (%s) RETURNING id",
            [request.POST.get("body", "")],
        )
        (row_id,) = cursor.fetchone()
    return HttpResponse(str(row_id), content_type="text/plain")
