"""Released srtod-yolo weights: found by bare name, like ultralytics' own `yolo26n.pt`, without a download.

The checkpoints in the repository's `weights/` folder ship inside the wheel (as `srtod_yolo/weights/`), so
`YOLO("srtod-yolov8n-p2-halmstad.pt")` and `yolo predict model=srtod-yolov8n-p2-halmstad.pt` work offline from any
directory. A file of that name in the working directory, or in ultralytics' weights_dir, still takes precedence.
"""

from __future__ import annotations

import difflib
from pathlib import Path

__all__ = (
    "close_names",
    "misspelled_weights",
    "missing_path_message",
    "offline_weights_message",
    "released_weights",
    "resolve_weights",
    "weights_dir",
)


def weights_dir() -> Path:
    """The folder of released checkpoints: inside the installed package, or a source checkout's `weights/`."""
    package = Path(__file__).resolve().parent
    return package / "weights" if (package / "weights").is_dir() else package.parent / "weights"


def released_weights() -> dict[str, Path]:
    """Every released checkpoint by file name."""
    folder = weights_dir()
    return {p.name: p for p in sorted(folder.glob("*.pt"))} if folder.is_dir() else {}


def resolve_weights(name: str | Path) -> str | None:
    """Full path of a released checkpoint given its bare file name, else None (also for paths and existing files)."""
    text = str(name)
    if not text.endswith(".pt") or "/" in text or "\\" in text or Path(text).exists():
        return None
    path = released_weights().get(text)
    return str(path) if path else None


def close_names(name: str, names, cutoff: float = 0.8) -> list[str]:
    """Up to three of `names` spelled like `name` (difflib's ratio >= cutoff), best first: for 'did you mean'."""
    return difflib.get_close_matches(str(name), sorted(names), n=3, cutoff=cutoff)


def misspelled_weights(name: str | Path) -> str | None:
    """The message for a bare checkpoint name that looks like a released one but is not (a typo), else None.

    A bare `.pt` name that starts with 'srtod' or is spelled within a few letters of a released checkpoint, and that
    is neither released nor a file here, cannot be one of ultralytics' downloadable assets either: saying so, with
    the released names, beats a failed download from ultralytics' servers.
    """
    text = str(name)
    released = released_weights()
    if not text.endswith(".pt") or "/" in text or "\\" in text or Path(text).exists() or text in released:
        return None
    close = close_names(text, released, cutoff=0.85)
    if not (text.startswith("srtod") or close):
        return None
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return (
        f"'{text}' is not a released srtod-yolo checkpoint and no such file exists here.{hint} "
        f"Released (by bare name, offline): {', '.join(released) or 'none in this install'}; `srtod info` lists them."
    )


def offline_weights_message(name: str | Path) -> str:
    """The message for a checkpoint that is neither here nor released, and that ultralytics could not download.

    Names the released starting points that need no download (`*-swarm.pt`, trained on the synthetic swarms), which
    load into any model sharing their layers (`pretrained=yolov8n-p2-swarm.pt` for `srtod-yolov8n-p2.yaml` too).
    """
    starts = [n for n in released_weights() if n.endswith("-swarm.pt")]
    offline = f" Offline starting points shipped with srtod-yolo: {', '.join(starts)}." if starts else ""
    return (
        f"'{name}' is not on this machine and could not be downloaded (offline, YOLO_OFFLINE=1, or the download "
        f"failed).{offline} "
        f"pretrained=yolov8n-p2-swarm.pt loads every layer an SR-TOD or stock YOLOv8n-P2 model shares with it. Or "
        f"copy {Path(str(name)).name} here from a machine with internet."
    )


def missing_path_message(
    name: str | Path, runs_dir: str | Path, weights_folder: str | Path | None = None
) -> str | None:
    """The message for a checkpoint path (with a folder, not a URL) that does not exist, else None.

    ultralytics treats a missing path like an asset name: it asks GitHub for its release list (which fails offline
    with two warnings) and then fails on the file with a bare FileNotFoundError. The usual cause is a relative
    `runs/detect/train/weights/best.pt` typed in another folder than the one ultralytics writes runs into (its
    settings' `runs_dir`, which a `make install` venv puts in the checkout): this message says where that is, and
    names the file there when it exists, or the newest weights there when not.

    Args:
        name (str | Path): The model argument as given.
        runs_dir (str | Path): ultralytics' `SETTINGS["runs_dir"]`.
        weights_folder (str | Path | None): ultralytics' `SETTINGS["weights_dir"]`, where a relative name is also
            looked for.
    """
    text = str(name)
    if text.lower().startswith(("http:/", "https:/")) or not ("/" in text or "\\" in text):
        return None
    path = Path(text)
    if path.exists() or (weights_folder is not None and (Path(weights_folder) / path).exists()):
        return None
    runs = Path(runs_dir)
    message = f"'{text}' does not exist" + ("." if path.is_absolute() else f" (relative to {Path.cwd()}).")
    if path.is_absolute() or not runs.is_dir():
        return message
    parts = path.parts
    inside = runs.joinpath(*parts[parts.index("runs") + 1 :]) if "runs" in parts else runs / path
    if inside.exists():
        return f"{message} ultralytics writes runs into {runs} (`yolo settings`, runs_dir), and {inside} exists."
    newest = sorted(runs.glob("*/*/weights/*.pt"), key=lambda p: p.stat().st_mtime, reverse=True)[:3]
    where = f" Its newest weights: {', '.join(str(p) for p in newest)}." if newest else ""
    return (
        f"{message} ultralytics writes runs into {runs} (`yolo settings`, runs_dir); pass the folder your "
        f"training printed (Results saved to ...).{where}"
    )
