import numpy as np
import pytest
from scipy import stats

from benchmarks.paired import detectable_effect, image_resamples, merge_coco, paired_difference, replicate_metrics
from srtod_yolo.metrics.aitod import evaluate_coco


def _gt_and_detections(n_images=6, shift=0.0):
    gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "drone"}]}
    detections = []
    for i in range(1, n_images + 1):
        gt["images"].append({"id": i, "file_name": f"f{i:02d}.png", "width": 64, "height": 64})
        box = [10.0 + i, 12.0, 6.0, 6.0]
        gt["annotations"].append({"id": i, "image_id": i, "category_id": 1, "bbox": box, "area": 36.0, "iscrowd": 0})
        off = shift * (i % 3)  # some detections off by a few pixels: AP between 0 and 1
        detections.append({"image_id": i, "category_id": 1, "bbox": [box[0] + off, 12.0, 6.0, 6.0], "score": 0.9})
        detections.append({"image_id": i, "category_id": 1, "bbox": [40.0, 40.0, 5.0, 5.0], "score": 0.5 + i / 100})
    return gt, detections


def test_the_identity_resample_gives_the_whole_split_metrics():
    gt, detections = _gt_and_detections(shift=2.0)
    whole = evaluate_coco(gt, detections)
    replicates = replicate_metrics(gt, detections, np.arange(6)[None, :])
    assert replicates["AP"][0] == pytest.approx(whole["AP"], abs=1e-6)
    assert replicates["AP_vt"][0] == pytest.approx(whole["AP_vt"], abs=1e-6)


def test_a_resample_of_one_image_repeated_scores_that_image_alone():
    gt, detections = _gt_and_detections(shift=2.0)
    alone = evaluate_coco(
        {**gt, "images": gt["images"][:1], "annotations": gt["annotations"][:1]},
        [d for d in detections if d["image_id"] == 1],
    )
    assert replicate_metrics(gt, detections, np.zeros((1, 6), int))["AP"][0] == pytest.approx(alone["AP"], abs=1e-6)


def test_image_resamples_are_reproducible_and_draw_with_replacement():
    a, b = image_resamples(50, 30, seed=0), image_resamples(50, 30, seed=0)
    assert np.array_equal(a, b) and a.shape == (30, 50) and a.max() < 50
    assert any(len(set(row)) < 50 for row in a)


def test_merged_ground_truths_keep_every_image_and_box_apart():
    first, second = _gt_and_detections(3), _gt_and_detections(4, shift=3.0)
    gt, detections = merge_coco([first, second])
    assert len(gt["images"]) == 7 and len({im["id"] for im in gt["images"]}) == 7
    assert len(gt["annotations"]) == 7 and len(detections) == 14
    assert evaluate_coco(gt, detections)["AP"] < evaluate_coco(*first)["AP"]


def test_paired_difference_by_hand():
    base = {s: {"value": v} for s, v in enumerate([0.20, 0.22, 0.19, 0.21, 0.20])}
    arm = {s: {"value": v} for s, v in enumerate([0.22, 0.23, 0.22, 0.22, 0.23])}
    out = paired_difference(arm, base, "AP")
    d = np.array([0.02, 0.01, 0.03, 0.01, 0.03])
    assert out["n"] == 5 and out["higher"] == 5
    assert out["mean"] == pytest.approx(d.mean()) and out["sd"] == pytest.approx(d.std(ddof=1))
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    assert out["t_interval"] == pytest.approx([d.mean() - half, d.mean() + half])
    assert out["bootstrap_interval"] is None  # no image replicates given
    detectable = (stats.t.ppf(0.975, 4) + stats.t.ppf(0.8, 4)) * d.std(ddof=1) / 5**0.5
    assert out["detectable_effect"] == pytest.approx(detectable)


def _replicated(noise, seeds=5, seed=1):
    rng = np.random.default_rng(seed)
    base, arm = {}, {}
    for s in range(seeds):
        images = rng.normal(0.2, 0.02, 100)  # AP of each image resample
        base[s] = {"value": 0.2, "replicates": list(images)}
        arm[s] = {"value": 0.21, "replicates": list(images + 0.01 + rng.normal(0, noise, 100))}
    return arm, base


