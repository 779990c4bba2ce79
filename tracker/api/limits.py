"""The API's rate limit: ``TRACKER_API_RATE`` requests per client address, as
``tracker.proxies.client_address`` reads it (a forwarded address counts only from a
trusted proxy). Counted in the cache, so every worker, and with Redis every server,
shares the counts; past the rate, DRF answers 429 with ``Retry-After``."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ..proxies import client_address


class AddressRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        """Read at each request, so that the setting is the one in force."""
        return settings.TRACKER_API_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
