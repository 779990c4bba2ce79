"""The load test refuses any host but this machine's loopback."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("load_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # locust is imported only when a run starts
    return module


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8000", "http://127.0.0.2:8000/", "http://[::1]:8000", "http://localhost"],
)
def test_loopback_hosts_are_taken(load, host):
    assert load.loopback_only(host) == host.rstrip("/")


@pytest.mark.parametrize(
    "host",
    [
        "http://10.0.0.5:8000",
        "https://tracker.example.org",
        "http://example.org",
        "https://127.0.0.1",
    ],
)
def test_other_hosts_are_refused(load, host):
    with pytest.raises(SystemExit, match="runs only against"):
        load.loopback_only(host)
