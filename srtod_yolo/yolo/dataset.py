"""A YOLO detection dataset on which bad data never kills a run: it is named, skipped, counted and summed up.

ultralytics' label scan already skips unreadable images, labels outside [0, 1] and unknown class ids (the whole
image, with a warning naming it), and removes duplicate rows. `CheckedYOLODataset` adds what it lacks: files
that are no image at all are refused before PIL would try to install a HEIF plugin for them; zero-size boxes are
dropped with a warning naming the file; 16-bit frames (which ultralytics would cut to their high byte) are skipped
with the fix; a missing folder among several train folders is skipped with a warning (all missing: a clear
error); a missing labels folder is named and counted (its images are read as background); and one summary line
counts everything skipped by kind. The counts are stored in ultralytics' `labels.cache`, so a second (cached) run
reports the same line. Messages name the cache file by its final name, never the private file a scan writes first.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from ultralytics.data import YOLODataset
from ultralytics.data.build import build_yolo_dataset
from ultralytics.data.utils import check_image, get_split_fraction, img2label_paths
from ultralytics.utils import LOCAL_RANK, LOGGER, colorstr

from ..data.images import HighBitDepthError, check_8bit
from ..sizes import SHRINK_LIMIT, shrink_factor

__all__ = ("SKIP_KINDS", "CheckedYOLODataset", "build_checked_dataset")

# What the summary line counts, in its order.
SKIP_KINDS = (
    "corrupt images",
    "bad labels",
    "zero-size boxes",
    "duplicate rows",
    "empty label files",
    "missing folders",
    "16-bit images",
)
CACHE_KEY = "srtod_skipped"  # the counts, stored beside ultralytics' own in labels.cache
SCAN_VERSION = "srtod-checked-1"  # in the cache hash: a cache without our counts (or zero-size boxes) is rescanned
PIL_ONLY_SUFFIXES = (".avif", ".heic", ".heif")  # formats OpenCV cannot sniff, which PIL reads through a plugin

if not hasattr(YOLODataset, "_load_or_scan_cache"):  # the one private method overridden here
    raise RuntimeError("srtod-yolo: ultralytics' YOLODataset has no _load_or_scan_cache; set SRTOD_YOLO_HOOKS=0")


class _RenamePath(logging.Filter):
    """Rewrite one path to another in every log message that passes (the private cache file to the final one)."""

    def __init__(self, old: Path, new: Path):
        super().__init__()
        self.old, self.new = str(old), str(new)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and self.old in record.msg:
            record.msg = record.msg.replace(self.old, self.new)
        return True


EMPTY_LABEL_NOTE = ": empty label file "
EMPTY_LABEL_NAMED = 3  # empty label files named one by one per scan; the rest are counted in one line


class _FewEmptyLabelNotes(logging.Filter):
    """Name the first `EMPTY_LABEL_NAMED` empty label files of a scan; fold the others into one counted line.

    A dataset with thousands of background images (the synthetic swarms, tiled frames) would otherwise print one
    line per file; the data-check summary line still counts them all.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and EMPTY_LABEL_NOTE in record.msg:
            lines = record.msg.split("\n")
            empty = [i for i, line in enumerate(lines) if EMPTY_LABEL_NOTE in line]
            if len(empty) > EMPTY_LABEL_NAMED:
                drop = set(empty[EMPTY_LABEL_NAMED:])
                kept = [line for i, line in enumerate(lines) if i not in drop]
                kept.append(f"... and {len(drop)} more empty label files, also used as background images")
                record.msg = "\n".join(kept)
        return True


@contextmanager
def _messages_name(private: Path, final: Path) -> Iterator[None]:
    """While inside, messages naming `private` name `final` (the file a user can find); few empty files named."""
    filters = (_RenamePath(private, final), _FewEmptyLabelNotes())
    for f in filters:
        LOGGER.addFilter(f)
    try:
        yield
    finally:
        for f in filters:
            LOGGER.removeFilter(f)


