# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install migrate run test lint check-deploy clean

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

# The ASGI server (daphne) and one django-q2 worker, on the embedded defaults unless
# DATABASE_URL / REDIS_URL are set. Ctrl-C or SIGTERM stops both cleanly: the supervisor
# (proctoring_site/serve.py) signals each once and the worker finishes its task in flight.
run: migrate
	$(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (exam page /exam/, admin /admin/, API docs /docs)"
	$(PY) -m proctoring_site.serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-deploy: install
	DJANGO_SETTINGS_MODULE=proctoring_site.settings.production \
	SECRET_KEY=$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-proctoring.example.com} \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles test_db.sqlite3
