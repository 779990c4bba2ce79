"""gunicorn servers for the tests that need real processes: the long-export bound, two app
servers sharing one database and one cache. Requests reach them as production's do,
through the trusted proxy (``tests.test_concurrency.Session``)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.test_concurrency import ROOT, Session, free_port, wait_until_serving


def environment(database_url, **extra):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    env.pop("DJANGO_DEBUG", None)
    env.update(extra)
    return env


@contextmanager
def gunicorn(database_url, log_path, *, workers=2, **extra):
    """A gunicorn of the tracker on a free port; yields its base URL."""
    port = free_port()
    with Path(log_path).open("w") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "tracker.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                "--timeout=60",
            ],
            cwd=ROOT,
            env=environment(database_url, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, server)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


__all__ = ["Session", "environment", "gunicorn"]