def _checked_verify(verify: Callable, args: tuple) -> tuple[list, Counter]:
    """Run ultralytics' per-image check (`verify`), then classify what it skipped and drop zero-size boxes.

    Returns:
        (tuple[list, Counter]): ultralytics' result, with zero-size boxes removed, and the counts by kind.
    """
    im_file, lb_file, prefix = args[0], args[1], args[2]
    kinds = Counter()
    if not im_file.lower().endswith(PIL_ONLY_SUFFIXES) and not cv2.haveImageReader(im_file):
        kinds["corrupt images"] = 1
        msg = f"{prefix}{im_file}: skipped, not an image (no decoder recognises its content)"
        return [None] * 5 + [0, 0, 0, 1, msg], kinds
    try:
        check_8bit(im_file)
    except HighBitDepthError as e:  # ultralytics would keep only its high byte: a flat frame, silently
        kinds["16-bit images"] = 1
        return [None] * 5 + [0, 0, 0, 1, f"{prefix}skipped: {e}"], kinds
    result = list(verify(args))
    _, lb, _, segments, keypoints, _, nf, ne, nc, msg = result  # a skipped image has None for its file name
    if nc:
        try:  # the image passes alone: then its label file was the problem
            check_image(im_file)
            kinds["bad labels"] = 1
        except Exception:
            kinds["corrupt images"] = 1
        return result, kinds
    if ne:  # a background image is legitimate, but an empty label file may also be a labelling slip: name it
        kinds["empty label files"] = 1
        note = f"{prefix}{im_file}{EMPTY_LABEL_NOTE}{lb_file}, used as a background image"
        result[9] = msg = f"{msg}\n{note}" if msg else note
    if nf and not ne and msg:  # ultralytics removed duplicate rows (and said so): count them
        with open(lb_file, encoding="utf-8-sig") as f:
            kinds["duplicate rows"] = sum(1 for line in f if line.strip()) - len(lb)
    zero = (lb[:, 3] <= 0) | (lb[:, 4] <= 0)
    if zero.any():
        keep = ~zero
        result[1] = lb[keep]
        if segments:
            result[3] = [s for s, k in zip(segments, keep) if k]
        if keypoints is not None:
            result[4] = keypoints[keep]
        kinds["zero-size boxes"] = int(zero.sum())
        note = f"{prefix}{im_file}: {int(zero.sum())} zero-size box(es) dropped from {lb_file}"
        result[9] = f"{msg}\n{note}" if msg else note
    return result, kinds


