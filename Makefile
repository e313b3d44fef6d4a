# The commands a newcomer needs; each one installs what it needs first (scripts/bootstrap).
PORT ?= 5055

.PHONY: demo test bench lab-start lab-stop bootstrap molecule

demo:  ## run respond.yml against a compromised instance in a new local lab on PORT (default 5055)
	LAB_PORT=$(PORT) scripts/demo

test:  ## run every test
	scripts/test

bench: bootstrap  ## time respond.yml against the hand-run CLI sequence for 1, 10 and 50 instances (about 12 minutes on 2 cores)
	.venv/bin/python bench/run.py

bootstrap:  ## create .venv with the pinned tooling
	scripts/bootstrap

lab-start: bootstrap  ## start the local AWS lab on PORT (default 5055)
	.venv/bin/python -m lab start --port $(PORT)

lab-stop:  ## stop the local AWS lab on PORT
	.venv/bin/python -m lab stop --port $(PORT)

molecule: bootstrap  ## run the molecule scenario (extensions/molecule/default) against a lab started on PORT
	.venv/bin/python -m lab start --port $(PORT)
	PATH="$(CURDIR)/.venv/bin:$$PATH" AWS_URL=http://127.0.0.1:$(PORT) AWS_REGION=us-east-1 \
		AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing .venv/bin/molecule test; \
		status=$$?; .venv/bin/python -m lab stop --port $(PORT); exit $$status
