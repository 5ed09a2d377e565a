# The README's two commands: `make demo` and `make test`. Both set up .venv first (`make install`).
VENV   ?= .venv
PY     := $(VENV)/bin/python
# This machine's PyTorch (local wheels, a CUDA build that also runs on CPU). Override for another platform,
# e.g. `make install TORCH="torch torchvision"`. pyproject.toml itself asks for a range.
TORCH  ?= torch==2.14.1 torchvision==0.29.1
export YOLO_OFFLINE ?= 1

.PHONY: install demo test lint dist bench-latency bench-deploy bench-accuracy bench-accuracy-swarms \
	bench-accuracy-real bench-accuracy-report bench-accuracy-errors bench-tracking clean

install: $(VENV)/.installed

# Two makes at once (`make bench-accuracy-swarms` and `make bench-accuracy-real` side by side) would both install
# into the same .venv and break each other's pip; where flock(1) exists, the second waits for the first.
LOCK := $(if $(shell command -v flock 2>/dev/null),flock .install.lock,)
$(VENV)/.installed: pyproject.toml Makefile
	$(LOCK) sh -c 'set -e; test -x $(PY) || python3 -m venv $(VENV); \
	    $(PY) -m pip install --quiet --upgrade pip; \
	    $(PY) -m pip install --quiet $(TORCH); \
	    $(PY) -m pip install --quiet -e ".[dev,openvino]"'
	touch $@

demo: install
	$(VENV)/bin/srtod demo

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# The wheel (code, model and dataset YAMLs, released weights, the hook .pth): pip install dist/srtod_yolo-*.whl
dist: install
	rm -rf dist
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	@ls dist/*.whl

bench-latency: install
	$(PY) -m benchmarks.latency --readme

bench-deploy: install
	$(PY) -m benchmarks.latency_deploy --readme

# The second accuracy study (docs/results.md), stage 2 and its tables. Resumable: finished runs are skipped and an
# interrupted one resumes from its last epoch. Two trainings at once use a 2-core machine best: run
# `make bench-accuracy-swarms` and `make bench-accuracy-real` side by side, then `make bench-accuracy-report`.
V2 := benchmarks/results/accuracy-v2
bench-accuracy: bench-accuracy-swarms bench-accuracy-real bench-accuracy-report

# The real-frame `fuse` from scratch (seed 0, validated every epoch) and the stock model's 90- and 150-epoch curves on
# the swarms (how far from its plateau the 60-epoch schedule stops) end the swarm target, so that the two targets finish
# about together.
bench-accuracy-swarms: install
	$(PY) -m benchmarks.accuracy --data synth --variants baseline fuse full --seeds 0 1 2 3 4 --epochs 60 \
	    --imgsz 256 --synth-images 600 300 --bootstrap 200 --out $(V2)-60ep
	$(PY) -m benchmarks.accuracy --data halmstad --native --variants baseline fuse --seeds 0 --epochs 30 --imgsz 320 \
	    --curve --bootstrap 200 --out $(V2)
	$(PY) -m benchmarks.accuracy --data synth --variants baseline --seeds 0 --epochs 90 --imgsz 256 \
	    --synth-images 600 300 --curve --bootstrap 200 --out $(V2)-90ep
	$(PY) -m benchmarks.accuracy --data synth --variants baseline --seeds 0 --epochs 150 --imgsz 256 \
	    --synth-images 600 300 --curve --bootstrap 200 --out $(V2)-150ep

# Each seed's runs are evaluated on the whole val clips as soon as they finish, while their weights are here (weights
# are not in git; benchmarks.clip_val evaluates each run once). Last, the stock model from scratch on the real frames
# at half the schedule (15 epochs), against its 30-epoch run: does the longer schedule still pay there?
bench-accuracy-real: install  # the swarm runs it starts from (stage 1, seed 0, 40 epochs) first
	$(PY) -m benchmarks.accuracy --data synth --variants baseline fuse --seeds 0 --epochs 40 --imgsz 256 \
	    --synth-images 600 300 --curve --bootstrap 200 --out $(V2)
	for last in 0 1 2 3 4; do \
	    $(PY) -m benchmarks.accuracy --data halmstad --native --variants baseline fuse --seeds $$(seq -s ' ' 0 $$last) \
	        --epochs 30 --imgsz 320 --bootstrap 200 --pretrain-from $(V2)/synth --pretrain-seed 0 --out $(V2)-swarm \
	    && $(PY) -m benchmarks.clip_val $(V2)-swarm --cue-off || exit 1; \
	done
	$(PY) -m benchmarks.accuracy --data halmstad --native --variants baseline --seeds 0 --epochs 15 --imgsz 320 \
	    --curve --bootstrap 200 --out $(V2)-15ep

# The val_<subset> folders of every finished run under a dataset folder: those not in this checkout (not in git) are
# read from the counts their result.json kept.
finished = $(patsubst %/result.json,%/val_$(2),$(sort $(wildcard $(1)/*/seed*/result.json)))

