"""Validation with AI-TOD's tiny-object metrics beside the stock ones, in `yolo val`, training and results.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from ultralytics.data.utils import get_split_fraction
from ultralytics.models.yolo.detect import DetectionValidator
from ultralytics.utils import DEFAULT_CFG, LOGGER, RANK, ops

from ..data.coco_ids import CocoIds
from ..data.ignore import ignore_file_of, read_ignore_regions
from ..metrics import METRIC_KEYS, AITODEvaluator, plot_pr_curves
from ..sizes import size_legend
from .dataset import build_checked_dataset

__all__ = ("AITOD_COLUMNS", "AITOD_MAX_DET", "TinyObjectValidator")

AITOD_MAX_DET = 1500
# The AI-TOD line's column names, one per `srtod_yolo.metrics.METRIC_KEYS` entry in order (AR1500 not shown).
AITOD_COLUMNS = ("AP", "AP@.25", "AP50", "AP75", "AP_vt", "AP_t", "AP_s", "AP_m")


class TinyObjectValidator(DetectionValidator):
    """`DetectionValidator` that also reports AI-TOD's AP, AP@0.25, AP_vt, AP_t, AP_s and AP_m.

    With `tiny_metrics=True` (the default while srtod-yolo is installed) every image's detections, in original
    image pixels, go to an `AITODEvaluator` whose ground truth comes straight from the label files. The results
    appear as a second line of the validation table and as `metrics/AP_vt(B)` and the like in the metrics
    dict, so training writes them to results.csv every epoch. The default `max_det` rises to AI-TOD's 1,500.
    Ground truth comes from the label files (normalised boxes times the original image size).
    `save_json=True` writes `aitod_gt.json` and `aitod_predictions.json` (COCO format) beside the stock
    `predictions.json`; all three carry the source dataset's image and category ids where its converter kept them
    (`coco_ids.json`, see `srtod_yolo.data.coco_ids`), so they score against its own annotation file; `plots=True` draws
    `PR_curve_aitod.png`, precision-recall per size bin. Where a dataset has ignore regions
    (`ignore/<split>/<stem>.txt` beside `labels/`, written by the VisDrone and COCO converters), detections
    inside them are not counted in the AI-TOD metrics, as COCO does with crowds; the stock mAP does not know them.

    Example:
        >>> from ultralytics import YOLO
        >>> YOLO("best.pt").val(data="droneswarms-synth.yaml")  # AP_vt ... in the printed table
    """

    @property
    def tiny(self) -> bool:
        """Whether the AI-TOD metrics are on (`tiny_metrics`)."""
        return bool(getattr(self.args, "tiny_metrics", True))

    def build_dataset(self, img_path: str | list[str], mode: str = "val", batch: int | None = None):
        """Build the split as the stock validator does, as a `CheckedYOLODataset` (bad data skipped and counted)."""
        fraction = get_split_fraction(self.args.fraction, self.args.split or "val")
        return build_checked_dataset(
            self.args, img_path, batch, self.data, mode=mode, stride=self.stride, fraction=fraction
        )

    def init_metrics(self, model: torch.nn.Module) -> None:
        """Initialise the stock metrics and an AI-TOD evaluator holding the split's ground truth."""
        if self.tiny and self.args.max_det == DEFAULT_CFG.max_det:
            self.args.max_det = AITOD_MAX_DET
        super().init_metrics(model)
        image_ids, category_ids = self._use_source_ids(model)
        self.aitod, self.aitod_results = None, {}
        if self.tiny:
            names = {0: model.names[0]} if self.args.single_cls and category_ids else model.names  # one class
            self.aitod = AITODEvaluator(names, image_ids=image_ids, category_ids=category_ids)
            # Ground truth straight from the label files (normalised), not from letterboxed batch boxes.
            self._labels = {label["im_file"]: label for label in self.dataloader.dataset.labels}

    def _use_source_ids(self, model: torch.nn.Module) -> tuple[dict[str, int], dict[int, int]]:
        """Take the source dataset's image and category ids (`coco_ids.json`, written by the converters) for the json.

        The stock validator writes class + 1 as category id and the file stem as image id; with the source's ids
        `predictions.json` can be scored against the source's own annotation file. Returns (image id by file,
        category id by class), empty where the source has none.
        """
        self.source_image_ids: dict[str, int] = {}
        if self.is_coco or self.is_lvis:  # ultralytics maps these itself
            return {}, {}
        ids = CocoIds.for_images(self.dataloader.dataset.im_files)
        if ids is None:
            return {}, {}
        nc = 1 if self.args.single_cls else len(model.names)  # single_cls: every detection is class 0
        class_map = ids.class_map(nc)
        if class_map is None and ids.category_ids and RANK in {-1, 0}:
            LOGGER.warning(
                f"coco_ids.json maps classes {sorted(ids.category_ids)} to source categories, but the model has "
                f"{nc} classes: the json keeps category id = class + 1"
            )
        if class_map is not None:
            self.class_map = class_map
            if getattr(self, "gdict", None):
                self.gdict["categories"] = [{"id": x} for x in class_map]
        self.source_image_ids = ids.image_ids
        if self.args.save_json and not self.training and RANK in {-1, 0}:
            source = ", ".join(ids.sources) or "the source dataset"
            kept = [what for what, kept in (("image", ids.image_ids), ("category", class_map)) if kept]
            LOGGER.info(f"COCO json: {' and '.join(kept) or 'no'} ids of {source} (coco_ids.json)")
        return ids.image_ids, dict(enumerate(class_map)) if class_map else {}

    def pred_to_json(self, predn: dict[str, torch.Tensor], pbatch: dict) -> None:
        """Write the image's detections as the stock validator does, with the source's image id where known."""
        start = len(self.jdict)
        super().pred_to_json(predn, pbatch)
        image_id = getattr(self, "source_image_ids", {}).get(pbatch["im_file"])
        if image_id is not None:
            for entry in self.jdict[start:]:
                entry["image_id"] = image_id

    def update_metrics(self, preds: list[dict[str, torch.Tensor]], batch: dict) -> None:
        """Update the stock metrics, then hand each image's detections (original pixels) to the AI-TOD evaluator."""
        super().update_metrics(preds, batch)
        if self.aitod is None:
            return
        for si, pred in enumerate(preds):
            pbatch = self._prepare_batch(si, batch)
            file, (h, w) = pbatch["im_file"], pbatch["ori_shape"]
            label = self._labels[file]
            gt = ops.xywhn2xyxy(np.asarray(label["bboxes"], np.float64).reshape(-1, 4), w=w, h=h)
            regions, region_classes = self._ignore_regions(file, w, h)
            self.aitod.add_image(
                file, w, h, gt, np.asarray(label["cls"]).reshape(-1), ignore=regions, ignore_classes=region_classes
            )
            predn = self.scale_preds(self._prepare_pred(pred), pbatch)
            self.aitod.add_detections(
                file, predn["bboxes"].cpu().numpy(), predn["conf"].cpu().numpy(), predn["cls"].cpu().numpy()
            )

    def _ignore_regions(self, file: str, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixel ignore regions of an image, from `ignore/<split>/<stem>.txt` beside its label file, if there is one."""
        try:
            path = ignore_file_of(file)
        except ValueError:  # an image outside any 'images' folder has no ignore file
            return np.zeros((0, 4)), np.zeros(0, np.int64)
        regions, classes = read_ignore_regions(path, width, height)
        if self.args.single_cls:  # one class: a crowd of any category covers it
            classes = np.full_like(classes, -1)
        keep = (classes < 0) | np.isin(classes, list(self.aitod.names))
        return regions[keep], classes[keep]

    def gather_stats(self) -> None:
        """Gather the stock statistics and, under DDP, every rank's AI-TOD detections on rank 0."""
        super().gather_stats()
        if self.aitod is None or RANK == -1:
            return
        import torch.distributed as dist

        if RANK == 0:
            gathered = [None] * dist.get_world_size()
            dist.gather_object(self.aitod.records, gathered, dst=0)
            self.aitod.records = {}
            for records in gathered:
                self.aitod.merge(records)
        else:
            dist.gather_object(self.aitod.records, None, dst=0)
            self.aitod.records = {}

    def get_stats(self) -> dict:
        """Stock statistics plus `metrics/<AI-TOD key>(B)` for each of `METRIC_KEYS`."""
        stats = super().get_stats()
        if self.aitod is None:
            return stats
        final = not self.training
        results = self.aitod.evaluate(return_curves=bool(self.args.plots and final))
        curves = results.pop("curves", None)
        self.aitod_results = results
        self.metrics.aitod = dict(results)  # `YOLO(...).val()` returns self.metrics: results.aitod["AP_vt"]
        stats.update({f"metrics/{k}(B)": results[k] for k in METRIC_KEYS})
        if final and self.args.save_json:
            gt, dt = self.aitod.save(self.save_dir)
            LOGGER.info(f"AI-TOD ground truth and predictions (COCO json) saved to {gt.parent}")
        if curves:
            plot_pr_curves(curves, Path(self.save_dir) / "PR_curve_aitod.png")
        return stats

    def print_results(self) -> None:
        """Print the stock table, then one line of AI-TOD metrics."""
        super().print_results()
        if self.aitod_results:
            names = AITOD_COLUMNS
            values = [self.aitod_results[k] for k in METRIC_KEYS[: len(names)]]
            LOGGER.info(("%22s" + "%11s" * len(names)) % ("AI-TOD (maxDets 1500)", *names))
            cells = [f"{v:11.3g}" if np.isfinite(v) else f"{'n/a':>11s}" for v in values]
            LOGGER.info(f"{'all':>22s}" + "".join(cells))
            empty = [n for n, v in zip(names, values) if not np.isfinite(v)]
            if empty:  # metrics.aitod keeps NaN for them, as COCO's -1: there is nothing to average
                LOGGER.info(
                    f"{'':22s} n/a: no ground-truth box of that size in these images ({', '.join(empty)}; AI-TOD "
                    f"sizes: {size_legend()}, the square root of the box area)"
                )
