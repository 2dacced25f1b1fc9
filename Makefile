# Two entry points: `make run` (install + open the app) and `make test` (install + run the tests).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install lint clean default-models mutation

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall only when the project's dependency list changes.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/posestudio $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check posestudio tests
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info

# Mutation testing of the paper modules (not part of `make test`; long): each paper's module
# is mutated alone against its own tests, niced. `make mutation MUTATE="structflow attnflow"`.
# Counts land in runs/mutation/summary.json; docs/MUTATION.md has the report.
MUTATE ?=
mutation: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[mutation]'
	QT_QPA_PLATFORM=offscreen nice -n 10 $(PY) tests/mutation.py $(MUTATE)

# Retrain, evaluate and ship the default weights in models/ (docs/MODELS.md has the numbers;
# about 1.5-2 h on a 2-core CPU for all three, run one at a time or side by side).
# `make default-models TASKS=face FACE_STEPS=1100` redoes one.
TASKS       ?= pose garment face
POSE_STEPS  ?= 3300
GARMENT_STEPS ?= 1500
FACE_STEPS  ?= 1100
size_pose    := 128x88
size_garment := 128x88
size_face    := 128x128
default-models: $(STAMP)
	@for t in $(TASKS); do \
	  case $$t in pose) n=$(POSE_STEPS); s=$(size_pose);; garment) n=$(GARMENT_STEPS); s=$(size_garment);; \
	    face) n=$(FACE_STEPS); s=$(size_face);; *) echo "unknown task $$t"; exit 2;; esac; \
	  $(VENV)/bin/posestudio train refine-$$t --data synth --seed 0 --size $$s --batch 8 --steps $$n \
	    --lr 1e-3 --ema-decay 0.99 --log-every 10 --sample-every 200 --save-every 100 --out runs/refine-$$t && \
	  $(VENV)/bin/posestudio eval runs/refine-$$t --model puppet --baseline source --pairs 200 --seed 1 \
	    --json runs/refine-$$t/eval.json --grid docs/models_refine_$$t.png && \
	  $(VENV)/bin/posestudio models import runs/refine-$$t --name refine-$$t-synth --into models --force \
	    --eval-json runs/refine-$$t/eval.json --licence MIT || exit 1; \
	done
