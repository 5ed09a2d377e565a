"""The released weights load by bare name with the stock `yolo` command and reproduce their recorded val metrics."""

import json

import pytest
from conftest import REPO, needs_halmstad, run

from srtod_yolo.metrics import evaluate_coco
from srtod_yolo.weights import released_weights

RECORDS = json.loads((REPO / "weights" / "metrics.json").read_text())


def test_every_released_checkpoint_is_recorded_and_small():
    released = {"yolov8n-p2-halmstad.pt", "srtod-yolov8n-p2-halmstad.pt", "srtod-rt-yolov8n-p2-halmstad.pt"}
    assert set(RECORDS) == set(released_weights()) == released
    for name, path in released_weights().items():
        assert path.stat().st_size < 10e6, name


@pytest.mark.slow
@needs_halmstad
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_released_weights_reproduce_their_recorded_val_metrics(name, sandbox, env, tmp_path):
    from benchmarks.accuracy import prepare_halmstad

    record = RECORDS[name]
    data = prepare_halmstad(tmp_path / "data")["all"]  # links to the shared frames; caches stay in tmp
    v = record["val"]
    run(
        ["yolo", "val", f"model={name}", f"data={data}", f"imgsz={v['imgsz']}", f"batch={v['batch']}"]
        + [f"conf={v['conf']}", "save_json=True", "plots=False", "workers=0", f"project={tmp_path}", "name=val"],
        cwd=sandbox,  # a directory without the file: the bare name resolves to the installed weights
        env=env,
    )
    gt = json.loads((tmp_path / "val" / "aitod_gt.json").read_text())
    detections = json.loads((tmp_path / "val" / "aitod_predictions.json").read_text())
    measured, recorded = evaluate_coco(gt, detections), record["metrics"]["all"]
    for key in ("AP", "AP50", "AP25", "AP_t", "AP_s", "AP_m"):
        assert measured[key] == pytest.approx(recorded[key], abs=0.001), key  # within 0.1 AP (x100)


def test_the_released_real_time_checkpoint_is_the_real_time_model():
    from ultralytics import YOLO

    model = YOLO(str(released_weights()["srtod-rt-yolov8n-p2-halmstad.pt"])).model
    paper = YOLO(str(released_weights()["srtod-yolov8n-p2-halmstad.pt"])).model
    assert model.yaml["srtod"]["head"] == "half" and paper.yaml["srtod"]["head"] == "convt"
    assert sum(p.numel() for p in model.parameters()) < sum(p.numel() for p in paper.parameters())


def test_a_misspelled_released_name_fails_at_once_naming_the_released_checkpoints(tmp_path, monkeypatch):
    from ultralytics import YOLO

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="Did you mean srtod-yolov8n-p2-halmstad.pt.*Released"):
        YOLO("srtod-yolov8n-p2-halmstd.pt")
    with pytest.raises(FileNotFoundError, match="not a released srtod-yolo checkpoint"):
        YOLO("srtod-yolov9000.pt")  # any srtod-* name: ultralytics' servers never have one


def test_ultralytics_asset_names_are_left_to_ultralytics():
    from srtod_yolo.weights import misspelled_weights

    assert misspelled_weights("yolov8n.pt") is None and misspelled_weights("yolo26s.pt") is None
    assert misspelled_weights("yolov8n-p2-halmstad.pt") is None  # released
