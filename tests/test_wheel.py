"""The wheel is the whole tracker: ``pip install`` of it needs no checkout.

The wheel is built from a copy of the repository's files (a build in the checkout would
reuse a stale ``build/`` folder), then compared file by file with the repository: every
file of the package, and the top-level folders pyproject.toml maps into it, must arrive
where the settings look for them, and nothing else may.
"""

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from tracker.columns import EVENTS
from tracker.seeds import read_seeds

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "tracker"


def repository_files():
    """Every file of the repository: tracked, or new and not ignored (so work in progress
    counts), as paths relative to the repository."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(path for path in listed.split("\0") if path and (REPO / path).is_file())


def folders_in_the_package():
    """Repository folder -> folder in the wheel: the package itself, and what
    pyproject.toml's package-dir maps into it (templates/ -> tracker/templates/, …)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapped = pyproject["tool"]["setuptools"]["package-dir"]
    return {PACKAGE: PACKAGE} | {source: name.replace(".", "/") for name, source in mapped.items()}


def expected_in_wheel(files):
    """Wheel path -> repository path, for every repository file the wheel must carry."""
    folders = folders_in_the_package()
    expected = {}
    for path in files:
        top, _, rest = path.partition("/")
        if rest and top in folders:
            expected[f"{folders[top]}/{rest}"] = path
    return expected


def kind_of(path):
    if path.startswith("templates/"):
        return "template"
    if path.startswith("seeds/"):
        return "seed file"
    if "/static/" in path:
        return "static file"
    if path.endswith(".mo"):
        return "compiled catalogue"
    return "package file"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built with pip, as a release would be, from a copy of the repository."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for path in repository_files():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, source / path)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}\n{build.stderr}"
    shutil.rmtree(source)
    (built,) = work.glob("*.whl")
    return built


def test_the_wheel_carries_every_template_static_file_catalogue_and_seed(wheel):
    files = repository_files()
    expected = expected_in_wheel(files)
    with zipfile.ZipFile(wheel) as archive:
        carried = {name for name in archive.namelist() if not name.endswith("/")}

    missing = sorted(
        f"{kind_of(path)}: {path}" for name, path in expected.items() if name not in carried
    )
    assert not missing, "Not in the wheel:\n" + "\n".join(missing)

    kinds = {kind_of(path) for path in expected.values()}
    assert {"template", "seed file", "static file", "compiled catalogue"} <= kinds

    strays = sorted(name for name in carried if ".dist-info/" not in name and name not in expected)
    assert not strays, "In the wheel but not in the repository:\n" + "\n".join(strays)


def test_nothing_lands_in_site_packages_outside_the_package(wheel):
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {PACKAGE}


def test_the_checkout_keeps_templates_and_seeds_at_the_top():
    assert settings.TEMPLATES[0]["DIRS"] == [REPO / "templates"]
    assert settings.TRACKER_SEEDS_DIR == REPO / "seeds"
    assert not (REPO / PACKAGE / "templates").exists(), "templates/ lives at the top"
    assert not (REPO / PACKAGE / "seeds").exists(), "seeds/ lives at the top"


FROM_THE_WHEEL = """
import json, django
django.setup()
import tracker
from django.conf import settings
from django.template.loader import get_template
from tracker.columns import EVENTS
from tracker.seeds import read_seeds

print(json.dumps({
    "package": tracker.__file__,
    "templates": [str(d) for d in settings.TEMPLATES[0]["DIRS"]],
    "base.html": get_template("base.html").origin.name,
    "seeds": str(settings.TRACKER_SEEDS_DIR),
    "events": len(read_seeds(settings.TRACKER_SEEDS_DIR).tables[EVENTS]),
    "locale": [str(p) for p in settings.LOCALE_PATHS],
    "static_root": str(settings.STATIC_ROOT),
}))
"""


def test_an_unpacked_wheel_finds_its_own_templates_and_seeds(wheel, tmp_path, production_env):
    """Installing a wheel unpacks it into site-packages; here into a folder that comes
    first on the path, so that the checkout is never imported."""
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    env = {**production_env, "PYTHONPATH": str(site)}

    run = subprocess.run(
        [sys.executable, "-c", FROM_THE_WHEEL],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    package = site / PACKAGE
    assert found["package"] == str(package / "__init__.py")
    assert found["templates"] == [str(package / "templates")]
    assert found["base.html"] == str(package / "templates" / "base.html")
    assert found["seeds"] == str(package / "seeds")
    assert found["locale"] == [str(package / "locale")]
    # STATIC_ROOT comes from the environment, never from inside site-packages.
    assert found["static_root"] == production_env["DJANGO_STATIC_ROOT"]
    assert found["events"] == len(read_seeds(REPO / "seeds").tables[EVENTS]) > 0
