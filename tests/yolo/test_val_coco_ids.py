"""`yolo val save_json=True` on a converted COCO dataset writes the source's image and category ids, so scoring its
json against the source's own annotation file with pycocotools gives the AP that `yolo val` printed."""

import csv
import json
from contextlib import redirect_stdout
from io import StringIO

import cv2
import pytest
from conftest import REPO

from srtod_yolo.data.convert import convert_coco, convert_dataset

CLIP = REPO / "srtod_yolo" / "assets" / "clips" / "IR_DRONE_025"  # real CC0 thermal frames, with their labels
FRAMES = {5007: 0, 12: 18, 903: 42}  # source image id -> frame; neither 1..N nor in file-name order
CATEGORIES = [{"id": 3, "name": "drone"}, {"id": 1, "name": "bird"}, {"id": 7, "name": "airplane"}]
CATEGORIES += [{"id": 9, "name": "helicopter"}]


def source_dataset(folder, categories):
    """Real frames with a COCO json of the source's own ids: {folder}/ann.json and {folder}/frames/seq/*.png."""
    boxes = {}
    with open(f"{CLIP}_LABELS.csv", newline="") as f:
        for row in csv.DictReader(f):
            boxes.setdefault(int(row["frame"]), []).append([float(row[k]) for k in ("x", "y", "width", "height")])
    cap = cv2.VideoCapture(f"{CLIP}.mp4")
    frames = {}
    for index in range(max(FRAMES.values()) + 1):
        ok, frame = cap.read()
        assert ok
        frames[index] = frame
    (folder / "frames" / "seq").mkdir(parents=True)
    images, annotations = [], []
    for image_id, index in FRAMES.items():
        name = f"seq/frame_{index:03d}.png"  # a sub-folder in file_name: converted to seq_frame_000.png
        cv2.imwrite(str(folder / "frames" / name), frames[index])
        height, width = frames[index].shape[:2]
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for box in boxes.get(index, []):
            annotations.append(
                {"id": 100 + len(annotations), "image_id": image_id, "category_id": 3, "bbox": box}
                | {"area": box[2] * box[3], "iscrowd": 0}
            )
    ann = folder / "ann.json"
    ann.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return ann


def score(annotation_file, predictions_file) -> float:
    """AP over IoU 0.5:0.95 of a COCO results file against an annotation file, by pycocotools (1,500 dets/image)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with redirect_stdout(StringIO()):
        gt = COCO(str(annotation_file))
        ev = COCOeval(gt, gt.loadRes(str(predictions_file)), "bbox")
        ev.params.maxDets = [1, 100, 1500]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])


def val(data, project, **kwargs):
    from ultralytics import YOLO

    model = YOLO("srtod-yolov8n-p2-halmstad.pt")
    args = dict(imgsz=320, batch=3, workers=0, plots=False, save_json=True, project=str(project), name="val")
    return model.val(data=str(data), **args, **kwargs)


@pytest.mark.slow
def test_json_of_a_converted_coco_dataset_scores_against_the_source_as_yolo_val(tmp_path):
    ann = source_dataset(tmp_path / "raw", CATEGORIES)
    out = tmp_path / "yolo"
    convert_coco(ann, tmp_path / "raw" / "frames", out, "val", names=["drone", "bird", "airplane", "helicopter"])
    (out / "data.yaml").write_text(
        f"path: {out}\ntrain: images/val\nval: images/val\nnames: {{0: drone, 1: bird, 2: airplane, 3: helicopter}}\n"
    )
    metrics = val(out / "data.yaml", tmp_path / "runs")
    run = tmp_path / "runs" / "val"
    predictions = json.loads((run / "predictions.json").read_text())
    assert predictions and {p["image_id"] for p in predictions} <= set(FRAMES)
    assert {p["category_id"] for p in predictions} <= {3, 1, 7, 9}
    assert metrics.aitod["AP"] > 0.1  # the released model finds these drones: the comparison below means something
    assert score(ann, run / "predictions.json") == pytest.approx(metrics.aitod["AP"], abs=2e-3)
    assert score(ann, run / "aitod_predictions.json") == pytest.approx(metrics.aitod["AP"], abs=1e-6)
    gt = json.loads((run / "aitod_gt.json").read_text())
    assert sorted(i["id"] for i in gt["images"]) == sorted(FRAMES)
    assert [c["id"] for c in gt["categories"]] == [3, 1, 7, 9]


@pytest.mark.slow
def test_droneswarms_json_keeps_the_source_ids_with_single_cls(tmp_path):
    raw = tmp_path / "droneswarms"
    ann = source_dataset(raw / "test", [{"id": 3, "name": "drone"}])
    ann.rename(raw / "test" / "test.json")
    (raw / "test" / "frames").rename(raw / "test" / "JPEGImages")
    convert_dataset("droneswarms", raw, tmp_path / "yolo")  # the test split only: it becomes val
    metrics = val(tmp_path / "yolo" / "data.yaml", tmp_path / "runs", single_cls=True)
    predictions = tmp_path / "runs" / "val" / "predictions.json"
    assert {p["category_id"] for p in json.loads(predictions.read_text())} == {3}
    assert score(raw / "test" / "test.json", predictions) == pytest.approx(metrics.aitod["AP"], abs=2e-3)
