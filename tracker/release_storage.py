"""Where release files live: Django's storage API, ``STORAGES["releases"]``.

By default a folder on disk (``TRACKER_RELEASES_DIR``) that every app server mounts, so
that a release cut on one is served, byte for byte, by the others; any other Django
storage (S3, say) can take its place in ``STORAGES``. This one writes a file once:
saving a name that exists is refused, never renamed or overwritten, and files are made
read-only (mode 0444).
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage


class WrittenOnce(FileExistsError):
    """A release file of that name exists already: release files never change."""


class ReleaseStorage(FileSystemStorage):
    def __init__(self, location=None, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o444)
        kwargs.setdefault("directory_permissions_mode", 0o755)
        super().__init__(location=location, **kwargs)
        self.configured = bool(location)

    def get_available_name(self, name, max_length=None):
        if self.exists(name):
            raise WrittenOnce(f"{name} exists already; release files are written once.")
        return super().get_available_name(name, max_length=max_length)

    def _save(self, name, content):
        if not self.configured:
            raise ImproperlyConfigured(
                "TRACKER_RELEASES_DIR is not set: there is nowhere to write release files "
                "(README, Configuration)."
            )
        return super()._save(name, content)
