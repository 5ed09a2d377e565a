"""Paired comparisons of two detectors over seeds and images: differences, 95 % intervals, detectable effect.

Two sources of chance separate two trained detectors' AP: the training seed and the finite set of test images. The
accuracy benchmark evaluates every run on the whole val split and, with one fixed set of image resamples (drawn with
replacement, the same for every run of a dataset), on each resample (`replicate_metrics`: every image matched once
by `ImageMatches`, the records re-accumulated per resample; equal to faster-coco-eval on every resample). A paired
comparison then resamples seeds (the same seeds for both arms) and takes, for resample b, the mean over the drawn
seeds of AP_arm(seed, b) - AP_base(seed, b): a two-level percentile bootstrap whose interval covers both sources.
Beside it, the seed-only t interval of the paired differences on the whole split (scipy), and the smallest
difference the design could detect (80 % power, two-sided 5 %)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = (
    "ImageMatches",
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


class ImageMatches:
    """One run's COCO matching, image by image, re-accumulated for any resample of the images.

    A bootstrap over images evaluates the same detections on hundreds of resampled image sets. Matching a detection
    to a ground-truth box depends only on its own image, so it is done once per image here, with COCO's rules as
    faster-coco-eval and pycocotools apply them (detections by descending score, at most `max_det` per image and
    class; at each IoU threshold a detection takes the unmatched box of highest IoU >= the threshold, boxes outside
    the size bin are matched last and make the detection ignored; an unmatched detection outside the bin is
    ignored; a box's bin is inclusive at both ends, COCO's convention). `average_precision` then concatenates the
    records of the drawn images, in draw order, and computes COCO's 101-point interpolated AP exactly as
    faster-coco-eval's accumulate does: a resample costs a sort, not a re-evaluation (about 100x faster). The test
    suite checks every metric against faster-coco-eval on the whole split and on resamples.

    Args:
        gt (dict): COCO ground truth ('images', 'annotations' with bbox [x, y, w, h] px and area, 'categories').
            Crowd boxes are not supported (ValueError); AI-TOD's and this project's ground truths have none.
        detections (list[dict]): COCO results: image_id, category_id, bbox [x, y, w, h] px, score.
        image_order (list[int]): The image ids in the order resample indices refer to.
        iou_thresholds (Sequence[float]): IoU thresholds (AI-TOD: 0.5:0.05:0.95, then 0.25 alone).
        area_ranges (dict[str, tuple[float, float]]): Size bins in px^2, by output name.
        max_det (int): Detections kept per image and class (AI-TOD: 1500).
    """

    def __init__(self, gt, detections, image_order, iou_thresholds, area_ranges, max_det=1500):
        if any(a.get("iscrowd", 0) or a.get("ignore", 0) for a in gt.get("annotations", [])):
            raise ValueError("ImageMatches does not support crowd or ignored ground-truth boxes; use evaluate_coco")
        self.thresholds = np.minimum(np.asarray(iou_thresholds, dtype=np.float64), 1 - 1e-10)
        self.ranges = dict(area_ranges)
        self.categories = sorted(c["id"] for c in gt["categories"])
        self.recall_points = np.linspace(0.0, 1.0, 101)
        index = {image_id: i for i, image_id in enumerate(image_order)}
        boxes = {}  # (image index, category) -> [gt list, detection list]
        for a in gt.get("annotations", []):
            boxes.setdefault((index[a["image_id"]], a["category_id"]), ([], []))[0].append(a)
        for d in detections:
            if d["image_id"] not in index:
                raise ValueError(f"a detection refers to image id {d['image_id']}, which the ground truth lacks")
            boxes.setdefault((index[d["image_id"]], d["category_id"]), ([], []))[1].append(d)
        n = len(image_order)
        # records[(category, bin)][image] = (scores (D,), true positives (T, D), counted (T, D), boxes in the bin)
        self.records = {(k, b): [None] * n for k in self.categories for b in self.ranges}
        for k in self.categories:
            for i in range(n):
                g, d = boxes.get((i, k), ([], []))
                d = sorted(d, key=lambda x: -x["score"])[:max_det]  # stable, as COCO's mergesort
                for b, rng in self.ranges.items():
                    self.records[k, b][i] = self._match(g, d, rng)

    def _match(self, gts, dts, rng):
        """COCO's greedy matching of one image, class and size bin at every IoU threshold."""
        T, D = len(self.thresholds), len(dts)
        g_area = np.array([a["area"] for a in gts], dtype=np.float64)
        g_ignore = (g_area < rng[0]) | (g_area > rng[1])
        order = np.argsort(g_ignore, kind="stable")  # boxes in the bin first
        g_ignore = g_ignore[order]
        scores = np.array([d["score"] for d in dts], dtype=np.float64)
        matched = np.zeros((T, D), bool)
        ignored = np.zeros((T, D), bool)
        if D and len(gts):
            gb = np.array([gts[j]["bbox"] for j in order], dtype=np.float64)
            db = np.array([d["bbox"] for d in dts], dtype=np.float64)
            iou = _box_iou(db, gb)  # (D, G)
            for t, thr in enumerate(self.thresholds):
                taken = np.zeros(len(gts), bool)
                for di in np.flatnonzero((iou >= thr).any(1)):
                    for group in (~g_ignore, g_ignore):  # in-bin boxes first, the others only if none matched
                        ok = group & ~taken & (iou[di] >= thr)
                        if ok.any():
                            cand = np.flatnonzero(ok)
                            values = iou[di, cand]
                            m = cand[len(values) - 1 - np.argmax(values[::-1])]  # ties: the later box, as COCO
                            taken[m] = matched[t, di] = True
                            ignored[t, di] = g_ignore[m]
                            break
        if D:
            d_area = np.array([d["bbox"][2] * d["bbox"][3] for d in dts], dtype=np.float64)
            outside = (d_area < rng[0]) | (d_area > rng[1])
            ignored |= ~matched & outside[None, :]
        return scores, matched & ~ignored, ~ignored, int((~g_ignore).sum())

    def average_precision(self, images: np.ndarray | None = None, thresholds=None) -> dict[str, float]:
        """COCO AP (101-point interpolation, mean over IoU thresholds and classes) per size bin on these images.

        Args:
            images (np.ndarray | None): Image indices (into `image_order`), repeats allowed; None for all, in order.
            thresholds (list[int] | None): Indices of the IoU thresholds to average over; None for all.

        Returns:
            (dict): bin name -> AP in [0, 1], NaN where the drawn images hold no box of that bin.
        """
        ts = list(range(len(self.thresholds))) if thresholds is None else list(thresholds)
        return self.average_precisions(images, {"AP": ts})["AP"]

    def average_precisions(
        self, images: np.ndarray | None, groups: dict[str, list[int]], categories=None
    ) -> dict[str, dict]:
        """`average_precision` for several groups of IoU thresholds from one accumulation of the drawn images.

        Args:
            images (np.ndarray | None): As `average_precision`.
            groups (dict[str, list[int]]): Name -> indices of the IoU thresholds that name averages over.
            categories (Iterable[int] | None): Category ids to average over (one id: that class's own AP, as
                faster-coco-eval gives it on the ground truth and detections of that class alone); None for all.

        Raises:
            ValueError: a category id the ground truth lacks.

        Returns:
            (dict): group name -> {bin name -> AP in [0, 1] or NaN}.
        """
        n = len(next(iter(self.records.values())))
        draw = np.arange(n) if images is None else np.asarray(images)
        ts = sorted({t for group in groups.values() for t in group})
        chosen = self.categories if categories is None else sorted(set(categories))
        if unknown := sorted(set(chosen) - set(self.categories)):
            raise ValueError(f"category ids {unknown} are not in the ground truth (it has {self.categories})")
        out = {name: {} for name in groups}
        for b in self.ranges:
            per_class = []  # (len(ts),) mean precision over recall points, per class with a box in the bin
            for k in chosen:
                recs = [self.records[k, b][i] for i in draw]
                n_gt = sum(r[3] for r in recs)
                if n_gt == 0:
                    continue
                scores = np.concatenate([r[0] for r in recs])
                order = np.argsort(-scores, kind="stable")
                tp_all = np.concatenate([r[1] for r in recs], axis=1)[:, order]
                counted = np.concatenate([r[2] for r in recs], axis=1)[:, order]
                precision = np.zeros(len(ts))
                for row, t in enumerate(ts):
                    tp_flags = tp_all[t][counted[t]]
                    if len(tp_flags) == 0:
                        continue
                    tp = np.cumsum(tp_flags, dtype=np.float64)
                    fp = np.cumsum(~tp_flags, dtype=np.float64)
                    recall = tp / n_gt
                    pr = tp / (tp + fp)
                    pr = np.maximum.accumulate(pr[::-1])[::-1]
                    at = np.searchsorted(recall, self.recall_points, side="left")
                    precision[row] = np.where(at < len(pr), pr[np.minimum(at, len(pr) - 1)], 0.0).mean()
                per_class.append(precision)
            for name, group in groups.items():
                rows = [ts.index(t) for t in group]
                out[name][b] = float(np.mean([p[rows].mean() for p in per_class])) if per_class else float("nan")
        return out


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (N, M) of [x, y, w, h] boxes a (N, 4) and b (M, 4), COCO's definition (no +1)."""
    ax2, ay2, bx2, by2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, 0, None], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, 1, None], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def replicate_metrics(
    gt: dict, detections: list[dict], resamples: np.ndarray, keys=BOOTSTRAP_KEYS, class_keys=None
) -> dict:
    """AI-TOD metrics of one run on each image resample (AI-TOD's settings; matching cached per image).

    Every image is matched once (`ImageMatches`, checked against faster-coco-eval in the tests) and each resample
    re-accumulates the records of its images, so 200 resamples of 300 images cost seconds, not the ~20 min of
    one faster-coco-eval run per resample. A ground truth with crowd boxes falls back to faster-coco-eval per
    resample.

    Args:
        gt (dict): COCO ground truth of the whole split; its images in the order the resample indices refer to
            (sorted by file name here, so that every run of a dataset shares one order).
        detections (list[dict]): COCO results of the run on that split.
        resamples (np.ndarray | list[np.ndarray]): (B, n) image indices from `image_resamples`, or B index arrays
            of any length (a cluster bootstrap: `benchmarks.clip_val.clip_resamples`).
        keys (tuple[str]): The metrics to keep, from AP, AP25, AP50, AP75, AP_vt, AP_t, AP_s, AP_m.
        class_keys (dict[str, str] | None): Output key -> category name, for one class's AP alone from the same
            matching (e.g. {"AP_drone": "drone"}: equal to `replicate_metrics(*class_subset(gt, detections,
            "drone"), resamples, ("AP",))`, without matching every image a second time).

    Returns:
        (dict): key -> list of B values in [0, 1] (NaN where a resample holds no object of that size, or of that
        class), for `keys` and then `class_keys`.

    Raises:
        ValueError: resamples that do not fit the ground truth; a class name it lacks; a class key among `keys`.
    """
    from srtod_yolo.metrics.aitod import MAX_DETS, category_id, class_subset
    from srtod_yolo.sizes import AITOD_AREA_RANGES, AITOD_BINS

    class_ids = {key: category_id(gt, name) for key, name in (class_keys or {}).items()}
    if clash := sorted(set(keys) & set(class_ids)):
        raise ValueError(f"class_keys {clash} would overwrite metrics of the same name; name them apart")
    images = sorted(gt["images"], key=lambda im: str(im.get("file_name", im["id"])))
    if isinstance(resamples, np.ndarray) and resamples.ndim == 2 and resamples.shape[1] != len(images):
        raise ValueError(f"resamples draw {resamples.shape[1]} images, the ground truth has {len(images)}")
    if any(len(draw) and (np.min(draw) < 0 or np.max(draw) >= len(images)) for draw in resamples):
        raise ValueError(f"a resample draws an image index outside 0-{len(images) - 1}")
    try:
        bins = dict(zip(("AP_vt", "AP_t", "AP_s", "AP_m"), AITOD_BINS))
        ranges = {"AP": (0.0, 1e10), **{k: tuple(AITOD_AREA_RANGES[b]) for k, b in bins.items()}}
        thresholds = [*np.linspace(0.5, 0.95, 10), 0.25]
        matches = ImageMatches(gt, detections, [im["id"] for im in images], thresholds, ranges, MAX_DETS[-1])
    except ValueError as e:
        if "crowd" not in str(e):
            raise
        out = _replicate_metrics_coco(gt, detections, resamples, keys, images)
        for key, name in (class_keys or {}).items():
            out[key] = _replicate_metrics_coco(*class_subset(gt, detections, name), resamples, ("AP",), images)["AP"]
        return out
    groups = {"main": list(range(10)), "AP25": [10], "AP50": [0], "AP75": [5]}
    out = {k: [] for k in (*keys, *class_ids)}
    for draw in resamples:
        ap = matches.average_precisions(draw, groups)
        values = {**ap["main"], **{key: ap[key]["AP"] for key in ("AP25", "AP50", "AP75")}}
        for key, k in class_ids.items():
            values[key] = matches.average_precisions(draw, {"AP": groups["main"]}, categories=[k])["AP"]["AP"]
        for k in out:
            out[k].append(round(float(values[k]), 6))
    return out


