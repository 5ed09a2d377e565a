"""Exports of released checkpoints loaded by bare name land in the working directory, never in the package."""

import pytest

from srtod_yolo.weights import released_weights, weights_dir


@pytest.mark.slow
@pytest.mark.parametrize("name", ["yolov8n-p2-halmstad.pt", "srtod-yolov8n-p2-halmstad.pt"])
def test_export_of_a_released_checkpoint_by_bare_name_writes_into_the_working_directory(name, tmp_path, monkeypatch):
    from ultralytics import YOLO

    assert name in released_weights()
    before = sorted(p.name for p in weights_dir().iterdir())
    monkeypatch.chdir(tmp_path)
    out = YOLO(name).export(format="torchscript", imgsz=64)
    assert str(out) == str(tmp_path / name.replace(".pt", ".torchscript"))
    assert (tmp_path / name.replace(".pt", ".torchscript")).is_file()
    assert sorted(p.name for p in weights_dir().iterdir()) == before  # nothing written beside the released weights


@pytest.mark.slow
def test_export_of_a_copied_checkpoint_stays_beside_the_copy(tmp_path, monkeypatch):
    import shutil

    from ultralytics import YOLO

    copy = tmp_path / "mine" / "yolov8n-p2-halmstad.pt"
    copy.parent.mkdir()
    shutil.copy(released_weights()["yolov8n-p2-halmstad.pt"], copy)
    monkeypatch.chdir(tmp_path)
    out = YOLO(str(copy)).export(format="torchscript", imgsz=64)
    assert str(out) == str(copy.with_suffix(".torchscript"))  # ultralytics' convention for a user's own file
