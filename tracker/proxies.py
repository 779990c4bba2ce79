"""Forwarded headers count only when a trusted proxy sent them.

Behind a TLS-terminating proxy, the proxy tells the tracker how the browser reached it
(``X-Forwarded-Proto: https``) and from where (``X-Forwarded-For``). Anyone can send
those headers, so they are honoured only when the request comes from an address in
``settings.TRACKER_TRUSTED_PROXIES``; from anywhere else ``TrustedProxyMiddleware``
removes them before the rest of Django looks (Django's ``SECURE_PROXY_SSL_HEADER`` on
its own would believe any client). ``client_address(request)`` is the one answer to
"who sent this request" for code that needs it (throttling, lockouts, logs).

This module knows no models; settings use its parser to check the addresses at start.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

# Headers a proxy sets to describe the original request; kept only from trusted proxies.
FORWARDED_HEADERS = (
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Port",
    "X-Forwarded-Proto",
    "X-Forwarded-Ssl",
    "X-Real-Ip",
)


def meta_key(header):
    """The ``request.META`` key of an HTTP header: X-Forwarded-Proto -> HTTP_X_FORWARDED_PROTO."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def parse_networks(entries):
    """Addresses and CIDR networks, as ``ip_network`` objects; ValueError names every bad one."""
    networks, bad = [], []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            bad.append(repr(entry))
    if bad:
        raise ValueError(
            f"not an IP address or network: {', '.join(bad)} "
            "(expected e.g. 127.0.0.1, 10.0.0.0/24 or ::1)"
        )
    return networks


@lru_cache(maxsize=8)
def _networks(entries):
    return tuple(parse_networks(entries))


@lru_cache(maxsize=8)
def _forwarded_keys(proto_header):
    return frozenset(meta_key(header) for header in (*FORWARDED_HEADERS, proto_header))


def _address(text):
    """The IP address in ``text``, IPv4-mapped IPv6 unwrapped; None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address):
    """True if ``address`` (a string) belongs to one of the trusted proxies."""
    parsed = _address(address or "")
    if parsed is None:
        return False
    networks = _networks(tuple(settings.TRACKER_TRUSTED_PROXIES))
    return any(parsed in network for network in networks)


def client_address(request):
    """The address of the client that sent ``request``.

    ``REMOTE_ADDR`` unless it is a trusted proxy; then ``X-Forwarded-For`` is read from the
    right (each proxy appends the address it saw), skipping trusted proxies, and the first
    address that is not one is the client. Whatever a client wrote further left is never
    believed. A hop that is not an IP address ends the walk at the last one that was.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(address):
        return address
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if _address(hop) is None:
            break
        address = hop.strip()
        if not is_trusted_proxy(address):
            break
    return address


class TrustedProxyMiddleware:
    """Remove forwarded headers from requests that did not come from a trusted proxy.

    First in ``MIDDLEWARE``, so that ``request.is_secure()``, the HTTPS redirect, CSRF
    checks and everything after them see only headers a trusted proxy vouched for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for key in _forwarded_keys(settings.TRACKER_PROXY_PROTO_HEADER):
                request.META.pop(key, None)
        return self.get_response(request)
