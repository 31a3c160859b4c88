"""The site's URLs plus one that fails, to see what a failure looks like and where it is logged."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from salsite.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [*site_urlpatterns, path("fail/", fail)]
