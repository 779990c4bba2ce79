"""The page cache's backends: Redis in production, a shared folder under ``make run``.

Django's Redis backend makes a new ``redis.Redis`` client for every call, and building
one (its table of response callbacks) costs about as much as the call itself on a cached
page. :class:`RedisCache` keeps one client per connection pool instead (Django gives each
thread a cache object of its own, so each thread keeps its own client).

A file cache that the workers of one server share, with an ``add`` they cannot both win.

Under ``make run`` (no Redis) the page cache lives in a folder. Django's file cache
writes atomically but its ``add`` checks, then writes: two workers can both "add" the
same key, and the page cache's single-flight lock (``tracker.page_cache``) relies on
exactly one winning. Here the entry is written to a temporary file and hard-linked into
place, which fails if the name already exists, as Redis's ``SET NX`` does.
"""

import os
import tempfile

from django.core.cache.backends import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class RedisCacheClient(redis.RedisCacheClient):
    """Django's client, keeping one ``redis.Redis`` per connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient


class SharedFileCache(FileBasedCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._createdir()
        if self.has_key(key, version):  # removes the entry if it has expired
            return False
        fd, temporary = tempfile.mkstemp(dir=self._dir)
        try:
            with open(fd, "wb") as handle:
                self._write_content(handle, timeout, value)
            try:
                os.link(temporary, self._key_to_file(key, version))
            except FileExistsError:
                return False
            return True
        finally:
            os.remove(temporary)
