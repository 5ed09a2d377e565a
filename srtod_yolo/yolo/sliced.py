"""Sliced (SAHI) inference inside the ultralytics predictor, for 1080p and 4K frames with 3-px targets.

A 3-px drone in a 3840x2160 frame letterboxed to 640 shrinks to half a pixel: no detector finds it. With
`slice=True` each frame is cut into overlapping `slice_size` squares (SAHI's slicing), the slices run through the
already-loaded model `slice_batch` at a time (16 per forward pass on a GPU; one on a CPU, where batches measured no
faster: docs/sliced.md), and the detections of every slice are shifted back into frame pixels and merged across
slices with SAHI's postprocess (GREEDYNMM, NMM or NMS). With `slice_full=True` the whole frame, letterboxed to
`imgsz`, runs beside the slices as SAHI's `perform_standard_pred` does, so objects larger than a slice are not
cut apart.

The output is ordinary ultralytics `Results` (`SRTODResults`) in the original frame's coordinates, so `save`,
`save_txt`, `save_crop`, `show` and `yolo track` work unchanged; with SR-TOD models and `save_diff=True` the
per-slice difference maps are stitched into one full-frame map (maximum where slices overlap), which the tracker's
re-indexing keeps.

SAHI is an optional dependency (srtod-yolo's `[sahi]` extra): `pip install 'sahi>=0.11'`.

Example:
    >>> from ultralytics import YOLO
    >>> YOLO("best.pt").track("clip_4k.mp4", slice=True, slice_size=640, slice_overlap=0.2, save=True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from ultralytics.data.augment import LetterBox
from ultralytics.utils import LOGGER, nms, ops

from ..errors import MissingPackageError
from .results import SRTODResults

__all__ = (
    "MERGE_METHODS",
    "SliceArgs",
    "SlicePlan",
    "SlicedPredictionMixin",
    "merge_detections",
    "plan_slices",
    "require_sahi",
    "stitch_maps",
)

MERGE_METHODS = ("GREEDYNMM", "NMM", "NMS")
MATCH_METRICS = ("IOS", "IOU")
# SAHI merges with NMS/IOU below this confidence: merging many weak boxes by union inflates them.
LOW_CONFIDENCE = 0.1


def require_sahi():
    """Import SAHI, or fail with the install command when it is missing."""
    try:
        import sahi
    except ImportError as e:  # a blocked or broken install counts as missing too
        raise MissingPackageError(
            "slice=True (sliced inference) needs the SAHI package, which is not installed: "
            "pip install 'sahi>=0.11' (srtod-yolo's [sahi] extra)"
        ) from e
    return sahi


@dataclass(frozen=True)
class SliceArgs:
    """The `slice_*` arguments of predict/track, checked.

    Attributes:
        size (int): Side of the square slices, in original-frame pixels.
        overlap (float): Fraction of `size` shared by neighbouring slices, in [0, 1).
        full (bool): Also run the whole frame, letterboxed to `imgsz`, and merge its detections in.
        merge (str): SAHI postprocess merging the detections of overlapping slices: GREEDYNMM, NMM or NMS.
        metric (str): Overlap measure for the merge: IOS (intersection over the smaller box) or IOU.
        threshold (float): Overlap from which two detections are the same object, in (0, 1].
        batch (int): Network inputs per forward pass; 0 picks 1 on a CPU and 16 on an accelerator.
    """

    size: int = 640
    overlap: float = 0.2
    full: bool = True
    merge: str = "GREEDYNMM"
    metric: str = "IOS"
    threshold: float = 0.5
    batch: int = 0

    @classmethod
    def from_args(cls, args) -> SliceArgs:
        """Read and check the `slice_*` keys of an ultralytics argument namespace; ValueError names a bad one."""
        size = getattr(args, "slice_size", cls.size)
        overlap = getattr(args, "slice_overlap", cls.overlap)
        merge = str(getattr(args, "slice_merge", cls.merge)).upper()
        metric = str(getattr(args, "slice_match_metric", cls.metric)).upper()
        threshold = getattr(args, "slice_match_threshold", cls.threshold)
        batch = getattr(args, "slice_batch", cls.batch)
        if isinstance(size, bool) or not isinstance(size, int) or size < 32:
            raise ValueError(f"slice_size={size!r}: expected an integer number of pixels, at least 32")
        if not isinstance(overlap, (int, float)) or not 0 <= overlap < 1:
            raise ValueError(f"slice_overlap={overlap!r}: expected a fraction of slice_size in [0, 1)")
        if merge not in MERGE_METHODS:
            raise ValueError(f"slice_merge={merge!r}: expected one of {', '.join(MERGE_METHODS)}")
        if metric not in MATCH_METRICS:
            raise ValueError(f"slice_match_metric={metric!r}: expected one of {', '.join(MATCH_METRICS)}")
        if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
            raise ValueError(f"slice_match_threshold={threshold!r}: expected an overlap in (0, 1]")
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 0:
            raise ValueError(f"slice_batch={batch!r}: expected a number of slices per forward pass, or 0 for auto")
        full = bool(getattr(args, "slice_full", cls.full))
        return cls(size, float(overlap), full, merge, metric, float(threshold), batch)


@dataclass(frozen=True)
class SlicePlan:
    """Where each network input of a batch was cut from.

    Attributes:
        frame (np.ndarray): (N,) int, index in the batch of the frame each input comes from.
        window (np.ndarray): (N, 4) int, the input's window (x1, y1, x2, y2) in that frame's pixels.
        whole (np.ndarray): (N,) bool, the input is the whole-frame pass, not a slice.
    """

    frame: np.ndarray
    window: np.ndarray
    whole: np.ndarray

    def inputs_of(self, i: int) -> np.ndarray:
        """Indices of the network inputs cut from frame i."""
        return np.flatnonzero(self.frame == i)


def plan_slices(shapes: list[tuple[int, int]], size: int, overlap: float, full: bool) -> SlicePlan:
    """Cut frames into SAHI's overlapping square slices, plus the whole frame where it needs more than one slice.

    Args:
        shapes (list[tuple[int, int]]): (height, width) of each frame of the batch, in pixels.
        size (int): Slice side in pixels; a frame smaller than that is one slice of its own size.
        overlap (float): Fraction of `size` shared by neighbouring slices; the last row and column are moved
            inside the frame, so they may overlap more.
        full (bool): Add the whole frame as one more input (downscaled by the letterbox) for large objects.

    Returns:
        (SlicePlan): The windows, frame by frame.

    Example:
        >>> plan_slices([(720, 1280)], 640, 0.0, full=False).window.tolist()
        [[0, 0, 640, 640], [640, 0, 1280, 640], [0, 80, 640, 720], [640, 80, 1280, 720]]
    """
    from sahi.slicing import get_slice_bboxes

    frame, window, whole = [], [], []
    for i, (h, w) in enumerate(shapes):
        boxes = get_slice_bboxes(h, w, size, size, False, overlap, overlap)
        if full and len(boxes) > 1:
            boxes.append([0, 0, w, h])
        frame += [i] * len(boxes)
        window += boxes
        whole += [False] * (len(boxes) - 1) + [full and len(boxes) > 1]
    return SlicePlan(np.array(frame, int), np.array(window, int).reshape(-1, 4), np.array(whole, bool))


def merge_detections(
    det: torch.Tensor, merge: str = "GREEDYNMM", metric: str = "IOS", threshold: float = 0.5, agnostic: bool = False
) -> torch.Tensor:
    """Merge detections of overlapping slices, already in frame pixels, with SAHI's postprocess.

    Args:
        det (torch.Tensor): (N, 6) detections (x1, y1, x2, y2, conf, cls) of one frame.
        merge (str): GREEDYNMM or NMM (merge matching boxes into their union, keep the best score and class)
            or NMS (keep the best box of each match).
        metric (str): IOS or IOU.
        threshold (float): Overlap from which two detections match.
        agnostic (bool): Match across classes.

    Returns:
        (torch.Tensor): (M, 6) on det's device, highest confidence first.

    Example:
        >>> cut = torch.tensor([[100.0, 10, 104, 14, 0.9, 0], [102.0, 10, 106, 14, 0.8, 0]])
        >>> merge_detections(cut, "GREEDYNMM", "IOS", 0.5).tolist()
        [[100.0, 10.0, 106.0, 14.0, 0.8999999761581543, 0.0]]
    """
    from sahi.postprocess.combine import GreedyNMMPostprocess, NMMPostprocess, NMSPostprocess
    from sahi.prediction import ObjectPrediction

    postprocess = {"GREEDYNMM": GreedyNMMPostprocess, "NMM": NMMPostprocess, "NMS": NMSPostprocess}[merge]
    rows = det[:, :6].detach().cpu().numpy().astype(np.float64)
    rows = rows[(rows[:, 2] > rows[:, 0]) & (rows[:, 3] > rows[:, 1])]  # SAHI rejects empty boxes
    if len(rows) < 2:
        return torch.as_tensor(rows, dtype=det.dtype, device=det.device).reshape(-1, 6)
    predictions = [
        ObjectPrediction(bbox=r[:4].tolist(), category_id=int(r[5]), category_name=str(int(r[5])), score=float(r[4]))
        for r in rows
    ]
    kept = postprocess(match_threshold=threshold, match_metric=metric, class_agnostic=agnostic)(predictions)
    out = np.array([[*p.bbox.to_xyxy(), p.score.value, p.category.id] for p in kept], dtype=np.float64).reshape(-1, 6)
    out = out[np.argsort(-out[:, 4], kind="stable")]
    return torch.as_tensor(out, dtype=det.dtype, device=det.device)


def _edge_depth(lo: int, hi: int, size: int, far: float, device) -> torch.Tensor:
    """Each pixel's distance to the nearer edge of the window [lo, hi) along one axis of a frame of `size` pixels.

    Returns a (hi - lo,) float tensor; an edge on the frame's own border counts as `far` away.
    """
    steps = torch.arange(hi - lo, dtype=torch.float32, device=device)
    return torch.minimum(steps if lo > 0 else steps + far, (hi - lo - 1 - steps) if hi < size else steps + far)


def stitch_maps(maps: torch.Tensor, windows: np.ndarray, shape: tuple[int, int]) -> torch.Tensor:
    """Paste per-slice maps, each the letterboxed network input's size, into one map of the frame.

    Where slices overlap, each pixel comes from the slice it lies deepest inside (farthest from that slice's edges
    that are not the frame's). A slice's reconstruction fails along its own edges as a frame's does along the
    frame's, so the simple maximum drew every slice's edge into the stitched map as a grid of lines; this way an
    edge shows only where no other slice covers it, which is the frame's own edge.

    Args:
        maps (torch.Tensor): (N, 1, h, w) maps of N slices of one frame, at network-input size (letterboxed).
        windows (np.ndarray): (N, 4) the slices' windows (x1, y1, x2, y2) in frame pixels.
        shape (tuple[int, int]): The frame's (height, width).

    Returns:
        (torch.Tensor): (height, width) float map; 0 where no slice reaches.
    """
    height, width = shape
    out = torch.zeros(shape, dtype=torch.float32, device=maps.device)
    best = torch.full(shape, -1.0, dtype=torch.float32, device=maps.device)  # depth of the slice each pixel took
    far = float(max(height, width))  # a side on the frame's edge does not count as an edge of the slice
    for m, (x1, y1, x2, y2) in zip(maps, windows):
        x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
        piece = ops.scale_masks(m[None].float(), (y2 - y1, x2 - x1))[0, 0]
        depth = torch.minimum(
            _edge_depth(y1, y2, height, far, maps.device)[:, None], _edge_depth(x1, x2, width, far, maps.device)
        )
        take = depth > best[y1:y2, x1:x2]
        out[y1:y2, x1:x2] = torch.where(take, piece, out[y1:y2, x1:x2])
        best[y1:y2, x1:x2] = torch.where(take, depth, best[y1:y2, x1:x2])
    return out


class SlicedPredictionMixin:
    """Adds `slice=True` to a `DetectionPredictor` subclass: put it first among the bases.

    `preprocess` cuts each frame into slices (the plan is kept in `self.slice_plan`), `inference` runs them in
    batches of `slice_batch`, `postprocess` maps detections back to frame pixels and merges them. Without
    `slice=True` every method defers to the next class, unchanged. SR-TOD difference maps are stitched when the
    predictor has `srtod_layers` keeping their maps (`save_diff=True`).
    """

    slice_plan: SlicePlan | None = None

    @property
    def sliced(self) -> bool:
        """Whether this run slices its frames (`slice=True`)."""
        return bool(getattr(self.args, "slice", False))

    def preprocess(self, im):
        """Cut every frame of the batch into slices and letterbox each to `imgsz`, as one (N, 3, H, W) tensor."""
        if not self.sliced:
            return super().preprocess(im)
        require_sahi()
        self.slice_args = SliceArgs.from_args(self.args)
        self._switch_off_unsliceable()
        frames = im if isinstance(im, list) else list(ops.convert_torch2numpy_batch(im)[..., ::-1])
        a = self.slice_args
        self.slice_plan = plan_slices([f.shape[:2] for f in frames], a.size, a.overlap, a.full)
        self._log_plan(frames[0].shape[:2])
        crops = [frames[i][y1:y2, x1:x2] for i, (x1, y1, x2, y2) in zip(self.slice_plan.frame, self.slice_plan.window)]
        return super().preprocess(crops)

    def pre_transform(self, im: list[np.ndarray]) -> list[np.ndarray]:
        """Letterbox slices to exactly `imgsz`: slices and the whole frame then stack into one batch."""
        if not self.sliced:
            return super().pre_transform(im)
        letterbox = LetterBox(self.imgsz, auto=False, stride=self.model.stride)
        return [letterbox(image=x) for x in im]

    def inference(self, im: torch.Tensor, *args, **kwargs):
        """Run the slices through the model `slice_batch` at a time; collect SR-TOD maps if they are kept."""
        if not self.sliced:
            return super().inference(im, *args, **kwargs)
        # Batches of 640-px inputs overflow a CPU's caches (measured no faster than one by one); a GPU wants them.
        step = self.slice_args.batch or (1 if im.device.type == "cpu" else 16)
        outputs, maps = [], []
        layers = getattr(self, "srtod_layers", None) or []
        for chunk in im.split(step):
            out = super().inference(chunk, *args, **kwargs)
            outputs.append(out[0] if isinstance(out, (list, tuple)) else out)
            difference = layers[0].last.get("difference") if layers else None
            if difference is not None:
                maps.append(difference)
        self.slice_maps = torch.cat(maps) if len(maps) == len(outputs) else None
        return torch.cat(outputs)

    def postprocess(self, preds, img, orig_imgs, **kwargs):
        """Per-slice NMS, boxes back into frame pixels, SAHI merge across slices: one `Results` per frame."""
        if not self.sliced:
            return super().postprocess(preds, img, orig_imgs, **kwargs)
        if getattr(self, "_feats", None) is not None:
            raise ValueError(
                "slice=True cannot hand detection-head features to the tracker's ReID (with_reid: True, model: auto): "
                "they belong to slices, not to the frame. Set 'model:' in the tracker YAML to a ReID model file, or "
                "with_reid: False."
            )
        a, plan = self.slice_args, self.slice_plan
        detections = nms.non_max_suppression(
            preds,
            self.args.conf,
            kwargs.pop("iou", self.args.iou),  # TrackTrack's recovery pass asks for a looser NMS
            self.args.classes,
            self.args.agnostic_nms,
            max_det=self.args.max_det,
            nc=0 if self.args.task == "detect" else len(self.model.names),
            end2end=getattr(self.model, "end2end", False),
        )
        for det, (x1, y1, x2, y2) in zip(detections, plan.window):
            det[:, :4] = ops.scale_boxes(img.shape[2:], det[:, :4], (int(y2 - y1), int(x2 - x1)))
            det[:, [0, 2]] += float(x1)
            det[:, [1, 3]] += float(y1)
        if not isinstance(orig_imgs, list):
            orig_imgs = list(ops.convert_torch2numpy_batch(orig_imgs)[..., ::-1])
        merge, metric = self._merge_rule()
        maps = getattr(self, "slice_maps", None)
        results = []
        for i, (frame, path) in enumerate(zip(orig_imgs, self.batch[0])):
            inputs = plan.inputs_of(i)
            det = torch.cat([detections[k] for k in inputs])
            if len(inputs) > 1:
                det = merge_detections(det, merge, metric, a.threshold, self.args.agnostic_nms)
            result = SRTODResults(frame, path=path, names=self.model.names, boxes=det[: self.args.max_det, :6])
            if maps is not None:
                parts = inputs[~plan.whole[inputs]]
                result.difference = stitch_maps(maps[parts], plan.window[parts], frame.shape[:2]).cpu().numpy()
            results.append(result)
        return results

    def _merge_rule(self) -> tuple[str, str]:
        """The merge and metric in force: SAHI's NMS/IOU below conf 0.1, where unions of weak boxes would swell."""
        a = self.slice_args
        if self.args.conf < LOW_CONFIDENCE and a.merge != "NMS":
            return "NMS", "IOU"
        return a.merge, a.metric

    def _switch_off_unsliceable(self) -> None:
        """Options that read network inputs as frames make no sense on slices: say so once and switch them off."""
        unsupported = [k for k in ("augment", "embed", "visualize") if getattr(self.args, k, False)]
        if unsupported:
            LOGGER.warning(f"{unsupported} not supported with slice=True; ignoring.")
            self.args.augment, self.args.embed, self.args.visualize = False, None, False

    def _log_plan(self, shape: tuple[int, int]) -> None:
        """Say once per frame size and settings how many network inputs a frame costs."""
        key = (tuple(shape), self.slice_args, tuple(self.imgsz), self._merge_rule())
        logged = self.__dict__.setdefault("_slice_logged", set())
        if key in logged:
            return
        logged.add(key)
        a = self.slice_args
        n = len(plan_slices([shape], a.size, a.overlap, False).frame)
        full = " + the whole frame" if a.full and n > 1 else ""
        merge, metric = self._merge_rule()
        why = f" (not {a.merge}/{a.metric}: conf < {LOW_CONFIDENCE}, as in SAHI)" if merge != a.merge else ""
        LOGGER.info(
            f"slice=True: each {shape[1]}x{shape[0]} frame is {n} slice(s) of {a.size} px "
            f"(overlap {a.overlap:g}){full}, "
            f"each letterboxed to {self.imgsz[1]}x{self.imgsz[0]}; merged by {merge}/{metric} {a.threshold:g}{why}"
        )
