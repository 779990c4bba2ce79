# The two commands: `make run` serves the tracker, `make test` runs every check.
# Nothing but Python 3.11 and make is needed; everything else goes into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test benchmark backup messages clean

run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py loadseeds
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_local_superuser
	DJANGO_DEBUG=1 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving the tracker on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	DJANGO_DEBUG=1 $(BIN)/gunicorn tracker.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

benchmark: $(VENV)/.installed-dev
	DJANGO_DEBUG=1 $(BIN)/python manage.py benchmark

# A backup of the local record into backups/ (README: Backups); restore with manage.py restore.
backup: $(VENV)/.installed
	install -d -m 700 backups
	DJANGO_DEBUG=1 $(BIN)/python manage.py backup --output backups

# Refresh the Ukrainian and Russian catalogues after changing strings (needs GNU gettext).
# The compiled .mo files are committed, so running the tracker needs no gettext.
messages: $(VENV)/.installed-dev
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l uk -l ru --ignore=.venv --ignore=tests --ignore=staticfiles
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) staticfiles *.egg-info .pytest_cache .ruff_cache
