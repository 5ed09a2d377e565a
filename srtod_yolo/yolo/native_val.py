"""Validation at native pixel scale: each image size of a split validated at its own size, the metrics merged.

`yolo val` runs every image at one `imgsz`. A split that mixes sensors (the Halmstad frames: thermal 320x256 and
visible 640x512) then shrinks one of them or enlarges the other, and a tiny drone's size in pixels, the thing the
AI-TOD bins measure, changes with it. `validate_native` groups the split's images by their size, runs the stock
validator (`TinyObjectValidator`) on each group at the group's longest side, and merges the groups' AI-TOD records
into one evaluation, as docs/results.md's second study evaluates ("thermal at imgsz 320, visible at imgsz 640,
'all' from the two sets of predictions together"). `srtod val` is its command.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import yaml
from PIL import Image

from ..metrics import METRIC_KEYS, AITODEvaluator
from ..sizes import size_legend
from .val import AITOD_COLUMNS

__all__ = ("group_by_size", "validate_native")


def split_images(data: dict, split: str) -> list[str]:
    """The image files of one split of a checked dataset dict (a folder, a .txt listing or a list, as ultralytics)."""
    from ultralytics.data.base import BaseDataset

    if not data.get(split):
        splits = [k for k in ("train", "val", "test") if data.get(k)]
        raise ValueError(f"split='{split}' is not in the data YAML {data.get('yaml_file', '')}; it has {splits}")
    # ultralytics' own reader (folders recursively, listings relative to themselves), without building a dataset.
    return BaseDataset.get_img_files(SimpleNamespace(prefix="", fraction=1.0), data[split])


def group_by_size(files: list[str]) -> dict[tuple[int, int], list[str]]:
    """Image files grouped by (width, height) in pixels, as ultralytics reads them (EXIF orientation applied).

    Only the image headers are read. Raises `FileNotFoundError` naming an image that cannot be opened.
    """
    from ultralytics.data.utils import exif_size

    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    for file in files:
        try:
            with Image.open(file) as image:
                groups[tuple(exif_size(image))].append(file)
        except OSError as e:
            raise FileNotFoundError(f"cannot read image '{file}': {e}") from e
    return dict(sorted(groups.items()))


def _table(rows: dict[str, dict]) -> list[str]:
    """The AI-TOD table of each group and 'all', as `yolo val` prints its AI-TOD line but x100.

    Its header says "x100", since the per-group tables printed above it hold fractions.
    """
    title = "AI-TOD x100 (maxDets 1500)"
    lines = [("%26s" + "%8s%11s" + "%9s" * len(AITOD_COLUMNS)) % (title, "images", "imgsz", *AITOD_COLUMNS)]
    for label, row in rows.items():
        cells = [f"{100 * v:9.1f}" if v == v else f"{'n/a':>9s}" for v in (row["metrics"][k] for k in METRIC_KEYS)]
        lines.append(f"{label:>26s}{row['images']:8d}{row['imgsz']:>11}" + "".join(cells[: len(AITOD_COLUMNS)]))
    if any(v != v for v in rows["all"]["metrics"].values()):
        lines.append(f"{'':26s} n/a: no ground-truth box of that size (AI-TOD sizes: {size_legend()})")
    return lines


def _validate_group(
    yolo, validators: list, label: str, files: list[str], size: int, checked: dict, save_dir, overrides
):
    """Validate the size group `label` ('WxH') at imgsz `size` with the stock validator, in `save_dir`/`label`.

    Its validator, holding the group's AI-TOD records, is appended to `validators` by `yolo`'s on_val_end callback.
    """
    from ultralytics.utils import LOGGER

    listing = save_dir / f"images_{label}.txt"
    listing.write_text("".join(f"{Path(f).absolute()}\n" for f in files), encoding="utf-8")
    group_yaml = save_dir / f"data_{label}.yaml"
    group_data = {"path": str(save_dir), "train": listing.name, "val": listing.name, "names": checked["names"]}
    group_yaml.write_text(yaml.safe_dump({**group_data, "channels": checked.get("channels", 3)}, sort_keys=False))
    LOGGER.info(f"\nsrtod val: {len(files)} images of {label} at imgsz={size}")
    args = {**overrides, "data": str(group_yaml), "split": "val", "imgsz": size}
    yolo.val(**args, project=str(save_dir), name=label, exist_ok=True)
    validator = validators[-1]
    if getattr(validator, "aitod", None) is None:
        raise ValueError("srtod val needs the AI-TOD metrics: tiny_metrics=False turns them off")
    ran = validator.args.imgsz  # what the validator ran at: an export without dynamic=True replaces `size`
    if isinstance(ran, (list, tuple)):  # ultralytics' (height, width)
        ran = int(ran[0]) if len(set(ran)) == 1 else f"{int(ran[1])}x{int(ran[0])}"
    if ran != size:
        exported = Path(str(yolo.model_name)).suffix not in {".pt", ".yaml", ".yml"}
        why = (
            f"'{yolo.model_name}' has a fixed input size (exported without dynamic=True): every image runs at it. "
            "Validate the .pt, or an export made with dynamic=True, to score each size at its own"
            if exported
            else "the stock validator rounded it to the model's stride"
        )
        LOGGER.warning(f"srtod val: the {label} images ran at imgsz={ran}, not {size}: {why}")
    return {
        "images": len(files),
        "imgsz": ran,
        "metrics": dict(validator.aitod_results),
        "save_dir": str(validator.save_dir),
    }


def validate_native(
    model: str | Path,
    data: str | Path,
    split: str = "val",
    imgsz: int | str = "native",
    project: str | Path | None = None,
    name: str = "val-native",
    **overrides,
) -> dict:
    """Validate each image size of a split at its own size and evaluate all of them together (AI-TOD metrics).

    Args:
        model (str | Path): A checkpoint or released name, as for `yolo val`.
        data (str | Path): A data YAML, as for `yolo val` (downloaded by its `download:` step if missing).
        split (str): The split to validate ('val', 'test' or 'train').
        imgsz (int | str): 'native': each group of W x H images at max(W, H) (rounded up to the model's stride by
            ultralytics); a number: every group at that size, which equals one `yolo val imgsz=N`. An export
            without dynamic=True runs every group at its own input size instead, with a warning.
        project (str | Path | None): Parent folder of the results; None: ultralytics' `runs_dir`/detect.
        name (str): Folder of the results inside `project`, numbered if it exists (val-native, val-native-2, ...).
        **overrides: Further `yolo val` arguments (batch, conf, iou, device, half, max_det, ...), checked by
            ultralytics.

    Returns:
        (dict): 'groups' ({'WxH': {'images', 'imgsz' (as run), 'metrics', 'save_dir'}}) and 'all' ({'images',
        'metrics'}), the metrics being `srtod_yolo.metrics.METRIC_KEYS` in [0, 1] (NaN where no box has that size);
        'save_dir', where `metrics.json`, the merged `aitod_gt.json` and `aitod_predictions.json` and each group's
        own `yolo val` folder are written.

    Raises:
        ValueError: `imgsz` is neither 'native' nor a positive integer, or the split is not in the data YAML.
        FileNotFoundError: The data YAML, an image folder or an image cannot be read.
    """
    from ultralytics import YOLO
    from ultralytics.data.utils import check_det_dataset
    from ultralytics.utils import LOGGER, SETTINGS
    from ultralytics.utils.files import increment_path

    if imgsz != "native" and not (isinstance(imgsz, int) and imgsz > 0):
        raise ValueError(f"imgsz={imgsz!r}: give 'native' (each image size at its own) or a positive integer")
    checked = check_det_dataset(str(data))
    groups = group_by_size(split_images(checked, split))
    described = ", ".join(f"{len(f)} of {w}x{h}" for (w, h), f in groups.items())
    LOGGER.info(f"srtod val: {sum(map(len, groups.values()))} {split} images of {len(groups)} sizes ({described})")

    validators = []  # each group's validator, caught at its end: it holds the group's AI-TOD records
    yolo = YOLO(str(model))
    yolo.add_callback("on_val_end", validators.append)
    project = Path(project) if project else Path(SETTINGS["runs_dir"]) / "detect"
    save_dir = increment_path(project / name, mkdir=True)  # made after every check that needs no validation
    result, asked = {"groups": {}, "save_dir": str(save_dir)}, []
    try:
        for (w, h), files in groups.items():
            size, label = max(w, h) if imgsz == "native" else imgsz, f"{w}x{h}"
            asked.append(size)
            args = (yolo, validators, label, files, size, checked, save_dir, overrides)
            result["groups"][label] = _validate_group(*args)
    except BaseException:
        # A failed run (a bad ultralytics argument, an unreadable image, Ctrl-C) leaves no half-written folder: the
        # folder is this call's own (increment_path numbers a new one each time).
        shutil.rmtree(save_dir, ignore_errors=True)
        raise

    merged = AITODEvaluator(validators[0].aitod.names, category_ids=validators[0].aitod.category_ids)
    for validator in validators:
        merged.image_ids.update(validator.aitod.image_ids)
        merged.merge(validator.aitod.records)
    images = sum(g["images"] for g in result["groups"].values())
    ran = [g["imgsz"] for g in result["groups"].values()]  # the table says 'native' only if every group ran as asked
    shown = imgsz if ran == asked else "/".join(dict.fromkeys(map(str, ran)))
    result["all"] = {"images": images, "imgsz": shown, "metrics": merged.evaluate()}
    merged.save(save_dir)
    (save_dir / "metrics.json").write_text(json.dumps({"model": str(model), "data": str(data), **result}, indent=1))
    LOGGER.info("")
    for line in _table({**result["groups"], "all": result["all"]}):
        LOGGER.info(line)
    LOGGER.info(f"Results saved to {save_dir} (metrics.json; aitod_gt.json and aitod_predictions.json of all images)")
    return result
