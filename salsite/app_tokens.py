"""The demo platform's app credentials: a bearer token per account, for the SAL JSON API.

``SALWIDGETS["API_AUTHENTICATION"]`` names ``user_of``; ``manage.py app_token EMAIL`` prints a
token. A real platform plugs in the credentials its apps already send (OAuth access tokens, its
own session tokens) the same way: a function of the request that answers the account or None.
A token is signed with the site's secret key and names the account and its password hash's
fingerprint, so changing the password (or deactivating the account) revokes it.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

SALT = "salsite.app-token"
MAX_AGE = 30 * 24 * 60 * 60


def issue(user: User) -> str:
    return signing.dumps({"u": user.pk, "h": user.get_session_auth_hash()[:16]}, salt=SALT, compress=True)


def user_of(request: HttpRequest) -> User | None:
    """The account an ``Authorization: Bearer <token>`` header names; None without one."""
    scheme, _sep, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = signing.loads(token.strip(), salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise PermissionDenied("This app token has expired: sign in again.") from None
    except signing.BadSignature:
        raise PermissionDenied("This app token is not valid.") from None
    pk = claims.get("u") if isinstance(claims, dict) else None
    user = User.objects.filter(pk=pk, is_active=True).first() if isinstance(pk, int) else None
    if user is None or user.get_session_auth_hash()[:16] != claims.get("h"):
        raise PermissionDenied("This app token is no longer valid: sign in again.")
    return user
