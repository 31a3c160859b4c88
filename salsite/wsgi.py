"""WSGI entry point of the demo ticketing site."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salsite.settings")
application = get_wsgi_application()
