"""The admin preview and the health view; include them under the admin, before ``admin.site.urls``:

path("admin/sal/", include("salwidgets.admin_urls")),
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.urls import path

from salwidgets import admin_views
from salwidgets.admin_views import COMPONENTS, PERSON

app_name = "salwidgets_admin"


def _staff(view: Callable[..., HttpResponse], *permissions: str) -> Callable[..., HttpResponse]:
    """Staff signed in to the admin, with every one of ``permissions`` (else 403)."""
    return admin.site.admin_view(permission_required(permissions, raise_exception=True)(view))


urlpatterns = [
    path("", admin.site.admin_view(admin_views.preview), name="preview"),
    path("components/", _staff(admin_views.components, COMPONENTS), name="components"),
    path("refresh/", _staff(admin_views.refresh, COMPONENTS), name="refresh"),
    path("purge/", _staff(admin_views.purge, COMPONENTS), name="purge"),
    path("ctas/", _staff(admin_views.ctas, PERSON), name="ctas"),
    path("health/", _staff(admin_views.health_view, COMPONENTS), name="health"),
]