def test_two_level_bootstrap_interval_covers_the_difference_and_widens_with_image_noise():
    narrow = paired_difference(*_replicated(0.001), "AP")["bootstrap_interval"]
    wide = paired_difference(*_replicated(0.01), "AP")["bootstrap_interval"]
    assert narrow[0] < 0.01 < narrow[1] and wide[0] < 0.01 < wide[1]
    assert narrow[1] - narrow[0] < 0.003 < wide[1] - wide[0]
    arm, base = _replicated(0.001)
    del arm[4]  # only the seeds both arms have are paired
    assert paired_difference(arm, base, "AP")["n"] == 4


def test_detectable_effect_shrinks_with_more_seeds():
    assert detectable_effect(1.0, 10) < detectable_effect(1.0, 5) < detectable_effect(1.0, 3)
    assert np.isnan(detectable_effect(1.0, 1))


def test_image_paired_difference_of_identical_detections_is_exactly_zero_and_of_worse_ones_below_zero():
    from benchmarks.paired import image_paired_difference

    gt, good = _gt_and_detections(n_images=12, shift=0.0)
    same = image_paired_difference(gt, good, good, resamples=50)
    assert same["difference"] == 0.0 and same["interval"] == [0.0, 0.0]
    _, worse = _gt_and_detections(n_images=12, shift=4.0)  # two thirds of the boxes 4 px off: lower AP
    d = image_paired_difference(gt, worse, good, resamples=50)
    whole = evaluate_coco(gt, worse)["AP"] - evaluate_coco(gt, good)["AP"]
    assert d["difference"] == pytest.approx(whole) and whole < 0
    assert d["interval"][0] <= whole <= d["interval"][1] and d["interval"][1] < 0


def _random_split(seed: int, n_images: int = 25):
    """Boxes of every AI-TOD size bin, two classes, jittered and spurious detections, score ties, empty images."""
    rng = np.random.default_rng(seed)
    gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}
    detections = []
    for i in range(1, n_images + 1):
        gt["images"].append({"id": i, "file_name": f"{i:03d}.png", "width": 200, "height": 200})
        x0, y0 = rng.uniform(0, 150, size=2)
        for n in range(rng.integers(0, 6)):  # some images hold no object
            # bin edges exactly (8x8, 16x16: COCO's bins are inclusive at both ends) and nested boxes of two bins
            # at one place, so that one detection overlaps an in-bin and an out-of-bin box
            w, h = rng.uniform(2, 45, size=2) if n % 2 else [float(rng.choice([7.0, 8.0, 9.0, 16.0, 17.0]))] * 2
            x, y = (x0, y0) if n < 3 else rng.uniform(0, 150, size=2)
            k = int(rng.integers(1, 3))
            box = [float(x), float(y), float(w), float(h)]
            gt["annotations"].append(
                {"id": len(gt["annotations"]) + 1, "image_id": i, "category_id": k, "bbox": box, "area": w * h}
            )
            for _ in range(rng.integers(0, 3)):  # zero to two detections near it, some off by more than the box
                j = rng.normal(0, 0.25, size=4) * [w, h, w, h]
                score = float(np.round(rng.uniform(0.05, 1.0), 1))  # rounded: ties across images
                detections.append({"image_id": i, "category_id": k, "bbox": list(np.add(box, j)), "score": score})
        for _ in range(rng.integers(0, 4)):  # false positives of any size
            w, h = rng.uniform(1, 40, size=2)
            box = [float(v) for v in (*rng.uniform(0, 150, size=2), w, h)]
            detections.append({"image_id": i, "category_id": int(rng.integers(1, 3)), "bbox": box, "score": 0.3})
    return gt, detections


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cached_per_image_matching_equals_faster_coco_eval_on_resamples(seed):
    from benchmarks.paired import _replicate_metrics_coco

    gt, detections = _random_split(seed)
    images = sorted(gt["images"], key=lambda im: im["file_name"])
    draws = np.vstack([np.arange(len(images))[None], image_resamples(len(images), 4, seed=seed)])
    keys = ("AP", "AP25", "AP50", "AP75", "AP_vt", "AP_t", "AP_s", "AP_m")
    fast = replicate_metrics(gt, detections, draws, keys)
    slow = _replicate_metrics_coco(gt, detections, draws, keys, images)
    for k in keys:
        np.testing.assert_allclose(fast[k], slow[k], atol=2e-6, err_msg=k)
    assert 0 < fast["AP"][0] < 1  # a discriminating split, not all-or-nothing