class CheckedYOLODataset(YOLODataset):
    """`YOLODataset` that skips bad data with a message naming each file and one summary line of counts by kind.

    After construction `skipped` holds the counts of `SKIP_KINDS` (the same on a cached run), and
    `missing_folders` the image folders that were not there.

    Example:
        >>> ds = CheckedYOLODataset(img_path=["a/images", "b/images"], data={"names": {0: "drone"}}, augment=False)
        >>> ds.skipped["zero-size boxes"]
    """

    def __init__(self, *args, **kwargs):
        self.skipped: Counter = Counter()
        self.missing_folders: list[str] = []
        super().__init__(*args, **kwargs)

    def get_img_files(self, img_path: str | list[str]) -> list[str]:
        """Image files of the given folders, list files or images; missing ones among several are skipped."""
        paths = [str(p) for p in (img_path if isinstance(img_path, list) else [img_path])]
        self.missing_folders = [p for p in paths if not Path(p).exists()]
        present = [p for p in paths if p not in self.missing_folders]
        if not present:
            raise FileNotFoundError(
                f"{self.prefix}image folder{'s' if len(paths) > 1 else ''} not found: {', '.join(paths)}"
            )
        for p in self.missing_folders:
            LOGGER.warning(f"{self.prefix}image folder '{p}' not found; going on without it")
        return super().get_img_files(present if isinstance(img_path, list) else present[0])

    def verify_args(self) -> tuple:
        """Wrap ultralytics' per-image check to classify what it skips and to drop zero-size boxes."""
        verify, iterable = super().verify_args()
        return partial(_checked_verify, verify), iterable

    def result_to_label(self, result: tuple) -> tuple:
        """Count one image's findings, then hand its label to ultralytics."""
        result, kinds = result
        self.skipped.update(kinds)
        return super().result_to_label(result)

    def get_cache_hash(self) -> str:
        """Return ultralytics' hash, marked so that caches of the stock scan (without our counts) are rescanned."""
        return f"{super().get_cache_hash()}:{SCAN_VERSION}"

    def cache_labels(self, path: Path = Path("./labels.cache")) -> dict:
        """Scan the labels as ultralytics does, then store the counts in the cache file it wrote."""
        self.skipped = Counter()
        # Ultralytics deletes and rewrites the cache in place, so a second run scanning the same labels at the same
        # moment (two trainings on one dataset) can find it gone between its own check and delete, and crash with
        # FileNotFoundError. The scan goes to a file of this process's own, which then replaces the cache in one step.
        # Same stem (train.cache-<pid>-<thread>): ultralytics' progress line still reads 'Scanning .../labels/train'.
        # Its messages ('New cache created', 'No labels found in') name the final file, which the private one becomes.
        private = path.with_suffix(f"{path.suffix or '.cache'}-{os.getpid()}-{threading.get_ident()}")
        with _messages_name(private, path):
            cache = super().cache_labels(private)
        cache[CACHE_KEY] = dict(self.skipped)
        if private.exists():  # ultralytics wrote it: the folder is writable
            try:  # the same format ultralytics writes (np.save of the dict), now with our counts
                with open(private, "wb") as f:
                    np.save(f, cache)
                os.replace(private, path)
            except OSError as e:
                LOGGER.warning(f"{self.prefix}could not write the labels cache {path}: {e}")
            finally:
                private.unlink(missing_ok=True)
        return cache

    def _load_or_scan_cache(self, cache_path: Path, cache_hash: str) -> tuple[dict, bool]:
        """Load or scan the label cache as ultralytics does; take the counts from it (fresh or cached alike)."""
        cache, exists = super()._load_or_scan_cache(cache_path, cache_hash)
        self.skipped = Counter(cache.get(CACHE_KEY, {}))
        return cache, exists

    def missing_label_folders(self) -> dict[str, int]:
        """Label folders that the images' label files would be in but that do not exist, with their image counts.

        ultralytics reads every image of such a folder as a background image (no objects), so a `yolo val` on
        images whose `labels/` folder was forgotten reports nan metrics without naming what is missing.
        """
        folders = Counter(str(Path(f).parent) for f in img2label_paths(self.im_files))
        return {folder: n for folder, n in sorted(folders.items()) if not Path(folder).is_dir()}

    def get_labels(self) -> list[dict]:
        """Return the labels of the usable images; log one summary line of what was skipped, by kind."""
        missing_labels = self.missing_label_folders()
        if LOCAL_RANK in {-1, 0}:
            for folder, n in missing_labels.items():
                LOGGER.warning(
                    f"{self.prefix}labels folder '{folder}' not found: its {n} image(s) are read as background "
                    "images with no objects. Put the YOLO label files (<image stem>.txt) there."
                )
        try:
            labels = super().get_labels()
        finally:  # also when nothing usable is left and ultralytics raises: the line says why
            self.skipped["missing folders"] = len(self.missing_folders) + len(missing_labels)
            self.log_summary()
        if LOCAL_RANK in {-1, 0}:
            shapes = [label["shape"] for label in labels if "shape" in label]
            message = shrink_summary(shapes, self.imgsz, mode="train" if self.augment else "val")
            if message:
                LOGGER.warning(f"{self.prefix}{message}")
        return labels

    def log_summary(self) -> str:
        """Log (and return) the one-line summary: counts of `SKIP_KINDS`."""
        shown = {"empty label files": "empty label files (kept as background images)"}  # not a fault: not skipped
        counts = ", ".join(f"{shown.get(kind, kind)} {self.skipped.get(kind, 0)}" for kind in SKIP_KINDS)
        line = f"{self.prefix}data check: {counts}"
        if LOCAL_RANK in {-1, 0}:
            bad = any(self.skipped.get(k, 0) for k in SKIP_KINDS if k != "empty label files")
            (LOGGER.warning if bad else LOGGER.info)(line)
        return line


