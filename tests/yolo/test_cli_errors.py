"""The `yolo` and `srtod` commands print a user's mistake as its message; bugs keep their traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from srtod_yolo.yolo import cli_errors
from srtod_yolo.yolo.cli_errors import install_excepthook, is_user_error, short_message


def _raise(error, cause=None):
    try:
        raise error from cause
    except BaseException as e:  # noqa: BLE001 - the test inspects what was raised
        return e


def test_user_errors_are_told_from_bugs(monkeypatch):
    assert is_user_error(_raise(FileNotFoundError("clip.mp4 does not exist")))
    wrapped = _raise(RuntimeError("Dataset 'x.yaml' error: 'x.yaml' does not exist"), FileNotFoundError("x.yaml"))
    assert is_user_error(wrapped)  # ultralytics' wrapper of a missing file
    assert not is_user_error(_raise(ValueError("raised outside srtod-yolo")))  # raised in this test file
    assert not is_user_error(_raise(KeyError("a bug")))
    from srtod_yolo.data.images import check_frame  # srtod-yolo's own refusal of bad input is a user error
    from srtod_yolo.yolo.sliced import require_sahi

    # A failed import inside srtod-yolo is a bug: Python strips importlib's frames, so the raising frame is the
    # package's own import line; it must keep its traceback all the same.
    scope = {}
    package_file = str(cli_errors.PACKAGE / "yolo" / "sliced.py")
    exec(compile("def load():\n    import srtod_yolo.yolo.sliecd", package_file, "exec"), scope)
    typo = _raise_from(scope["load"])
    assert isinstance(typo, ModuleNotFoundError) and not is_user_error(typo)
    monkeypatch.setitem(sys.modules, "sahi", None)  # `import sahi` now fails, as when it is not installed
    named = _raise_from(require_sahi)  # srtod-yolo's own "install X" message is a user error
    assert isinstance(named, ModuleNotFoundError) and is_user_error(named) and "pip install" in str(named)
    refused = _raise_from(lambda: check_frame(np.zeros((4, 4), np.uint16)))
    assert isinstance(refused, ValueError) and is_user_error(refused)
    assert short_message(refused).startswith(
        "HighBitDepthError: the source is a uint16 array"
    ) and "SRTOD_YOLO_TRACEBACK=1" in short_message(refused)


def _raise_from(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError("expected an error")


def test_only_the_commands_get_the_hook(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    assert not install_excepthook("/usr/bin/python") and sys.excepthook is sys.__excepthook__
    assert install_excepthook("/venv/bin/yolo") and sys.excepthook is not sys.__excepthook__
    custom = sys.excepthook
    assert not install_excepthook("/venv/bin/srtod") and sys.excepthook is custom  # a hook already set stays


def _yolo(*args, env, cwd, **extra_env):
    yolo = str(Path(sys.executable).parent / "yolo")
    return subprocess.run([yolo, *args], capture_output=True, text=True, env={**env, **extra_env}, cwd=cwd, timeout=300)


@pytest.mark.slow
def test_yolo_with_a_missing_source_prints_the_message_not_a_traceback(env, tmp_path):
    args = ("predict", "model=srtod-yolov8n-p2-halmstad.pt", "source=nope.mp4", f"project={tmp_path}")
    short = _yolo(*args, env=env, cwd=tmp_path)
    assert short.returncode != 0
    assert "Traceback" not in short.stderr and "FileNotFoundError: nope.mp4 does not exist" in short.stderr
    assert short.stderr.strip().endswith(f"run the command again with {cli_errors.SWITCH}=1)")
    full = _yolo(*args, env=env, cwd=tmp_path, **{cli_errors.SWITCH: "1"})
    assert full.returncode != 0 and "Traceback (most recent call last)" in full.stderr


def test_a_failed_command_removes_only_the_empty_run_folders_it_made(tmp_path):
    import time

    project = tmp_path / "runs"
    for name in ("val", "val2", "train", "val-notes"):
        (project / name).mkdir(parents=True)
    (project / "val2" / "predictions.json").write_text("{}")  # a run with results stays
    argv = ["val", "model=m.pt", "data=d.yaml", f"project={project}"]
    later = cli_errors.remove_empty_run_folders(time.time() + 10, argv)  # all made before the command started
    assert later == [] and (project / "val").is_dir()
    removed = cli_errors.remove_empty_run_folders(time.time() - 5, argv)
    assert removed == [project / "val"]  # not val2 (holds a file), train (another mode), val-notes (another name)
    assert sorted(p.name for p in project.iterdir()) == ["train", "val-notes", "val2"]
    named = ["predict", "name=mine", f"project={project}"]
    (project / "mine3").mkdir()
    assert cli_errors.remove_empty_run_folders(time.time() - 5, named) == [project / "mine3"]  # project not empty
    for kept in ("train", "val-notes", "val2/predictions.json", "val2"):
        (project / kept).unlink() if kept.endswith(".json") else (project / kept).rmdir()
    (project / "val").mkdir()
    assert cli_errors.remove_empty_run_folders(time.time() - 5, argv) == [project / "val", project]


@pytest.mark.slow
def test_yolo_val_of_a_missing_dataset_leaves_no_empty_run_folder(env, tmp_path):
    project = tmp_path / "runs"
    args = ("val", "model=yolov8n-p2.yaml", f"data={tmp_path / 'missing.yaml'}", f"project={project}")
    failed = _yolo(*args, env=env, cwd=tmp_path)
    assert failed.returncode != 0 and "missing.yaml" in failed.stderr and "Traceback" not in failed.stderr
    assert not project.exists(), list(project.rglob("*"))  # its val folder and the project folder it made
