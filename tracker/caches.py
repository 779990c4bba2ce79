"""A file cache that the workers of one server share, with an ``add`` they cannot both win.

Under ``make run`` (no Redis) the page cache lives in a folder. Django's file cache
writes atomically but its ``add`` checks, then writes: two workers can both "add" the
same key, and the page cache's single-flight lock (``tracker.page_cache``) relies on
exactly one winning. Here the entry is written to a temporary file and hard-linked into
place, which fails if the name already exists, as Redis's ``SET NX`` does.
"""

import os
import tempfile

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


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