def _replicate_metrics_coco(gt, detections, resamples, keys, images) -> dict:
    """`replicate_metrics` by one faster-coco-eval run per resample (slow; any ground truth)."""
    from srtod_yolo.metrics.aitod import evaluate_coco

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
            images; None without replicates), detectable effect, and how many seeds the arm is higher on. With
            one seed: mean, higher and, given replicates, `image_interval` (images only: no seed noise in it).
    """
    seeds = sorted(s for s in set(arm) & set(base) if np.isfinite(arm[s]["value"]) and np.isfinite(base[s]["value"]))
    d = np.array([arm[s]["value"] - base[s]["value"] for s in seeds])
    out = {"metric": metric, "n": len(seeds), "seeds": seeds, "differences": [round(float(x), 5) for x in d]}
    if len(seeds) == 0:
        return {**out, "mean": float("nan")}
    out["mean"] = float(d.mean())
    out["higher"] = int((d > 0).sum())
    if len(seeds) < 2:  # one seed (a pilot): only the image resamples vary, so the interval leaves seed noise out
        s = seeds[0]
        if arm[s].get("replicates") and base[s].get("replicates"):
            diff = np.asarray(arm[s]["replicates"]) - np.asarray(base[s]["replicates"])
            low, high = np.nanpercentile(diff, [2.5, 97.5])
            out["image_interval"] = [float(low), float(high)]
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
