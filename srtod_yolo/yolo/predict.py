"""Prediction with SR-TOD models: the stock detection predictor, plus the difference map beside the result."""

from __future__ import annotations

import ast
from pathlib import Path

import cv2
import torch
from ultralytics.models.yolo.detect import DetectionPredictor
from ultralytics.utils import LOGGER, ops

from ..data.images import HighBitDepthError, check_8bit, check_frame, check_video
from ..export.onnx_model import srtod_output_kind, srtod_threshold
from ..nn import SRTOD
from ..sizes import SHRINK_LIMIT, shrink_factor
from ..viz import difference_overlay, side_by_side
from .results import SRTODResults
from .sliced import SliceArgs, SlicedPredictionMixin
from .tracks import TrackOutputMixin

__all__ = (
    "SRTODPredictor",
    "finest_stride",
    "fixed_input_size",
    "fixed_size_warning",
    "no_difference_map_message",
    "enlarge_warning",
    "shrink_warning",
    "srtod_layers_of",
)


def srtod_layers_of(model) -> list[SRTOD]:
    """SR-TOD layers inside a model, an AutoBackend wrapping one, or nothing (exported backends)."""
    module = getattr(model, "model", model)
    if not isinstance(module, torch.nn.Module):
        return []
    return [m for m in module.modules() if isinstance(m, SRTOD)]


def finest_stride(model) -> int | None:
    """The smallest stride of a detection model's head (4 for a P2 model), or None where it cannot be known.

    A PyTorch model (or an AutoBackend wrapping one) says so by its head; an export by the `head_strides` its
    metadata records (`srtod_yolo.yolo.export.prepare_export`: every export made with srtod-yolo installed). An
    export made without it has no head to read: None.
    """
    module = getattr(model, "model", model)
    head = module.model[-1] if isinstance(module, torch.nn.Module) and hasattr(module, "model") else None
    strides = getattr(head, "stride", None)
    if isinstance(strides, torch.Tensor) and strides.numel():
        return int(strides.min())
    strides = (getattr(model, "metadata", None) or {}).get("head_strides")
    if isinstance(strides, str):  # ONNX keeps metadata values as strings
        try:
            strides = ast.literal_eval(strides)
        except (ValueError, SyntaxError):
            return None
    return int(min(strides)) if isinstance(strides, (list, tuple)) and strides else None


def fixed_input_size(model) -> tuple[int, int] | None:
    """An export's fixed input (height, width), which ultralytics uses instead of `imgsz`; None if it takes any.

    ultralytics' predictor replaces the requested `imgsz` with the size a non-dynamic export was made at (its
    metadata `imgsz`), without a word; a .pt, a .yaml and a `dynamic=True` export take the requested size.
    """
    size = getattr(model, "imgsz", None) if not getattr(model, "dynamic", False) else None
    if size is None:
        return None
    size = list(size) if isinstance(size, (list, tuple)) else [int(size)]
    return (int(size[0]), int(size[-1]))


def fixed_size_warning(requested, fixed: tuple[int, int]) -> str | None:
    """The warning for an `imgsz` that a fixed-size export cannot take, or None when it asked for that size.

    Args:
        requested (int | list[int]): The `imgsz` the run was given (or ultralytics' default, 640).
        fixed (tuple[int, int]): The export's input (height, width), from `fixed_input_size`.
    """
    rh, rw = (requested, requested) if isinstance(requested, int) else (requested[0], requested[-1])
    if (int(rh), int(rw)) == tuple(fixed):
        return None
    asked = rh if rh == rw else [rh, rw]
    made = fixed[0] if fixed[0] == fixed[1] else list(fixed)
    return (
        f"imgsz={asked} is not used: this export takes inputs of {fixed[1]}x{fixed[0]} px only (exported at "
        f"imgsz={made}), so every frame is letterboxed to that. To run at imgsz={asked}, export again with "
        f"imgsz={asked} (or dynamic=True, which takes any size)."
    )


def _letterbox_scale(shape: tuple[int, int], imgsz, slice_size: int | None) -> tuple[int, int, float, int | list]:
    """(h, w, shrink factor, imgsz as shown) of a frame, or of its slices, letterboxed to `imgsz`.

    With `slice_size`, a slice is that side clipped to the frame (a frame smaller than a slice is one slice of its own
    size); the factor is `srtod_yolo.sizes.shrink_factor` (< 1: enlarged); imgsz is shown as one side when square.
    """
    h, w = (min(slice_size, shape[0]), min(slice_size, shape[1])) if slice_size else shape
    ih, iw = (imgsz, imgsz) if isinstance(imgsz, int) else (imgsz[0], imgsz[-1])
    return h, w, shrink_factor((h, w), imgsz), ih if ih == iw else [ih, iw]


