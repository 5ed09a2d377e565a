"""Getting the real datasets: what the `download:` step of each dataset YAML in cfg/datasets/ runs.

VisDrone2019-DET and the Halmstad drone clips are downloaded and converted. DroneSwarms (on request from its
authors) and AI-TOD (built with its own toolkit from xView and other sets) cannot be downloaded: their step
converts the raw folder the user placed at `<dataset root>/raw/` (or where an environment variable points),
and otherwise fails with a message saying where to get the data and where to put it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ultralytics.utils import ASSETS_URL, LOGGER
from ultralytics.utils.downloads import download

from ..errors import DatasetDownloadError
from .convert import convert_aitod, convert_droneswarms, convert_halmstad, convert_visdrone, format_summary
from .convert.halmstad import VAL_EVERY, has_clips, locate_halmstad, read_clip_list
from .convert.visdrone import VISDRONE_SPLITS

__all__ = (
    "AITOD_ENV",
    "DRONESWARMS_ENV",
    "HALMSTAD_LABELS_URL",
    "HALMSTAD_VIDEOS_URL",
    "VISDRONE_URLS",
    "download_halmstad",
    "download_visdrone",
    "prepare_aitod",
    "prepare_droneswarms",
)

VISDRONE_URLS = {split: f"{ASSETS_URL}/{folder}.zip" for split, folder in VISDRONE_SPLITS.items()}
# GitHub archives of fixed commits: each unzips to `Drone-detection-dataset-<commit>/`.
HALMSTAD_VIDEOS_URL = "https://github.com/DroneDetectionThesis/Drone-detection-dataset/archive/442d0c6750708cc221636f7a1fd31cbd8cb0aeb8.zip"
HALMSTAD_LABELS_URL = (
    "https://github.com/NickStassen/Drone-detection-dataset/archive/154cc2339030017c4ec233e57f9b2b90d2d806e3.zip"
)
DRONESWARMS_ENV = "SRTOD_DRONESWARMS_RAW"
AITOD_ENV = "SRTOD_AITOD_RAW"


def _report(name: str, summaries: dict) -> dict:
    for line in format_summary(summaries):
        LOGGER.info(f"{name} {line}")
    return summaries


def _raw_folder(root: Path, env: str, looks_right: str) -> Path | None:
    """The raw folder a user placed: `$env` if set, else `<root>/raw`; None if it lacks `looks_right`."""
    raw = Path(os.environ[env]).expanduser() if os.environ.get(env) else root / "raw"
    return raw if (raw / looks_right).exists() else None


def _fetch(name: str, urls: str | list[str], raw: Path, root: Path, manual: str, **kwargs) -> None:
    """Run ultralytics' `download` of `urls` into `raw`; on failure, remove the partial download and say what to do.

    Raises:
        DatasetDownloadError: The download failed; its message names the URL(s), the cause and `manual`, the way to
            get the dataset without this step. `raw` (the step's scratch folder, removed after a success too) is
            removed, and so are `root` and the folders above it that this call created (ultralytics' datasets_dir on
            a first run), where that leaves them empty: nothing half-made is left for the next run.
    """
    created = [p for p in (root, *root.parents) if not p.exists()]  # root first, then the new folders above it
    try:
        download(urls, dir=raw, **kwargs)
    except (ConnectionError, OSError) as e:
        shutil.rmtree(raw, ignore_errors=True)
        for folder in [root, *created]:  # root always (a folder left empty), the others if this call made them
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        shown = "\n  ".join([urls] if isinstance(urls, str) else urls)
        text = str(e).strip().splitlines()[-1] if str(e).strip() else ""
        cause = re.sub(r"^\W*Download failure for \S+\s*", "", text).strip() or type(e).__name__  # the URL is below
        raise DatasetDownloadError(
            f"{name} could not be downloaded from\n  {shown}\n({cause})\n{manual}\n"
            f"The partial download in '{raw}' was removed."
        ) from e


def prepare_droneswarms(root: str | Path) -> dict:
    """Convert DroneSwarms from `<root>/raw/` (or `$SRTOD_DRONESWARMS_RAW`) into a YOLO dataset at `root`.

    DroneSwarms has no public download: its authors share it on request (https://hiyuur.github.io). Unpack it so
    that `<root>/raw/train/train.json` exists, where root is `<ultralytics datasets_dir>/droneswarms`, or point
    `SRTOD_DRONESWARMS_RAW` at the unpacked folder. Images are linked, not copied.

    Returns:
        (dict): Per-split summaries.
    """
    root = Path(root)
    raw = _raw_folder(root, DRONESWARMS_ENV, "train/train.json")
    if raw is None:
        raise FileNotFoundError(
            f"DroneSwarms cannot be downloaded: request it from its authors at https://hiyuur.github.io, then unpack "
            f"it to '{root / 'raw'}' (holding train/train.json, train/JPEGImages/, test/test.json, test/JPEGImages/) "
            f"or set {DRONESWARMS_ENV} to the unpacked folder, and run again"
        )
    return _report("DroneSwarms", convert_droneswarms(raw, root, mode="link"))


def prepare_aitod(root: str | Path) -> dict:
    """Convert AI-TOD from `<root>/raw/` (or `$SRTOD_AITOD_RAW`) into a YOLO dataset at `root`.

    AI-TOD is synthesised from xView and other sets with its own toolkit (https://github.com/jwwangchn/AI-TOD):
    run its `generate_aitod_imgs.py`, then move or link the finished `aitod/` folder (annotations/, images/) to
    `<root>/raw`, where root is `<ultralytics datasets_dir>/aitod`, or set `SRTOD_AITOD_RAW` to it. Images are
    linked, not copied.

    Returns:
        (dict): Per-split summaries.
    """
    root = Path(root)
    raw = _raw_folder(root, AITOD_ENV, "annotations/aitod_train_v1.json")
    if raw is None:
        raise FileNotFoundError(
            "AI-TOD cannot be downloaded as such: build it with the toolkit of https://github.com/jwwangchn/AI-TOD "
            f"(xView training set + AI-TOD_wo_xview + generate_aitod_imgs.py), then put the finished 'aitod' folder "
            f"(annotations/aitod_train_v1.json, images/train/, ...) at '{root / 'raw'}' or set {AITOD_ENV} to it, "
            "and run again"
        )
    return _report("AI-TOD", convert_aitod(raw, root, mode="link"))


def download_visdrone(root: str | Path, splits: tuple[str, ...] = ("train", "val", "test")) -> dict:
    """Download VisDrone2019-DET (ultralytics' mirror of the official zips, about 2 GB) and convert it at `root`.

    Images move into `images/<split>/`; ignored regions and 'others' go to `ignore/<split>/`; the unzipped
    `VisDrone2019-DET-*` folders are removed afterwards.

    Returns:
        (dict): Per-split summaries.
    """
    root = Path(root)
    raw = root / "raw"
    manual = (
        "Without internet: download those zips elsewhere, unzip them into one folder and run "
        f"`srtod convert dataset=visdrone raw=THAT_FOLDER out={root}`."
    )
    urls = [VISDRONE_URLS[s] for s in splits]
    _fetch("VisDrone2019-DET", urls, raw, root, manual, unzip=True, delete=True, threads=min(len(splits), 3))
    summaries = _report("VisDrone", convert_visdrone(raw, root, mode="move"))
    shutil.rmtree(raw, ignore_errors=True)
    return summaries


def download_halmstad(
    root: str | Path, stride: int = 10, val_every: int = VAL_EVERY, val_clips: str | Path | None = None
) -> dict:
    """Download the Halmstad drone-detection clips and their CSV labels (GitHub archives), convert them at `root`.

    The labels come from a fork of the video repository whose `Data/` tree is the same; if its archive already
    holds the clips, the video archive is not downloaded. Every `stride`-th frame becomes a PNG; clips are split
    as `convert_halmstad` does: the clips named in the file `val_clips` (`read_clip_list`; halmstad-drone.yaml
    gives `halmstad-drone-val-clips.txt`) to val and the others to train, or by `val_every` without it. The
    unzipped archives (several GB) are removed afterwards.

    Returns:
        (dict): Per-split summaries.
    """
    root = Path(root)
    raw = root / "raw"
    names = read_clip_list(val_clips) if val_clips is not None else None  # a bad list fails before the download
    how = f"val_clips={val_clips}" if val_clips is not None else f"val_every={val_every}"
    manual = (
        "Without internet: download the archive(s) elsewhere, unzip them into one folder and run "
        f"`srtod convert dataset=halmstad raw=THAT_FOLDER out={root} stride={stride} {how}`; or, with frames "
        "already in YOLO format (such as a checkout's shared sample, shared/data/real-halmstad-drone/data.yaml), "
        "pass data=THEIR_data.yaml."
    )
    _fetch("The Halmstad drone dataset", HALMSTAD_LABELS_URL, raw, root, manual, unzip=True, delete=True)
    if not any(has_clips(folder / "Data") for folder in raw.iterdir()):  # LFS pointers or no Data/ in the fork
        _fetch("The Halmstad drone dataset", HALMSTAD_VIDEOS_URL, raw, root, manual, unzip=True, delete=True)
    videos, labels = locate_halmstad(raw)
    summaries = convert_halmstad(videos, labels, root, stride=stride, val_every=val_every, val_clips=names)
    shutil.rmtree(raw, ignore_errors=True)
    return _report("Halmstad", summaries)
