from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from zhidu.api.api import api


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # pragma: no cover - exercised when the database is down
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("rulebook/", include("zhidu.rulebook.urls")),
    path("sanctions/", include("zhidu.sanctions.urls")),
    path("obligations/", include("zhidu.obligations.urls")),
    path("calendar/", include("zhidu.calendar.urls")),
    path("attendance/", include("zhidu.attendance.urls")),
    path("complaints/", include("zhidu.complaints.urls")),
    path("", include("zhidu.web.urls")),
]
