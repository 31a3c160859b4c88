"""The site's own cache on Redis: django-redis answering as an empty cache while Redis is down,
and taking every lock meanwhile."""

from __future__ import annotations

import logging
from typing import Any

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger("salsite.caches")


class FailOpenRedisCache(RedisCache):
    """``add`` answers True (the key was free, the lock is yours) when Redis does not answer.

    Locks built on the cache then let people through instead of turning them away: allauth's
    sign-in limits take such a lock and, without it, refused every sign-in (after a second's wait)
    for as long as Redis was down. Counting resumes when Redis answers again.
    """

    def add(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(self.client.add(*args, **kwargs))
        except ConnectionInterrupted as exc:
            logger.warning("Cache add not done, Redis is unreachable: %r", exc.__cause__ or exc)
            return True
