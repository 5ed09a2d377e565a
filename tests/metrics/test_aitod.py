import copy
import json
import math

import numpy as np
import pytest
from faster_coco_eval_aitod import COCO as ReferenceCOCO
from faster_coco_eval_aitod import COCOeval_faster as ReferenceEval

from srtod_yolo.metrics import AITODEvaluator, evaluate_coco

REFERENCE_INDEX = {"AP": 0, "AP50": 2, "AP75": 3, "AP_vt": 4, "AP_t": 5, "AP_s": 6, "AP_m": 7}


def reference(gt: dict, detections: list[dict]) -> dict:
    """AI-TOD's own evaluator (faster-coco-eval-aitod), default settings, plus a run at IoU 0.25 for AP@0.25."""
    out = {}
    for thresholds in (None, [0.25]):
        coco = ReferenceCOCO(copy.deepcopy(gt))
        ev = ReferenceEval(coco, coco.loadRes(copy.deepcopy(detections)), iouType="bbox")
        if thresholds:
            ev.params.iouThrs = np.array(thresholds)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        if thresholds:
            out["AP25"] = ev.stats[1]
        else:
            out.update({k: ev.stats[i] for k, i in REFERENCE_INDEX.items()})
    return {k: float("nan") if v < 0 else float(v) for k, v in out.items()}


def assert_same(ours: dict, ref: dict):
    for key, value in ref.items():
        if math.isnan(value):
            assert math.isnan(ours[key]), key
        else:
            assert ours[key] == pytest.approx(value, abs=1e-6), key


def crafted_case(seed: int = 0) -> AITODEvaluator:
    """Two classes, boxes in every AI-TOD bin (sizes 3 to 60 px), jittered detections and false positives."""
    rng = np.random.default_rng(seed)
    ev = AITODEvaluator({0: "drone", 1: "bird"})
    sizes = [3, 5, 7, 9, 12, 15, 18, 24, 30, 40, 60]
    for i in range(40):
        n = int(rng.integers(1, 9))
        s = rng.choice(sizes, n)
        xy = rng.uniform(0, 250, (n, 2))
        boxes = np.concatenate([xy, xy + s[:, None] * rng.uniform(0.7, 1.3, (n, 2))], 1)
        cls = rng.integers(0, 2, n)
        ev.add_image(f"img_{i}.jpg", 320, 320, boxes, cls)
        keep = rng.random(n) < 0.8
        det = boxes[keep] + rng.normal(0, 1.0, (keep.sum(), 4))
        fp = rng.uniform(0, 280, (3, 2))
        fp = np.concatenate([fp, fp + rng.uniform(2, 40, (3, 2))], 1)
        ev.add_detections(
            f"img_{i}.jpg",
            np.vstack([det, fp]),
            rng.random(keep.sum() + 3),
            np.concatenate([cls[keep], rng.integers(0, 2, 3)]),
        )
    return ev


def test_crafted_case_has_every_bin_and_matches_the_aitod_evaluator():
    ev = crafted_case()
    gt, detections = ev.to_coco()
    areas = [a["area"] for a in gt["annotations"]]
    assert (
        min(areas) < 64
        and any(64 <= a < 256 for a in areas)
        and any(256 <= a < 1024 for a in areas)
        and max(areas) >= 1024
    )
    ours = ev.evaluate()
    assert_same(ours, reference(gt, detections))
    assert 0 < ours["AP_vt"] < ours["AP_m"] < 1  # jitter hurts tiny boxes most
    assert ours["AP25"] > ours["AP50"] > ours["AP75"]


def test_perfect_detections_score_one_and_misses_score_zero():
    ev = AITODEvaluator({0: "drone"})
    ev.add_image("a.jpg", 100, 100, [[10, 10, 14, 14], [50, 50, 62, 62]], [0, 0])
    ev.add_detections("a.jpg", [[10, 10, 14, 14], [50, 50, 62, 62]], [0.9, 0.8], [0, 0])
    r = ev.evaluate()
    assert r["AP"] == 1.0 and r["AP_vt"] == 1.0 and r["AP_t"] == 1.0
    assert math.isnan(r["AP_s"]) and math.isnan(r["AP_m"])  # no ground truth in those bins
    empty = AITODEvaluator({0: "drone"})
    empty.add_image("a.jpg", 100, 100, [[10, 10, 14, 14]], [0])
    r = empty.evaluate()
    assert r["AP"] == 0.0 and r["AP_vt"] == 0.0 and math.isnan(r["AP_t"])


def test_a_loose_box_counts_at_iou_025_only():
    ev = AITODEvaluator({0: "drone"})
    ev.add_image("a.jpg", 100, 100, [[40, 40, 60, 60]], [0])  # the Halmstad case: a loose box around a small drone
    ev.add_detections("a.jpg", [[44, 44, 56, 56]], [0.9], [0])  # IoU = 144 / 400 = 0.36
    r = ev.evaluate()
    assert r["AP25"] == 1.0 and r["AP50"] == 0.0


