# Two entry points: `make run` (install + open the app) and `make test` (install + run the tests).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run check-desktop test install lint clean default-models gpu-check fuzz-soak dist mutation

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall only when the project's dependency list changes.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The detection models come from the MediaPipe 0.10.14 wheel on the package registry
# (pip download, no install; Apache-2.0 notice kept beside them in models/detect).
DETECT_MODELS := models/detect/NOTICE.txt
$(DETECT_MODELS): | $(STAMP)
	$(PY) -m posestudio detect --install-models

install: $(STAMP) $(DETECT_MODELS)

# A fresh Debian/Ubuntu desktop lacks some libraries Qt's X11 plugin loads: stop with one
# line naming every missing package and the apt-get command, before and after installing.
run:
	@$(PYTHON) packaging/check_desktop.py --venv $(VENV)
	@$(MAKE) --no-print-directory install
	@$(PY) packaging/check_desktop.py --venv $(VENV)
	$(VENV)/bin/posestudio $(ARGS)

check-desktop:
	@$(PYTHON) packaging/check_desktop.py --venv $(VENV)

test: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check posestudio tests
	$(VENV)/bin/lint-imports

# One GPU's numbers (under 8 minutes): PoNA ngf 64 on torch fp16 + channels-last, ONNX Runtime CUDA and
# TensorRT (latency and batched throughput) and the weight-free engine at 1024x1024 -> runs/gpu-check/
# gpu-check.json + .md. Missing providers are rows saying "not available". GPU_CHECK_ARGS="--cpu --short"
# is the CPU version CI runs.
gpu-check: $(STAMP)
	$(PY) -m posestudio.engine.gpucheck --out runs/gpu-check $(GPU_CHECK_ARGS)

# The fuzzing suite at length: thousands of Hypothesis examples per reader (no deadline) and the
# slow corpus cases (a 12000x12000 photo); `make test` runs the short CI profile of the same tests.
FUZZ_EXAMPLES ?= 2000
fuzz-soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen HYPOTHESIS_PROFILE=soak POSESTUDIO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  POSESTUDIO_FUZZ_SOAK=1 $(PY) -m pytest -q -p no:cacheprovider tests/fuzz $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info

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
# the real-photo record auto needs (eval --realpairs; research data: evaluated on, never trained on)
REALPAIRS   ?= ../shared/samples/realpairs
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
	  if [ $$t = pose ]; then $(PY) -m posestudio eval refine-pose-synth --realpairs --data $(REALPAIRS) --record \
	    || exit 1; fi; \
	done

# The one-folder bundle (PyInstaller, ONNX Runtime inside, no torch), its desktop files and
# dist/PoseStudio-<version>-linux-x86_64.tar.gz; see packaging/README.md and docs/INSTALL.md.
DIST_STAMP := $(VENV)/.installed-dist
$(DIST_STAMP): pyproject.toml constraints.txt | $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,dist]'
	touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	PYTHONPATH=$(CURDIR) $(PY) packaging/build.py $(DIST_ARGS)
