"""`srtod val`: each image size of a split validated at its own size, the AI-TOD metrics merged."""

import json

import pytest
import yaml
from conftest import run

from srtod_yolo.metrics import evaluate_coco


@pytest.fixture(scope="module")
def mixed_sizes(sandbox, tiny_synth):
    """A val split of two image sizes: the tiny set's 8 frames of 160x128 and 6 frames of 224x176."""
    from srtod_yolo.data.synth import build_dataset

    wide = sandbox / "tiny-synth-224"
    build_dataset(wide, train=0, val=6, seed=5, width=224, height=176, workers=0, video_frames=0)
    files = sorted((tiny_synth / "images" / "val").glob("*")) + sorted((wide / "images" / "val").glob("*"))
    listing = sandbox / "mixed_val.txt"
    listing.write_text("".join(f"{f}\n" for f in files))
    data = sandbox / "mixed.yaml"
    data.write_text(yaml.safe_dump({"train": str(listing), "val": str(listing), "names": {0: "drone"}}))
    return data


def _coco(folder):
    return json.loads((folder / "aitod_gt.json").read_text()), json.loads(
        (folder / "aitod_predictions.json").read_text()
    )


def test_each_size_is_validated_at_its_own_size_and_all_is_their_merged_evaluation(mixed_sizes, tmp_path):
    from benchmarks.paired import merge_coco
    from srtod_yolo.yolo.native_val import validate_native

    result = validate_native(
        "yolov8n-p2-swarm.pt", mixed_sizes, project=tmp_path, batch=4, workers=0, plots=False, save_json=True
    )
    groups = result["groups"]
    assert {k: (g["images"], g["imgsz"]) for k, g in groups.items()} == {"160x128": (8, 160), "224x176": (6, 224)}
    parts = [_coco(tmp_path / "val-native" / label) for label in groups]
    for (label, group), part in zip(groups.items(), parts):
        assert group["save_dir"] == str(tmp_path / "val-native" / label)
        assert group["metrics"]["AP"] == pytest.approx(evaluate_coco(*part)["AP"], abs=1e-9)
    merged_gt, merged_dt = _coco(tmp_path / "val-native")  # the merged files hold every image once
    assert len(merged_gt["images"]) == 14 and len(merged_dt) == sum(len(dt) for _, dt in parts) > 0
    expected = evaluate_coco(*merge_coco(parts))
    for key, value in result["all"]["metrics"].items():
        assert value == pytest.approx(expected[key], abs=1e-9, nan_ok=True), key
    record = json.loads((tmp_path / "val-native" / "metrics.json").read_text())
    assert record["all"]["images"] == 14 and set(record["groups"]) == set(groups)


def test_one_imgsz_for_every_size_equals_one_stock_yolo_val(mixed_sizes, tmp_path):
    from ultralytics import YOLO

    from srtod_yolo.yolo.native_val import validate_native

    native = validate_native("yolov8n-p2-swarm.pt", mixed_sizes, imgsz=160, project=tmp_path, batch=4, workers=0)
    assert [g["imgsz"] for g in native["groups"].values()] == [160, 160]
    stock = YOLO("yolov8n-p2-swarm.pt").val(data=str(mixed_sizes), imgsz=160, batch=4, workers=0, project=tmp_path)
    for key, value in stock.aitod.items():
        assert native["all"]["metrics"][key] == pytest.approx(value, abs=1e-9, nan_ok=True), key


def test_bad_arguments_name_themselves(mixed_sizes, tmp_path):
    from srtod_yolo.yolo.native_val import validate_native

    with pytest.raises(ValueError, match="imgsz='big'"):
        validate_native("yolov8n-p2-swarm.pt", mixed_sizes, imgsz="big", project=tmp_path)
    with pytest.raises(ValueError, match="split='test' is not in the data YAML"):
        validate_native("yolov8n-p2-swarm.pt", mixed_sizes, split="test", project=tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        validate_native("missing.pt", mixed_sizes, project=tmp_path)
    assert not any(tmp_path.iterdir())  # a failed run leaves no folder


def test_a_run_that_fails_while_validating_removes_its_own_folder_only(mixed_sizes, tmp_path):
    from srtod_yolo.yolo.native_val import validate_native

    (tmp_path / "val-native").mkdir()  # an earlier run's: kept
    with pytest.raises(SyntaxError, match="'confidence' is not a valid YOLO argument"):
        validate_native("yolov8n-p2-swarm.pt", mixed_sizes, project=tmp_path, confidence=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["val-native"]


def test_the_command_needs_a_model_and_data_and_passes_other_arguments_to_ultralytics(mixed_sizes, sandbox, env):
    proc = run(["srtod", "val", f"data={mixed_sizes}"], cwd=sandbox, env=env, check=False)
    assert proc.returncode != 0 and "srtod val: model missing" in proc.stderr
    proc = run(
        ["srtod", "val", "model=yolov8n-p2-swarm.pt", f"data={mixed_sizes}", "confidence=0.1"],
        sandbox,
        env,
        check=False,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "srtod: unknown argument 'confidence'; valid: data, imgsz" in proc.stderr  # checked before any work