def test_up_to_1500_detections_per_image_count():
    ev = AITODEvaluator({0: "drone"})
    boxes = np.array(
        [[x * 4, y * 4, x * 4 + 3, y * 4 + 3] for x in range(40) for y in range(30)], np.float64
    )  # 1200 drones
    ev.add_image("swarm.jpg", 160, 120, boxes, np.zeros(len(boxes)))
    ev.add_detections("swarm.jpg", boxes, np.linspace(1, 0.5, len(boxes)), np.zeros(len(boxes)))
    assert ev.evaluate()["AP"] == pytest.approx(1.0)  # with COCO's 100 this would be < 0.1


def test_adding_an_image_twice_or_unknown_detections_fails():
    ev = AITODEvaluator({0: "drone"})
    ev.add_image("a.jpg", 10, 10, [], [])
    with pytest.raises(ValueError, match="added twice"):
        ev.add_image("a.jpg", 10, 10, [], [])
    with pytest.raises(KeyError, match="no ground truth"):
        ev.add_detections("b.jpg", [[0, 0, 1, 1]], [1.0], [0])


def test_evaluators_merge_like_ddp_ranks():
    whole = crafted_case(1)
    names = sorted(whole.records)
    a, b = AITODEvaluator(whole.names), AITODEvaluator(whole.names)
    a.records = {n: whole.records[n] for n in names[::2]}
    b.records = {n: whole.records[n] for n in names[1::2]}
    a.merge(b.records)
    assert_same(a.evaluate(), whole.evaluate())


@pytest.mark.slow
def test_trained_model_metrics_equal_the_aitod_evaluator(trained, tiny_synth, sandbox):
    """`yolo val`'s AI-TOD numbers on a real (tiny) trained model, against AI-TOD's evaluator on its exported json."""
    from ultralytics import YOLO

    metrics = YOLO(trained / "weights" / "best.pt").val(
        data=str(tiny_synth / "data.yaml"),
        imgsz=160,
        batch=4,
        workers=0,
        conf=0.001,
        save_json=True,
        plots=True,
        project=str(sandbox / "runs"),
        name="val-aitod",
        exist_ok=True,
    )
    folder = sandbox / "runs" / "val-aitod"
    gt = json.loads((folder / "aitod_gt.json").read_text())
    detections = json.loads((folder / "aitod_predictions.json").read_text())
    assert len(gt["images"]) == 8 and len(detections) > 0
    assert_same(metrics.aitod, reference(gt, detections))
    assert (folder / "PR_curve_aitod.png").is_file()


@pytest.mark.slow
def test_training_writes_aitod_columns_to_results_csv(trained):
    header = (trained / "results.csv").read_text().splitlines()[0]
    for key in ("AP_vt", "AP_t", "AP_s", "AP_m", "AP25"):
        assert f"metrics/{key}(B)" in header


def test_evaluate_coco_without_ground_truth_is_nan():
    r = evaluate_coco({"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1}]}, [])
    assert all(math.isnan(v) for v in r.values())


def test_the_size_legend_states_the_bins_the_evaluator_uses():
    from srtod_yolo.sizes import size_bin, size_legend

    # AI-TOD's areaRng: very tiny < 8^2, tiny 8^2-16^2, small 16^2-32^2, medium >= 32^2 (no upper bound)
    assert size_legend() == "AP_vt < 8 px, AP_t 8-16, AP_s 16-32, AP_m >= 32 px"
    sides = {7.9: "very_tiny", 8: "tiny", 15.9: "tiny", 16: "small", 31.9: "small", 32: "medium", 64: "medium"}
    assert {side: size_bin(side**2) for side in sides} == sides


def test_one_class_ap_counts_that_class_only_and_keeps_its_false_positives():
    from srtod_yolo.metrics import class_subset

    ev = AITODEvaluator({0: "drone", 1: "bird"})
    ev.add_image("a.jpg", 100, 100, [[10, 10, 14, 14], [50, 50, 62, 62]], [0, 1])
    ev.add_image("b.jpg", 100, 100, [[30, 30, 40, 40]], [1])  # no drone here
    ev.add_detections("a.jpg", [[10, 10, 14, 14], [70, 70, 80, 80]], [0.9, 0.8], [0, 1])  # the bird missed
    ev.add_detections("b.jpg", [[30, 30, 40, 40]], [0.95], [0])  # a bird called a drone, above the real drone
    gt, detections = ev.to_coco()
    assert evaluate_coco(gt, detections)["AP"] < 0.5  # the mean over drone and bird
    drone_gt, drone_detections = class_subset(gt, detections, "Drone")
    assert len(drone_gt["images"]) == 2 and [c["name"] for c in drone_gt["categories"]] == ["drone"]
    assert len(drone_gt["annotations"]) == 1 and len(drone_detections) == 2
    # one drone, found at rank 2 after a false positive on b.jpg: precision 1/2 at recall 1
    assert evaluate_coco(drone_gt, drone_detections)["AP"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no category named 'plane'.*drone, bird"):
        class_subset(gt, detections, "plane")
