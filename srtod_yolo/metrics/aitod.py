"""AI-TOD tiny-object metrics with a maintained evaluator (faster-coco-eval), configured as AI-TOD's own.

AI-TOD's evaluator is COCO's with other area ranges (very tiny < 8^2, tiny 8^2-16^2, small 16^2-32^2, medium
>= 32^2 px^2), up to 1,500 detections per image, and AP at IoU 0.25 as well. Here faster-coco-eval does every
match and every precision-recall curve; this module only sets its parameters, runs it twice (IoU 0.5:0.95, then
IoU 0.25) and names the results. The test suite checks the numbers against AI-TOD's evaluator
(`faster-coco-eval-aitod`) to 1e-6.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np

from ..sizes import AITOD_AREA_RANGES, AITOD_BINS

__all__ = ("METRIC_KEYS", "AITODEvaluator", "class_subset", "evaluate_coco", "plot_pr_curves")

MAX_DETS = (1, 100, 1500)
# Output names, in table order: AP over IoU 0.5:0.95, at 0.25 / 0.5 / 0.75, then per AI-TOD size bin.
METRIC_KEYS = ("AP", "AP25", "AP50", "AP75", "AP_vt", "AP_t", "AP_s", "AP_m", "AR1500")
_RANGES = {"verytiny": list(AITOD_AREA_RANGES["very_tiny"]), **{k: list(AITOD_AREA_RANGES[k]) for k in AITOD_BINS[1:]}}
_BIN_KEYS = dict(zip(("verytiny", "tiny", "small", "medium"), ("AP_vt", "AP_t", "AP_s", "AP_m")))


def _nan_if_missing(x: float) -> float:
    """COCO reports -1 where a bin has no ground truth; NaN says so without pretending to be a score."""
    return float("nan") if x is None or x < 0 else float(x)


def _run(gt, dt, iou_thresholds: Sequence[float] | None):
    from faster_coco_eval import COCOeval_faster

    ev = COCOeval_faster(gt, dt, iouType="bbox", ranges=_RANGES, print_function=lambda *a, **k: None)
    ev.params.maxDets = list(MAX_DETS)
    if iou_thresholds is not None:
        ev.params.iouThrs = np.asarray(iou_thresholds, dtype=np.float64)
    ev.params.imgIds = sorted(gt.getImgIds())
    with redirect_stdout(StringIO()):
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def evaluate_coco(gt: dict, detections: list[dict], return_curves: bool = False) -> dict:
    """Evaluate COCO-format detections against a COCO-format ground truth with AI-TOD's settings.

    Args:
        gt (dict): COCO ground truth: 'images', 'annotations' (bbox [x, y, w, h] in pixels, area = w * h),
            'categories'.
        detections (list[dict]): COCO results: image_id, category_id, bbox [x, y, w, h], score.
        return_curves (bool): Also return precision over recall (101 points) per size bin at IoU 0.25 and 0.5.

    Returns:
        (dict): The `METRIC_KEYS` in [0, 1] (NaN for a bin without ground truth), plus 'curves' if asked.
    """
    from faster_coco_eval import COCO

    counted = [a for a in gt.get("annotations", []) if not a.get("iscrowd", 0)]  # crowds are never missed
    if not counted:
        result = dict.fromkeys(METRIC_KEYS, float("nan"))
        return {**result, "curves": {}} if return_curves else result
    if not detections:
        has = {
            k: any(AITOD_AREA_RANGES[b][0] <= a["area"] < AITOD_AREA_RANGES[b][1] for a in counted)
            for k, b in zip(("AP_vt", "AP_t", "AP_s", "AP_m"), AITOD_BINS)
        }
        result = {k: (0.0 if has.get(k, True) else float("nan")) for k in METRIC_KEYS}
        return {**result, "curves": {}} if return_curves else result
    with redirect_stdout(StringIO()):
        coco_gt = COCO(gt)
        coco_dt = coco_gt.loadRes([dict(d) for d in detections])
    main = _run(coco_gt, coco_dt, None)
    loose = _run(coco_gt, coco_dt, [0.25])
    s, s25 = main.stats_as_dict, loose.stats_as_dict
    result = {
        "AP": s["AP_all"],
        "AP25": s25["AP_all"],
        "AP50": s["AP_50"],
        "AP75": s["AP_75"],
        **{key: s[f"AP_{label}"] for label, key in _BIN_KEYS.items()},
        "AR1500": s.get(f"AR_{MAX_DETS[-1]}", -1),
    }
    result = {k: _nan_if_missing(v) for k, v in result.items()}
    if return_curves:
        result["curves"] = {
            "recall": np.linspace(0, 1, 101),
            "IoU 0.25": _curves(loose, 0),
            "IoU 0.5": _curves(main, 0),
        }
    return result


def category_id(gt: dict, name: str) -> int:
    """The id of the ground truth's category of that name (case-insensitive; the first, if names repeat).

    Raises:
        ValueError: no category of that name (the message lists the names there are).
    """
    ids = [c["id"] for c in gt.get("categories", []) if str(c.get("name", "")).lower() == name.lower()]
    if not ids:
        names = ", ".join(str(c.get("name")) for c in gt.get("categories", []))
        raise ValueError(f"no category named '{name}' in the ground truth (it has: {names or 'none'})")
    return ids[0]


def class_subset(gt: dict, detections: list[dict], name: str) -> tuple[dict, list[dict]]:
    """The ground truth and detections of one class, for that class's AP (every image kept).

    A multi-class AP is the mean over classes; for anti-UAV the drone class alone is the number that matters
    (`evaluate_coco(*class_subset(gt, detections, "drone"))`). Images without a box of the class stay, so
    detections of it there still count as false positives, and image-resample indices keep their meaning.

    Args:
        gt (dict): COCO ground truth ('images', 'annotations', 'categories' with 'id' and 'name').
        detections (list[dict]): COCO results (image_id, category_id, bbox, score).
        name (str): The category's name, as in gt['categories'] (case-insensitive).

    Returns:
        (tuple[dict, list[dict]]): The ground truth with that category and its boxes only, and its detections.

    Raises:
        ValueError: no category of that name (the message lists the names there are).
    """
    keep = category_id(gt, name)
    subset = {
        **gt,
        "categories": [c for c in gt["categories"] if c["id"] == keep],
        "annotations": [a for a in gt.get("annotations", []) if a["category_id"] == keep],
    }
    return subset, [d for d in detections if d["category_id"] == keep]


def _curves(ev, t: int) -> dict[str, np.ndarray]:
    """Mean precision over classes at 101 recall points, for 'all' and each size bin, at IoU index t."""
    precision = ev.eval["precision"]  # [T, R, K, A, M]
    out = {}
    for a, label in enumerate(ev.params.areaRngLbl):
        p = precision[t, :, :, a, -1]
        valid = (p > -1).all(0)
        out[label] = p[:, valid].mean(1) if valid.any() else np.full(p.shape[0], np.nan)
    return out


class AITODEvaluator:
    """Collect ground truth and detections image by image, then evaluate them with `evaluate_coco`.

    Boxes are (x0, y0, x1, y1) in pixels of the original image; classes are 0-based indices. Records are keyed
    by file name, so evaluators filled on several processes merge with `merge()`.

    Args:
        names (dict[int, str]): Class names by index.
        image_ids (dict[str, int] | None): The source dataset's image id of each file name, for the COCO json
            (`srtod_yolo.data.coco_ids`); None: ids 1..N in file-name order. Every image must have one.
        category_ids (dict[int, int] | None): The source's category id of each class; None: class + 1.

    Example:
        >>> ev = AITODEvaluator({0: "drone"})
        >>> ev.add_image("a.jpg", 64, 64, [[10, 10, 16, 16]], [0])
        >>> ev.add_detections("a.jpg", [[10, 10, 16, 16]], [0.9], [0])
        >>> ev.evaluate()["AP_vt"]
        1.0
    """

    def __init__(
        self, names: dict[int, str], image_ids: dict[str, int] | None = None, category_ids: dict[int, int] | None = None
    ):
        self.names = dict(names)
        self.records: dict[str, dict] = {}
        self.image_ids = dict(image_ids or {})
        self.category_ids = {int(c): int(category_ids[c]) for c in self.names} if category_ids else None

    def add_image(
        self, file_name: str, width: int, height: int, boxes, classes, ignore=None, ignore_classes=None
    ) -> None:
        """Register an image (once) with its ground truth and, if any, its ignore regions.

        Args:
            file_name (str): The image's key (its path).
            width (int): Image width in pixels.
            height (int): Image height in pixels.
            boxes: Ground-truth boxes (N, 4), (x0, y0, x1, y1) in pixels.
            classes: Their classes (N,).
            ignore: Regions (M, 4), (x0, y0, x1, y1) in pixels, where detections are not counted (VisDrone's
                ignored regions, COCO crowds). Each becomes a COCO crowd annotation (iscrowd=1) of its class, or
                one per category for a region of every class, so COCO's matching ignores detections inside it.
            ignore_classes: Class of each region (M,), -1 for every class; None: every region is for every class.
        """
        if file_name in self.records:
            raise ValueError(f"image '{file_name}' was added twice")
        ignore = np.asarray([] if ignore is None else ignore, np.float64).reshape(-1, 4)
        if ignore_classes is None:
            ignore_classes = np.full(len(ignore), -1, np.int64)
        ignore_classes = np.asarray(ignore_classes, np.int64).reshape(-1)
        if len(ignore_classes) != len(ignore):
            raise ValueError(f"'{file_name}': {len(ignore)} ignore regions but {len(ignore_classes)} classes")
        self.records[file_name] = {
            "size": (int(width), int(height)),
            "gt": (np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(classes, np.int64).reshape(-1)),
            "ignore": (ignore, ignore_classes),
            "dt": [],
        }

    def add_detections(self, file_name: str, boxes, scores, classes) -> None:
        """Add an image's detections; the image must have been added with `add_image`."""
        record = self.records.get(file_name)
        if record is None:
            raise KeyError(f"detections for '{file_name}', which has no ground truth entry")
        record["dt"].append(
            (
                np.asarray(boxes, np.float64).reshape(-1, 4),
                np.asarray(scores, np.float64).reshape(-1),
                np.asarray(classes, np.int64).reshape(-1),
            )
        )

    def merge(self, records: dict[str, dict]) -> None:
        """Take in the records of another evaluator (e.g. another DDP rank)."""
        for name, record in records.items():
            if name in self.records:
                self.records[name]["dt"].extend(record["dt"])
            else:
                self.records[name] = record

    def to_coco(self) -> tuple[dict, list[dict]]:
        """COCO ground truth and results, with the source's ids if given (else 1..N in file-name order, class + 1)."""
        category = self.category_ids or {i: i + 1 for i in self.names}
        gt = {
            "images": [],
            "annotations": [],
            "categories": [{"id": category[i], "name": n} for i, n in self.names.items()],
        }
        detections = []
        names = sorted(self.records)
        missing = [n for n in names if n not in self.image_ids]
        if self.image_ids and missing:
            raise KeyError(f"no source image id for '{missing[0]}' (and {len(missing) - 1} more)")
        ids = [self.image_ids[n] for n in names] if self.image_ids else range(1, len(names) + 1)
        for image_id, name in zip(ids, names):
            record = self.records[name]
            width, height = record["size"]
            gt["images"].append({"id": image_id, "file_name": name, "width": width, "height": height})
            boxes, classes = record["gt"]
            crowd = [(0, box, cls) for box, cls in zip(boxes, classes)]
            regions, region_classes = record.get("ignore", (np.zeros((0, 4)), np.zeros(0, np.int64)))
            for box, cls in zip(regions, region_classes):
                crowd += [(1, box, c) for c in (self.names if cls < 0 else [cls])]
            for iscrowd, box, cls in crowd:
                w, h = float(box[2] - box[0]), float(box[3] - box[1])
                gt["annotations"].append(
                    {
                        "id": len(gt["annotations"]) + 1,
                        "image_id": image_id,
                        "category_id": category[int(cls)],
                        "bbox": [float(box[0]), float(box[1]), w, h],
                        "area": w * h,
                        "iscrowd": iscrowd,
                    }
                )
            for boxes_, scores, classes_ in record["dt"]:
                for box, score, cls in zip(boxes_, scores, classes_):
                    detections.append(
                        {
                            "image_id": image_id,
                            "category_id": category[int(cls)],
                            "score": float(score),
                            "bbox": [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])],
                        }
                    )
        return gt, detections

    def evaluate(self, return_curves: bool = False) -> dict:
        """AI-TOD metrics of everything added so far."""
        return evaluate_coco(*self.to_coco(), return_curves=return_curves)

    def save(self, folder: str | Path) -> tuple[Path, Path]:
        """Write `aitod_gt.json` and `aitod_predictions.json` (COCO format) into folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        gt, detections = self.to_coco()
        gt_path, dt_path = folder / "aitod_gt.json", folder / "aitod_predictions.json"
        gt_path.write_text(json.dumps(gt))
        dt_path.write_text(json.dumps(detections))
        return gt_path, dt_path


def plot_pr_curves(curves: dict, path: str | Path, title: str = "Precision-recall by AI-TOD size") -> Path | None:
    """Plot precision over recall per AI-TOD size bin, at IoU 0.25 and 0.5, side by side; save as PNG."""
    if not curves:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recall = curves["recall"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=110, sharey=True)
    colors = {"all": "black", "verytiny": "#d7301f", "tiny": "#fc8d59", "small": "#4575b4", "medium": "#91bfdb"}
    for ax, key in zip(axes, ("IoU 0.25", "IoU 0.5")):
        for label, precision in curves[key].items():
            if not np.isnan(precision).all():
                ap = float(np.mean(precision))
                ax.plot(
                    recall,
                    precision,
                    color=colors.get(label),
                    lw=2 if label == "all" else 1.3,
                    label=f"{label} {ap:.3f}",
                )
        ax.set(xlabel="recall", title=key, xlim=(0, 1), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(title="size (AP)", fontsize=8)
    axes[0].set_ylabel("precision")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def is_finite(x: float) -> bool:
    """Whether a metric value is a real number (not NaN for 'no ground truth')."""
    return isinstance(x, (int, float)) and math.isfinite(x)
