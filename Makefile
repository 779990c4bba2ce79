# The two commands: `make run` serves the tracker, `make test` runs every check.
# Nothing but Python 3.11 and make is needed; everything else goes into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# make test runs the suite in one process per core (pytest-xdist); TEST_WORKERS=0 runs it in one.
# Tests are handed out in collection order (--dist load), so each worker keeps
# pytest-django's order: database tests before transactional ones, which empty the tables
# (the roles' groups with them). Work stealing handed a worker database tests after its
# transactional ones, and they met no Editor group.
TEST_WORKERS ?= auto
# Local commands run in debug mode, said out loud: manage.py never guesses it.
DEV := DJANGO_DEBUG=1

.PHONY: run test benchmark backup messages wheel clean

run: $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py loadseeds
	$(DEV) $(BIN)/python manage.py ensure_local_superuser
	$(DEV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving the tracker on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(DEV) $(BIN)/gunicorn tracker.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load --durations=20

benchmark: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

# A backup of the local record into backups/ (README: Backups); restore with manage.py restore.
backup: $(VENV)/.installed
	install -d -m 700 backups
	$(DEV) $(BIN)/python manage.py backup --output backups

# Refresh the Ukrainian and Russian catalogues after changing strings (needs GNU gettext).
# The compiled .mo files are committed, so running the tracker needs no gettext.
messages: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py makemessages -l uk -l ru --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=build --ignore=dist
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv

# The wheel for production (README, "Running in production"), built afresh: an old build/
# folder would slip files that no longer exist into it.
wheel: $(VENV)/bin/python
	rm -rf build dist
	$(BIN)/python -m pip wheel --no-deps --quiet -w dist .
	rm -rf build
	@ls dist/*.whl

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) staticfiles cache build dist *.egg-info .pytest_cache .ruff_cache
