"""A URLconf that includes the SAL preview after the admin (the mistake check W006 names)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("admin/sal/", include("salwidgets.admin_urls")),
]
