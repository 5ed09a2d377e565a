"""Paired comparisons of two detectors over seeds and images: differences, 95 % intervals, detectable effect.

Two sources of chance separate two trained detectors' AP: the training seed and the finite set of test images. The
accuracy benchmark evaluates every run on the whole val split and, with one fixed set of image resamples (drawn
with replacement, the same for every run of a dataset), on each resample (`replicate_metrics`, faster-coco-eval
for every number). A paired comparison then resamples seeds (the same seeds for both arms) and takes, for
resample b, the mean over the drawn seeds of AP_arm(seed, b) - AP_base(seed, b): a two-level percentile bootstrap
whose interval covers both sources. Beside it, the seed-only t interval of the paired differences on the whole
split (scipy), and the smallest difference the design could detect (80 % power, two-sided 5 %).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = (
    "detectable_effect",
    "image_paired_difference",
    "image_resamples",
    "merge_coco",
    "paired_difference",
    "replicate_metrics",
)

BOOTSTRAP_KEYS = ("AP", "AP25", "AP_vt", "AP_t", "AP_s")


def image_resamples(n_images: int, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """Index arrays (resamples, n_images) drawing n_images of n_images with replacement, reproducibly."""
    return np.random.default_rng(seed).integers(0, n_images, size=(resamples, n_images))


def replicate_metrics(gt: dict, detections: list[dict], resamples: np.ndarray, keys=BOOTSTRAP_KEYS) -> dict:
    """AI-TOD metrics of one run on each image resample (faster-coco-eval, AI-TOD's settings).

    Args:
        gt (dict): COCO ground truth of the whole split; its images in the order the resample indices refer to
            (sorted by file name here, so that every run of a dataset shares one order).
        detections (list[dict]): COCO results of the run on that split.
        resamples (np.ndarray): (B, n) image indices from `image_resamples`.
        keys (tuple[str]): The metrics to keep.

    Returns:
        (dict): key -> list of B values in [0, 1] (NaN where a resample holds no object of that size).
    """
    from srtod_yolo.metrics.aitod import evaluate_coco

    images = sorted(gt["images"], key=lambda im: str(im.get("file_name", im["id"])))
    if resamples.shape[1] != len(images):
        raise ValueError(f"resamples draw {resamples.shape[1]} images, the ground truth has {len(images)}")
    annotations, found = {}, {}
    for a in gt.get("annotations", []):
        annotations.setdefault(a["image_id"], []).append(a)
    for d in detections:
        found.setdefault(d["image_id"], []).append(d)
    out = {k: [] for k in keys}
    for draw in resamples:
        new_images, new_annotations, new_detections = [], [], []
        for new_id, index in enumerate(draw, 1):  # a drawn image keeps its content under a new id per draw
            image = images[index]
            new_images.append({**image, "id": new_id})
            for a in annotations.get(image["id"], []):
                new_annotations.append({**a, "image_id": new_id, "id": len(new_annotations) + 1})
            new_detections.extend({**d, "image_id": new_id} for d in found.get(image["id"], []))
        result = evaluate_coco({**gt, "images": new_images, "annotations": new_annotations}, new_detections)
        for k in keys:
            out[k].append(round(float(result[k]), 6))
    return out


def merge_coco(parts: list[tuple[dict, list[dict]]]) -> tuple[dict, list[dict]]:
    """One COCO ground truth and result list from several (gt, detections) pairs, with image and box ids renumbered."""
    gt = {"images": [], "annotations": [], "categories": parts[0][0]["categories"]}
    detections = []
    for part_gt, part_dt in parts:
        new_id = {}
        for image in part_gt["images"]:
            new_id[image["id"]] = len(gt["images"]) + 1
            gt["images"].append({**image, "id": new_id[image["id"]]})
        for a in part_gt["annotations"]:
            gt["annotations"].append({**a, "id": len(gt["annotations"]) + 1, "image_id": new_id[a["image_id"]]})
        detections.extend({**d, "image_id": new_id[d["image_id"]]} for d in part_dt)
    return gt, detections


def image_paired_difference(
    gt: dict, detections: list[dict], reference: list[dict], metric: str = "AP", resamples: int = 200, seed: int = 0
) -> dict:
    """Difference of one metric between two sets of detections on the same images, with a 95 % bootstrap interval.

    For one trained model run two ways (INT8 against FP32 of the same weights): no seed varies, only the finite set
    of images, so the images are resampled with replacement (the same resamples for both) and the interval is the
    2.5-97.5 percentile of the per-resample differences.

    Args:
        gt (dict): COCO ground truth of the split.
        detections (list[dict]): COCO results of the model under test.
        reference (list[dict]): COCO results of the reference on the same ground truth.
        metric (str): An AI-TOD metric name (`srtod_yolo.metrics.aitod`), e.g. 'AP'.
        resamples (int): Image resamples.
        seed (int): Their random seed.

    Returns:
        (dict): difference on the whole split, interval [low, high] (in [0, 1] units like the metric), resamples.
    """
    from srtod_yolo.metrics.aitod import evaluate_coco

    draws = image_resamples(len(gt["images"]), resamples, seed)
    a = np.asarray(replicate_metrics(gt, detections, draws, (metric,))[metric])
    b = np.asarray(replicate_metrics(gt, reference, draws, (metric,))[metric])
    low, high = np.nanpercentile(a - b, [2.5, 97.5])
    whole = evaluate_coco(gt, detections)[metric] - evaluate_coco(gt, reference)[metric]
    return {"metric": metric, "difference": float(whole), "interval": [float(low), float(high)], "resamples": resamples}


def detectable_effect(sd: float, n: int, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest true paired difference a two-sided paired t-test on n seeds detects with the given power."""
    if n < 2 or not np.isfinite(sd):
        return float("nan")
    t = stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)
    return float(t * sd / np.sqrt(n))