def shrink_warning(
    shape: tuple[int, int], imgsz, slice_size: int | None = None, fixed_export: bool = False
) -> str | None:
    """The warning for frames (or slices) that a tiny-object (P2) model sees shrunk to fit `imgsz`, or None.

    Args:
        shape (tuple[int, int]): A source frame's (height, width) in pixels.
        imgsz (int | list[int]): The network input size, one side or (height, width), as the predictor letterboxes.
        slice_size (int | None): With sliced inference, the side of the slices, each letterboxed to `imgsz`.
        fixed_export (bool): The model is an export whose input size is fixed (`fixed_input_size`): the fix is to
            export again at the frame's size, since passing `imgsz` does not change it.

    Returns:
        (str | None): A message naming the shrink factor and the fixes, when the letterbox scales the frame (or its
            slices) down by `srtod_yolo.sizes.SHRINK_LIMIT` or more; None otherwise.
    """
    h, w, shrink, size = _letterbox_scale(shape, imgsz, slice_size)
    if shrink < SHRINK_LIMIT:
        return None
    loss = f"every object shrinks {shrink:.1f}x (a 6-px drone becomes {6 / shrink:.1f} px), and the tiniest drones "
    loss += "are lost first"
    if slice_size:
        resize = f"export again with imgsz={slice_size}" if fixed_export else f"pass imgsz={slice_size}"
        return (
            f"slices of {slice_size} px are letterboxed to imgsz={size}: {loss}. To keep them, {resize} "
            f"or slice_size={max(size) if isinstance(size, list) else size} (slices the size the network sees)."
        )
    if fixed_export:
        return (
            f"frames of {w}x{h} px run at imgsz={size}, the fixed input size of this export: {loss}. To keep them, "
            f"export again with imgsz={max(h, w)} (the frame at its own size) or dynamic=True, or predict with "
            "slice=True (sliced inference, docs/sliced.md)."
        )
    return (
        f"frames of {w}x{h} px run at imgsz={size}: {loss}. To keep them, pass imgsz={max(h, w)} (the frame at its own "
        "size) or, for frames much larger than the model was trained at, slice=True (sliced inference, "
        "docs/sliced.md)."
    )


def enlarge_warning(
    shape: tuple[int, int], imgsz, slice_size: int | None = None, fixed_export: bool = False
) -> str | None:
    """The warning for frames (or slices) that a tiny-object (P2) model sees enlarged to fill `imgsz`, or None.

    The letterbox scales a frame smaller than `imgsz` up (ultralytics' `scaleup`): a model trained at the frames'
    native pixel scale then sees every drone larger than it learned them. On the released `yolov8n-p2-halmstad.pt`,
    running the thermal 320x256 val frames at 640 instead of 320 lowers their val AP from 14.0 to 11.3
    (`python -m benchmarks.native_scale`, benchmarks/results/native_scale.json).

    Args:
        shape (tuple[int, int]): A source frame's (height, width) in pixels.
        imgsz (int | list[int]): The network input size, one side or (height, width), as the predictor letterboxes.
        slice_size (int | None): With sliced inference, the side of the slices; a frame smaller than a slice is one
            slice of its own size, letterboxed to `imgsz` like a whole frame.
        fixed_export (bool): The model is an export whose input size is fixed: the fix is to export again.

    Returns:
        (str | None): A message naming the factor and the fix, when the letterbox scales the frame (or its slices) up
            by `srtod_yolo.sizes.SHRINK_LIMIT` or more; None otherwise.
    """
    h, w, shrink, size = _letterbox_scale(shape, imgsz, slice_size)
    if shrink <= 0 or 1 / shrink < SHRINK_LIMIT:
        return None
    grow = 1 / shrink
    what = f"frames of {w}x{h} px" + (f" (smaller than slice_size={slice_size}: one slice each)" if slice_size else "")
    fix = f"export again with imgsz={max(h, w)}" if fixed_export else f"pass imgsz={max(h, w)} for them"
    return (
        f"{what} are enlarged {grow:.1f}x to imgsz={size}: every object with them (a 6-px drone becomes "
        f"{6 * grow:.0f} px), larger than a model trained at native pixel scale saw it, which costs accuracy. "
        f"{fix[0].upper() + fix[1:]} (the frame at its own size)."
    )


