"""Ignore regions (VisDrone's ignored regions, COCO crowds) in the AI-TOD metrics, against AI-TOD's evaluator."""

import numpy as np
import pytest
from test_aitod import assert_same, reference

from srtod_yolo.data.ignore import ALL_CLASSES, format_ignore_line, ignore_file_of, read_ignore_regions
from srtod_yolo.metrics import AITODEvaluator


def crowded_case(seed: int = 0) -> AITODEvaluator:
    """Two classes, boxes of every AI-TOD size, and in each image ignore regions (for every class or for one)
    with false positives of both classes inside them, some with high scores."""
    rng = np.random.default_rng(seed)
    ev = AITODEvaluator({0: "car", 1: "person"})
    sizes = [3, 5, 7, 9, 12, 15, 18, 24, 30, 40, 60]
    for i in range(30):
        n = int(rng.integers(1, 8))
        s = rng.choice(sizes, n)
        xy = rng.uniform(0, 200, (n, 2))
        boxes = np.concatenate([xy, xy + s[:, None] * rng.uniform(0.7, 1.3, (n, 2))], 1)
        cls = rng.integers(0, 2, n)
        regions = np.array([[220, 220, 300, 300], [230, 10, 290, 70]], np.float64)
        region_classes = [ALL_CLASSES, int(rng.integers(0, 2))]
        ev.add_image(f"img_{i}.jpg", 320, 320, boxes, cls, ignore=regions, ignore_classes=region_classes)
        keep = rng.random(n) < 0.8
        det = boxes[keep] + rng.normal(0, 1.0, (keep.sum(), 4))
        inside = rng.uniform(0, 50, (4, 2)) + np.array([[225, 225], [225, 225], [235, 12], [235, 12]])
        inside = np.concatenate([inside, inside + rng.uniform(3, 20, (4, 2))], 1)
        fp = rng.uniform(0, 200, (2, 2))
        fp = np.concatenate([fp, fp + rng.uniform(2, 40, (2, 2))], 1)
        ev.add_detections(
            f"img_{i}.jpg",
            np.vstack([det, inside, fp]),
            np.concatenate([rng.random(keep.sum()), rng.uniform(0.5, 1.0, 4), rng.random(2)]),
            np.concatenate([cls[keep], rng.integers(0, 2, 6)]),
        )
    return ev


def test_crowd_regions_match_the_aitod_evaluator():
    ev = crowded_case()
    gt, detections = ev.to_coco()
    crowds = [a for a in gt["annotations"] if a["iscrowd"]]
    # 30 images: one region for both categories (2 crowds) plus one for a single category (1 crowd)
    assert len(crowds) == 30 * 3
    ours = ev.evaluate()
    assert_same(ours, reference(gt, detections))
    assert 0 < ours["AP"] < 1


def test_ignore_regions_change_the_score_only_through_the_detections_inside_them():
    with_regions = crowded_case(1).evaluate()
    without = crowded_case(1)
    for record in without.records.values():
        record["ignore"] = (np.zeros((0, 4)), np.zeros(0, np.int64))
    assert with_regions["AP"] > without.evaluate()["AP"]  # the confident false positives inside now count


def test_a_detection_inside_an_ignored_region_does_not_lower_ap():
    def score(ignore, ignore_classes=None):
        ev = AITODEvaluator({0: "car", 1: "person"})
        ev.add_image("a.jpg", 100, 100, [[10, 10, 16, 16]], [0], ignore=ignore, ignore_classes=ignore_classes)
        # a confident false positive at (60, 60), above the true detection's score
        ev.add_detections("a.jpg", [[60, 60, 66, 66], [10, 10, 16, 16]], [0.95, 0.9], [0, 0])
        return ev.evaluate()["AP"]

    assert score(None) == pytest.approx(0.5, abs=0.01)  # precision 1/2 at the only recall point
    assert score([[50, 50, 80, 80]]) == 1.0  # a region of every class
    assert score([[50, 50, 80, 80]], [0]) == 1.0  # a crowd of the detection's own class
    assert score([[50, 50, 80, 80]], [1]) == pytest.approx(0.5, abs=0.01)  # another class's crowd: still counted
    assert score([[0, 0, 5, 5]]) == pytest.approx(0.5, abs=0.01)  # a region elsewhere changes nothing


def test_ignore_files_round_trip_to_pixel_regions(tmp_path):
    path = ignore_file_of(tmp_path / "images" / "val" / "a.jpg")
    assert path == tmp_path / "ignore" / "val" / "a.txt"
    path.parent.mkdir(parents=True)
    path.write_text(format_ignore_line((0.5, 0.25, 0.2, 0.1)) + "\n" + format_ignore_line((0.1, 0.1, 0.2, 0.2), 3))
    boxes, classes = read_ignore_regions(path, 200, 100)
    np.testing.assert_allclose(boxes, [[80, 20, 120, 30], [0, 0, 40, 20]])
    assert classes.tolist() == [ALL_CLASSES, 3]
    assert read_ignore_regions(tmp_path / "none.txt", 10, 10)[0].shape == (0, 4)
    path.write_text("0.5 0.5 oops\n")
    with pytest.raises(ValueError, match=r"a\.txt:1"):
        read_ignore_regions(path, 10, 10)
    with pytest.raises(ValueError, match="not under an 'images' folder"):
        ignore_file_of(tmp_path / "a.jpg")


def test_regions_and_classes_must_pair():
    ev = AITODEvaluator({0: "car"})
    with pytest.raises(ValueError, match="2 ignore regions but 1 classes"):
        ev.add_image("a.jpg", 10, 10, [], [], ignore=[[0, 0, 1, 1], [2, 2, 3, 3]], ignore_classes=[0])


@pytest.mark.slow
def test_yolo_val_reads_ignore_files_beside_the_labels(trained, tiny_synth, tmp_path):
    """`yolo val` on a copy of the tiny set with ignore files: crowds in the exported ground truth, same numbers
    as AI-TOD's evaluator on it, and no lower AP than without them."""
    import json
    import shutil

    from ultralytics import YOLO

    from srtod_yolo.metrics import evaluate_coco

    root = tmp_path / "set"
    for folder in ("images", "labels"):
        shutil.copytree(tiny_synth / folder / "val", root / folder / "val")
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/val\nval: images/val\nnames:\n  0: drone\n")
    for image in (root / "images" / "val").glob("*.jpg"):
        path = ignore_file_of(image)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("0.25 0.5 0.5 1.0\n0 0.75 0.5 0.1 0.1\n")  # left half, all classes; a drone-only patch
    metrics = YOLO(trained / "weights" / "best.pt").val(
        data=str(root / "data.yaml"),
        imgsz=160,
        batch=4,
        workers=0,
        conf=0.001,
        save_json=True,
        plots=False,
        project=str(tmp_path / "runs"),
        name="val",
    )
    gt = json.loads((tmp_path / "runs" / "val" / "aitod_gt.json").read_text())
    detections = json.loads((tmp_path / "runs" / "val" / "aitod_predictions.json").read_text())
    crowds = [a for a in gt["annotations"] if a["iscrowd"]]
    assert len(gt["images"]) == 8 and len(crowds) == 16
    left = [a for a in crowds if a["bbox"][0] == 0]
    assert len(left) == 8 and all(a["bbox"][2] == pytest.approx(80) for a in left)  # half of 160 px
    assert_same(metrics.aitod, reference(gt, detections))
    without = evaluate_coco({**gt, "annotations": [a for a in gt["annotations"] if not a["iscrowd"]]}, detections)
    assert metrics.aitod["AP25"] >= without["AP25"] and metrics.aitod["AP"] >= without["AP"]
