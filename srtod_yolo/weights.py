"""Released srtod-yolo weights: found by bare name, like ultralytics' own `yolo26n.pt`, without a download.

The checkpoints in the repository's `weights/` folder ship inside the wheel (as `srtod_yolo/weights/`), so
`YOLO("srtod-yolov8n-p2-halmstad.pt")` and `yolo predict model=srtod-yolov8n-p2-halmstad.pt` work offline from any
directory. A file of that name in the working directory, or in ultralytics' weights_dir, still takes precedence.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ("released_weights", "resolve_weights", "weights_dir")


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