def shrink_summary(
    shapes: list[tuple[int, int]], imgsz, limit: float = SHRINK_LIMIT, mode: str = "train"
) -> str | None:
    """The data check's note on images that `imgsz` downscales by `limit` or more, or None when none are.

    Args:
        shapes (list[tuple[int, int]]): Each image's (height, width) in pixels, as ultralytics' labels keep them.
        imgsz (int | list[int]): The side images are resized to, or (height, width) as a validator of a fixed-size
            export sets it (`srtod_yolo.sizes.shrink_factor`).
        limit (float): The shrink factor from which an image is counted.
        mode (str): "train" advises training at the images' own size or on native-scale tiles; "val" advises
            validating at their own size, and `srtod val` (each size at its own) when the split mixes sizes.
    """
    shrunk = [f for f in (shrink_factor(shape, imgsz) for shape in shapes) if f >= limit]
    if not shrunk:
        return None
    largest = max(max(h, w) for h, w in shapes)
    low, high = f"{min(shrunk):.1f}", f"{max(shrunk):.1f}"
    factors = low if low == high else f"{low}x to {high}"  # one factor once: "2.0x", not "2.0x to 2.0x"
    side = max(imgsz) if isinstance(imgsz, (list, tuple)) else imgsz
    head = (
        f"{len(shrunk):,} of {len(shapes):,} images are downscaled {factors}x to fit "
        f"imgsz={side}, and their objects with them (a 6-px drone becomes {6 / max(shrunk):.1f} px). For tiny "
    )
    if mode == "train":
        return head + (
            f"objects, train at their own size (imgsz={largest}) or on native-scale tiles of them (srtod-yolo's "
            "docs/results.md, Protocol: native pixel scale)."
        )
    mixed = len({max(h, w) for h, w in shapes}) > 1
    each = ", or each image size at its own with `srtod val model=... data=...`, as the released weights were"
    return head + f"objects, validate at their own size (imgsz={largest}){each if mixed else ''}."


def build_checked_dataset(
    cfg,
    img_path: str | list[str],
    batch: int | None,
    data: dict,
    mode: str = "train",
    rect: bool = False,
    stride: int = 32,
    fraction: float | None = None,
):
    """Build a `CheckedYOLODataset` with the arguments ultralytics' `build_yolo_dataset` gives a `YOLODataset`.

    Tasks other than detection get ultralytics' own dataset.
    """
    if cfg.task != "detect":
        return build_yolo_dataset(cfg, img_path, batch, data, mode=mode, rect=rect, stride=stride, fraction=fraction)
    if data.get("complete"):
        fraction = 1.0  # already limited when the dataset was downloaded
    elif fraction is None:
        fraction = get_split_fraction(cfg.fraction, "train" if mode == "train" else cfg.split)
    return CheckedYOLODataset(
        img_path=img_path,
        imgsz=cfg.imgsz,
        batch_size=batch,
        augment=mode == "train",
        hyp=cfg,
        rect=cfg.rect or rect,
        cache=cfg.cache or None,
        single_cls=cfg.single_cls or False,
        stride=stride,
        pad=0.0 if mode == "train" else 0.5,
        prefix=colorstr(f"{mode}: "),
        task=cfg.task,
        classes=cfg.classes,
        data=data,
        fraction=fraction,
    )
