"""Shared fixtures: an offline, isolated ultralytics, a tiny synthetic dataset, and one real `yolo train` run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED_DATA = REPO.parent / "shared" / "data" / "real-halmstad-drone"
# Tests on the real frames skip in a clone that has no ../shared beside it (CI runs with it).
needs_halmstad = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs the shared real-halmstad-drone frames")


def pytest_configure(config):
    os.environ.setdefault("YOLO_OFFLINE", "1")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Path:
    """A working directory outside any git repository, with its own ultralytics settings."""
    root = tmp_path_factory.mktemp("sandbox")
    (root / "config").mkdir()
    return root


@pytest.fixture(scope="session")
def env(sandbox) -> dict:
    """Environment for subprocesses: offline, fresh ultralytics settings, one thread, no colours."""
    e = dict(os.environ)
    e.update(
        YOLO_OFFLINE="1",
        YOLO_CONFIG_DIR=str(sandbox / "config"),
        OMP_NUM_THREADS="2",
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
        YOLO_VERBOSE="True",
    )
    e.pop("PYTEST_CURRENT_TEST", None)  # else ultralytics believes it runs its own tests and moves the outputs
    e.pop("SRTOD_YOLO_HOOKS", None)
    e.pop("ULTRALYTICS_SAFE_LOAD", None)
    return e


def logged(call) -> str:
    """Run `call()` and return what it logged through ultralytics' LOGGER (and the loggers under it), one line each."""
    import logging

    from ultralytics.utils import LOGGER

    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    LOGGER.addHandler(handler)
    try:
        call()
    finally:
        LOGGER.removeHandler(handler)
    return "\n".join(records)


def run(args: list[str], cwd: Path, env: dict, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command (the `yolo`/`srtod` executables of this venv), return the completed process with its output."""
    exe = BIN / args[0]
    cmd = [str(exe) if exe.exists() else args[0], *args[1:]]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def tiny_synth(sandbox) -> Path:
    """A tiny synthetic anti-UAV set (24 train, 8 val, 160x128) with a 20-frame swarm video."""
    from srtod_yolo.data.synth import build_dataset

    root = sandbox / "tiny-synth"
    build_dataset(root, train=24, val=8, seed=3, width=160, height=128, workers=0, video_frames=20)
    return root


def train_tiny(sandbox: Path, env: dict, tiny_synth: Path, model: str, name: str, *extra: str):
    """One stock `yolo train` of `model` on the tiny set (1 epoch, imgsz 160, batch 8) into sandbox/runs/<name>.

    Returns the run folder and the completed process (its output); `extra` adds arguments (`seed=0`, `pretrained=...`).
    """
    command = ["yolo", "train", f"model={model}", f"data={tiny_synth / 'data.yaml'}", "epochs=1", "imgsz=160"]
    command += ["batch=8", "workers=0", "plots=False", *extra, f"project={sandbox / 'runs'}", f"name={name}"]
    out = run([*command, "exist_ok=True"], cwd=sandbox, env=env)
    return sandbox / "runs" / name, out


@pytest.fixture(scope="session")
def trained(sandbox, env, tiny_synth) -> Path:
    """One `yolo train` of srtod-yolov8n-p2 on the tiny set (1 epoch, imgsz 160); returns the run folder."""
    return train_tiny(sandbox, env, tiny_synth, "srtod-yolov8n-p2.yaml", "train", "seed=0", "deterministic=True")[0]
