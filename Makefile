# The two commands a newcomer needs: `make run` and `make test`. Both set everything up.
SHELL := /bin/bash
UV := PATH="$(CURDIR)/.tools/bin:$$PATH" UV_PYTHON_DOWNLOADS=never uv

.PHONY: run test lint bootstrap
bootstrap:
	@./scripts/bootstrap.sh

## run: start the bot (the console when no Discord/Slack credentials are set)
run: bootstrap
	@$(UV) run mlebot run

## test: ruff, mypy and the whole pytest suite (two pytest-xdist workers: the suite mostly
## waits on subprocesses, PostgreSQL and sockets, so two workers take half the time)
test: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run pytest -n 2
