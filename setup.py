"""The package list, which pyproject.toml cannot derive on its own: every package under
tracker/, plus the folders that pyproject.toml's package-dir maps into the package
(the repository's top-level templates/ and seeds/), so that the wheel carries them."""

import tomllib
from pathlib import Path

from setuptools import find_packages, setup

pyproject = tomllib.loads(Path(__file__).with_name("pyproject.toml").read_text("utf-8"))
mapped = pyproject["tool"]["setuptools"]["package-dir"]

setup(packages=[*find_packages(include=["tracker", "tracker.*"]), *mapped])