def no_difference_map_message(meta: dict) -> str:
    """Why `save_diff=True` has nothing to save, for a model without SR-TOD layers and without a map output.

    Args:
        meta (dict): The model's metadata (an export's `metadata.yaml` or ONNX metadata; empty for a .pt/.yaml).
            An export of an SR-TOD model carries its settings under `srtod`.
    """
    if meta.get("srtod"):
        return (
            "save_diff=True: this export of an SR-TOD model was made without srtod_output=difference, so it returns "
            "detections only and has no difference map to save. Export it again with srtod_output=difference "
            "(yolo export model=best.pt format=onnx srtod_output=difference), or predict with the .pt."
        )
    return (
        "save_diff=True: this model has no SR-TOD layer (a stock YOLO model), so it has no difference map to save. "
        "It works with SR-TOD models: a .pt or .yaml with an SR-TOD row, or an export with srtod_output=difference."
    )


class SRTODPredictor(TrackOutputMixin, SlicedPredictionMixin, DetectionPredictor):
    """`DetectionPredictor` that, with `save_diff=True`, saves each result beside its SR-TOD difference map.

    The saved image or video frame is the annotated prediction on the left and, on the right, the difference map
    of the first SR-TOD layer as a heat map over the frame with the thresholded mask outlined. Each `Results`
    object also gets a `difference` attribute: the map (H, W) at the original frame's size.

    With `slice=True` frames are cut into overlapping slices and merged back (see `srtod_yolo.yolo.sliced`); the
    difference map is then stitched from the slices' maps. Results are `SRTODResults`, so the map survives the
    tracker's re-indexing (`yolo track`). With `save_tracks=True`, `yolo track` writes per-track summaries and a
    MOTChallenge file per source (`srtod_yolo.yolo.tracks`).

    Every frame of a saved video is written at the size of the first (cv2.VideoWriter would silently drop any
    other): a frame that cannot be written raises RuntimeError naming its frame number.

    Example:
        >>> from ultralytics import YOLO
        >>> YOLO("best.pt").predict("clip.mp4", save=True, save_diff=True)
    """

    def setup_model(self, model, verbose: bool = True):
        """Load the model; with save_diff, ask its SR-TOD layers to keep their full-resolution maps."""
        super().setup_model(model, verbose=verbose)
        self.srtod_layers = srtod_layers_of(self.model)
        # A model exported with `srtod_output=difference|mask` (ONNX, TensorRT) returns that map as its output1.
        meta = getattr(self.model, "metadata", None) or {}
        self.exported_map = "none" if self.srtod_layers else srtod_output_kind(meta)
        self.exported_threshold = 0.5 if self.exported_map == "mask" else srtod_threshold(meta)
        if getattr(self.args, "save_diff", False):
            if not self.srtod_layers and self.exported_map == "none":
                LOGGER.warning(no_difference_map_message(meta))
            for m in self.srtod_layers:
                m.keep_maps = True

    def setup_source(self, source, stride: int | None = None):
        """Set up the source, refusing frames deeper than 8 bits that ultralytics would silently flatten.

        Every container the stock predictor takes is checked by `srtod_yolo.data.images`' rule: in-memory frames
        (numpy arrays, PIL images, tensors, and lists of them) by `check_frame`, image files by `check_8bit`,
        videos and streams by `check_video`. Screenshots are 8-bit.
        """
        # Once per run (each predict/track call sets its source up again), and for P2 models only, which are made
        # for tiny objects: decided here, so that preprocess does nothing per batch for any other model.
        p2 = finest_stride(self.model) == 4
        self._scale_pending = {"shrink", "enlarge"} if p2 else set()
        self._scale_slice = SliceArgs.from_args(self.args).size if p2 and self.sliced else None
        fixed = fixed_input_size(self.model)
        self._fixed_export = fixed is not None
        frames = source if isinstance(source, (list, tuple)) else [source]
        for i, frame in enumerate(frames):
            check_frame(frame, f"source[{i}]" if isinstance(source, (list, tuple)) else "the source")
        requested = self.args.imgsz  # ultralytics replaces it with a fixed-size export's own, silently
        try:
            super().setup_source(source, stride)
        except FileNotFoundError as e:  # a .txt/.csv source is a list of paths: say so, not only "0 does not exist"
            if not (isinstance(source, (str, Path)) and Path(source).suffix.lower() in {".txt", ".csv"}):
                raise
            raise FileNotFoundError(
                f"source '{source}' is read as a list of image and video paths (a .txt or .csv source holds one a line "
                f"or cell), but {e}. A label or track file is not a source: give the video, image or folder instead"
            ) from None
        if fixed and (message := fixed_size_warning(requested, fixed)):
            LOGGER.warning(message)
        try:
            self._check_files_and_videos()
        except HighBitDepthError:
            if hasattr(self.dataset, "close"):  # stream reader threads
                self.dataset.close()
            raise

    def _check_files_and_videos(self) -> None:
        """Refuse high-bit-depth image files and grey videos or streams; say when a colour video is cut to 8 bits."""
        files, videos = getattr(self.dataset, "files", []), getattr(self.dataset, "video_flag", [])
        captures = []
        for file, is_video in zip(files, videos):
            if is_video:
                captures.append((file, None))
            else:
                check_8bit(file)
        captures += list(zip(getattr(self.dataset, "sources", []), getattr(self.dataset, "caps", [])))
        for name, capture in captures:
            opened = capture if capture is not None else cv2.VideoCapture(str(name))
            try:
                bits = check_video(opened, name) if opened.isOpened() else 8
            finally:
                if capture is None:
                    opened.release()
            if bits > 8:
                LOGGER.warning(
                    f"'{name}' is a {bits}-bit colour video; OpenCV decodes it to 8 bits per channel (its top 8 bits)"
                )

    def preprocess(self, im):
        """The stock preprocessing; first, once per run each, say when a P2 model's frames shrink or are enlarged.

        Frames (or slices) that shrink to fit `imgsz` and frames enlarged to fill it get one warning each. Every frame
        is checked until both have been said: a folder may mix sizes.
        """
        pending = getattr(self, "_scale_pending", None)
        if pending and isinstance(im, list):
            for frame in im:
                for name, warning in (("shrink", shrink_warning), ("enlarge", enlarge_warning)):
                    if name in pending:
                        message = warning(frame.shape[:2], self.imgsz, self._scale_slice, self._fixed_export)
                        if message:
                            LOGGER.warning(message)
                            pending.discard(name)
                if not pending:
                    break
        return super().preprocess(im)

    def construct_result(self, pred, img, orig_img, img_path):
        """The stock detection result, as an `SRTODResults` that keeps the difference map when re-indexed."""
        return SRTODResults.adopt(super().construct_result(pred, img, orig_img, img_path))

    def postprocess(self, preds, img, orig_imgs, **kwargs):
        """Attach each image's difference map, at the original frame's size, to its `Results`."""
        results = super().postprocess(preds, img, orig_imgs, **kwargs)
        if self.sliced:
            return results  # the sliced path stitched each frame's map from its slices already
        maps = self.srtod_layers[0].last if getattr(self, "srtod_layers", None) else {}
        difference = maps.get("difference")
        if difference is None and getattr(self, "exported_map", "none") != "none" and isinstance(preds, (list, tuple)):
            difference = preds[1]  # output1, (B, 1, H, W) at the letterboxed input's size like the layer's map
        if difference is not None:
            for i, result in enumerate(results):
                scaled = ops.scale_masks(difference[i : i + 1].float(), result.orig_shape)
                result.difference = scaled[0, 0].cpu().numpy()
        return results

    def write_results(self, i: int, p: Path, im: torch.Tensor, s: list[str]) -> str:
        """Remember which result is being written, so the saved picture can carry its difference map."""
        self._writing = i
        return super().write_results(i, p, im, s)

    def save_predicted_images(self, save_path: Path, frame: int | None = 0):
        """Save the annotated frame, with the difference-map overlay beside it when save_diff is on."""
        result = self.results[getattr(self, "_writing", 0)]
        difference = getattr(result, "difference", None)
        if getattr(self.args, "save_diff", False) and difference is not None and self.plotted_img is not None:
            threshold = float(self.srtod_layers[0].threshold.value) if self.srtod_layers else self.exported_threshold
            overlay = difference_overlay(result.orig_img, difference, threshold)
            self.plotted_img = side_by_side(self.plotted_img, overlay)
        if self.dataset.mode not in {"stream", "video"} or self.plotted_img is None:
            return super().save_predicted_images(save_path, frame)
        # cv2.VideoWriter drops frames of another size than it was opened with, and all frames when it did not
        # open, without a word: check both, so a saved video has every frame the source delivered, or an error.
        shapes = self.__dict__.setdefault("_video_shapes", {})
        opened = save_path not in self.vid_writer
        if opened:
            shapes[save_path] = self.plotted_img.shape
        elif self.plotted_img.shape != shapes[save_path]:
            size = lambda shape: "x".join(map(str, (shape[1], shape[0], *shape[2:])))  # noqa: E731, W x H x C
            raise RuntimeError(
                f"frame {frame} of {result.path}: its saved picture is {size(self.plotted_img.shape)}, but the video "
                f"{save_path.stem} in {save_path.parent} was opened at {size(shapes[save_path])} by its first frame, "
                "and cv2.VideoWriter would silently drop it. Every frame of one video must be drawn at one size."
            )
        super().save_predicted_images(save_path, frame)
        if opened and not self.vid_writer[save_path].isOpened():
            raise RuntimeError(
                f"frame {frame}: cv2.VideoWriter could not open a video for {save_path} (codec or folder not "
                "writable), so no frame would be saved"
            )