def paired_difference(
    arm: dict[int, dict], base: dict[int, dict], metric: str, resamples: int = 2000, seed: int = 0
) -> dict:
    """Paired difference arm - base of one metric over the seeds both have.

    Args:
        arm (dict): seed -> {"value": float on the whole split, "replicates": list[float] per image resample}.
        base (dict): The same for the baseline.
        metric (str): Name, for the record.
        resamples (int): Seed resamples of the two-level bootstrap.
        seed (int): Its random seed.

    Returns:
        (dict): n, seeds, per-seed differences, mean, sd, t-interval (seeds only), bootstrap interval (seeds and
            images; None without replicates), detectable effect, and how many seeds the arm is higher on.
    """
    seeds = sorted(s for s in set(arm) & set(base) if np.isfinite(arm[s]["value"]) and np.isfinite(base[s]["value"]))
    d = np.array([arm[s]["value"] - base[s]["value"] for s in seeds])
    out = {"metric": metric, "n": len(seeds), "seeds": seeds, "differences": [round(float(x), 5) for x in d]}
    if len(seeds) == 0:
        return {**out, "mean": float("nan")}
    out["mean"] = float(d.mean())
    out["higher"] = int((d > 0).sum())
    if len(seeds) < 2:
        return out
    sd = float(d.std(ddof=1))
    if sd > 0:
        test = stats.ttest_rel([arm[s]["value"] for s in seeds], [base[s]["value"] for s in seeds])
        ci = test.confidence_interval(0.95)
        out.update(sd=sd, t_interval=[float(ci.low), float(ci.high)], p_value=float(test.pvalue))
    else:  # identical differences on every seed: no spread to test against
        out.update(sd=sd, t_interval=[out["mean"], out["mean"]], p_value=float("nan"))
    out["detectable_effect"] = detectable_effect(sd, len(seeds))
    replicated = [s for s in seeds if arm[s].get("replicates") and base[s].get("replicates")]
    if len(replicated) == len(seeds):
        diff = np.array([np.asarray(arm[s]["replicates"]) - np.asarray(base[s]["replicates"]) for s in seeds])  # (S, B)
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(seeds), size=(resamples, len(seeds)))  # seeds, with replacement
        columns = rng.integers(0, diff.shape[1], size=resamples)  # one image resample per draw, shared by the seeds
        values = np.nanmean(diff[draws, columns[:, None]], axis=1)
        low, high = np.nanpercentile(values, [2.5, 97.5])
        out["bootstrap_interval"] = [float(low), float(high)]
    else:
        out["bootstrap_interval"] = None
    return out