@pytest.mark.parametrize("seed", [0, 1])
def test_one_class_alone_from_the_shared_matching_equals_faster_coco_eval_on_that_class(seed):
    from benchmarks.paired import _replicate_metrics_coco
    from srtod_yolo.metrics.aitod import class_subset

    gt, detections = _random_split(seed)
    images = sorted(gt["images"], key=lambda im: im["file_name"])
    draws = np.vstack([np.arange(len(images))[None], image_resamples(len(images), 4, seed=seed)])
    both = replicate_metrics(gt, detections, draws, ("AP",), class_keys={"AP_a": "A", "AP_b": "b"})
    for key, name in (("AP_a", "a"), ("AP_b", "b")):
        alone = _replicate_metrics_coco(*class_subset(gt, detections, name), draws, ("AP",), images)["AP"]
        np.testing.assert_allclose(both[key], alone, atol=2e-6, err_msg=key)
    assert both["AP_a"][0] != pytest.approx(both["AP_b"][0])  # the classes differ: the subset is not ignored
    # the mean over the two classes is the mean of the two classes alone (both have boxes on the whole split)
    assert both["AP"][0] == pytest.approx((both["AP_a"][0] + both["AP_b"][0]) / 2, abs=2e-6)


def test_one_class_alone_on_a_ground_truth_with_crowd_boxes_uses_faster_coco_eval_for_it_too():
    from srtod_yolo.metrics.aitod import class_subset

    gt, detections = _random_split(0)
    gt["annotations"][0]["iscrowd"] = 1
    draws = np.arange(len(gt["images"]))[None, :]
    out = replicate_metrics(gt, detections, draws, ("AP",), class_keys={"AP_b": "b"})
    assert out["AP_b"][0] == pytest.approx(evaluate_coco(*class_subset(gt, detections, "b"))["AP"], abs=1e-6)


def test_class_keys_name_an_unknown_class_or_a_clash():
    gt, detections = _random_split(0)
    draws = np.arange(len(gt["images"]))[None, :]
    with pytest.raises(ValueError, match="no category named 'drone'.*a, b"):
        replicate_metrics(gt, detections, draws, class_keys={"AP_drone": "drone"})
    with pytest.raises(ValueError, match=r"class_keys \['AP'\]"):
        replicate_metrics(gt, detections, draws, ("AP",), class_keys={"AP": "a"})


def test_average_precisions_names_a_category_id_the_ground_truth_lacks():
    from benchmarks.paired import ImageMatches

    gt, detections = _random_split(0)
    matches = ImageMatches(gt, detections, [im["id"] for im in gt["images"]], [0.5], {"AP": (0.0, 1e10)})
    with pytest.raises(ValueError, match=r"category ids \[3\]"):
        matches.average_precisions(None, {"AP": [0]}, categories=[3])


def test_cached_matching_falls_back_to_faster_coco_eval_for_crowd_boxes():
    gt, detections = _gt_and_detections(shift=2.0)
    gt["annotations"][0]["iscrowd"] = 1
    whole = evaluate_coco(gt, detections)
    assert replicate_metrics(gt, detections, np.arange(6)[None, :])["AP"][0] == pytest.approx(whole["AP"], abs=1e-6)


def test_cached_matching_names_a_detection_on_an_unknown_image():
    gt, detections = _gt_and_detections()
    detections.append({"image_id": 99, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 0.5})
    with pytest.raises(ValueError, match="image id 99"):
        replicate_metrics(gt, detections, np.arange(6)[None, :])


def test_one_seed_gives_an_image_only_interval_and_no_seed_statistics():
    arm, base = _replicated(0.002, seeds=1)
    out = paired_difference(arm, base, "AP")
    diff = np.asarray(arm[0]["replicates"]) - np.asarray(base[0]["replicates"])
    assert out["n"] == 1 and out["mean"] == pytest.approx(0.01)
    assert out["image_interval"] == pytest.approx(list(np.nanpercentile(diff, [2.5, 97.5])))
    assert "t_interval" not in out and "bootstrap_interval" not in out and "detectable_effect" not in out


def test_report_marks_an_image_only_interval_and_a_curve_too_short_to_judge():
    from benchmarks.accuracy_report import paired_table

    arm, base = _replicated(0.002, seeds=1)
    row = {m: paired_difference(arm, base, m) for m in ("AP", "AP25", "AP_vt", "AP_t")}
    line = paired_table({"fuse": row}).splitlines()[-1]
    assert "]ⁱ" in line and "| 1 |" in line
