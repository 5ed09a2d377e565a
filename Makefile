# The README's two commands: `make demo` and `make test`. Both set up .venv first (`make install`).
VENV   ?= .venv
PY     := $(VENV)/bin/python
# This machine's PyTorch (local wheels, a CUDA build that also runs on CPU). Override for another platform,
# e.g. `make install TORCH="torch torchvision"`. pyproject.toml itself asks for a range.
TORCH  ?= torch==2.14.1 torchvision==0.29.1
export YOLO_OFFLINE ?= 1

.PHONY: install demo test lint dist bench-latency bench-deploy bench-accuracy bench-tracking clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev,openvino]'
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

bench-accuracy: install
	$(PY) -m benchmarks.accuracy

bench-tracking: install
	$(PY) -m benchmarks.tracking --frames 0

clean:
	rm -rf $(VENV) runs build dist *.egg-info .pytest_cache
