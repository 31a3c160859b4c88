"""WSGI entry point of the demo ticketing site."""

import os

from django.core.cache import caches
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salsite.settings")
application = get_wsgi_application()

# Open each cache now, so their backends (redis, django-redis) are imported once, before a threaded
# worker's first requests import them at the same time and one of them sees a half-imported module.
for alias in caches.settings:
    caches[alias]