bench-accuracy-report: install
	$(PY) -m benchmarks.accuracy --data synth halmstad --no-train --report --out $(V2)
	$(PY) -m benchmarks.accuracy --data synth --variants baseline fuse full --no-train --report --out $(V2)-60ep
	$(PY) -m benchmarks.accuracy --data halmstad --variants baseline fuse full --no-train --report \
	    --out $(V2)-swarm --versus $(V2)
	$(if $(call finished,$(V2)-90ep/synth,all),$(PY) -m benchmarks.accuracy --data synth \
	    --variants baseline --no-train --report --out $(V2)-90ep)
	$(if $(call finished,$(V2)-150ep/synth,all),$(PY) -m benchmarks.accuracy --data synth \
	    --variants baseline --no-train --report --out $(V2)-150ep)
	$(if $(wildcard $(V2)-150ep/synth/baseline/seed0/result.json),$(PY) -m benchmarks.schedule_ladder \
	    $(V2)/synth/baseline/seed0 $(V2)-60ep/synth/baseline/seed0 $(V2)-90ep/synth/baseline/seed0 \
	    $(V2)-150ep/synth/baseline/seed0 --seed-spread $(V2)-60ep/synth/baseline \
	    --out benchmarks/results/schedule_ladder_synth_baseline.json --doc docs/results.md)
	$(if $(call finished,$(V2)-15ep/halmstad,all),$(PY) -m benchmarks.accuracy --data halmstad \
	    --variants baseline --no-train --report --out $(V2)-15ep)
	$(if $(wildcard $(V2)-15ep/halmstad/baseline/seed0/result.json),$(PY) -m benchmarks.schedule_ladder \
	    $(V2)-15ep/halmstad/baseline/seed0 $(V2)/halmstad/baseline/seed0 --seed-spread $(V2)-swarm/halmstad/baseline \
	    --out benchmarks/results/schedule_ladder_halmstad_baseline.json --doc docs/results.md)
	$(PY) -m benchmarks.clip_val $(V2)-swarm --cue-off --doc docs/results.md
	$(PY) -m benchmarks.accuracy_report --scoreboard $(V2)-60ep $(V2)-swarm $(V2)-swarm-clipval
	$(MAKE) --no-print-directory -o install bench-accuracy-errors  # installed above

# Where the AP goes, over every finished run. Its own target, run by a make of its own after clip_val: make expands a
# recipe's $(wildcard) before the recipe's first line runs, so in the same recipe the runs clip_val evaluates there
# would be left out.
bench-accuracy-errors: install
	$(if $(call finished,$(V2)-60ep/synth,all),$(PY) -m benchmarks.detection_errors \
	    $(call finished,$(V2)-60ep/synth,all) --out benchmarks/results/detection_errors_synth.json)
	$(if $(call finished,$(V2)-swarm/halmstad,visible),$(PY) -m benchmarks.detection_errors \
	    $(call finished,$(V2)-swarm/halmstad,visible) $(call finished,$(V2)-swarm/halmstad,thermal) \
	    --out benchmarks/results/detection_errors_real.json)
	$(if $(call finished,$(V2)-swarm-clipval/halmstad-clips,visible),$(PY) -m benchmarks.detection_errors \
	    $(call finished,$(V2)-swarm-clipval/halmstad-clips,visible) \
	    $(call finished,$(V2)-swarm-clipval/halmstad-clips,thermal) --out benchmarks/results/detection_errors_clips.json)

bench-tracking: install
	$(PY) -m benchmarks.tracking --frames 0

clean:
	rm -rf $(VENV) runs build dist *.egg-info .pytest_cache .install.lock
