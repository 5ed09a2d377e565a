"""`yolo track save_tracks=True`: per-track summaries (CSV, JSON) and the MOTChallenge per-frame file, per source.

For each video or stream a run tracks, three files are written beside the saved video in the run's `save_dir`:

- `<name>_tracks.csv` and `<name>_tracks.json`: one row per track id, with its class (the one it was given most
  often), first and last frame and their times in seconds, frames seen, mean confidence and the length of the
  path of its box centre in pixels;
- `<name>_mot.txt`: one row per tracked box and frame, `frame,id,x,y,w,h,conf,-1,-1,-1` (MOTChallenge: 1-based
  frames, box left/top/width/height in pixels), what TrackEval and py-motmetrics read as tracker output.

Frames are counted in the source's frames from 1: with `vid_stride=2` a video's frames are 2, 4, 6... (ultralytics
keeps the last of each stride), so the MOT file lines up with ground truth of the whole video. Times are
`(frame - 1) / fps` with the source's frame rate. A stream (camera, RTSP) drops frames when inference is slower
than the camera, so its frame numbers and times count delivered frames and are approximate.

Only boxes the tracker confirmed (those with an id) are written; frames where the tracker returned the raw
detections or nothing add no row.

The MOT layout follows the MOTChallenge format (Dendorfer et al., "MOTChallenge: A Benchmark for Single-Camera
Multiple Target Tracking", IJCV 2021; https://motchallenge.net/instructions/).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ("SUMMARY_FIELDS", "TrackLog", "TrackOutputMixin")

SUMMARY_FIELDS = (
    "id",
    "class_id",
    "class_name",
    "first_frame",
    "last_frame",
    "first_time_s",
    "last_time_s",
    "frames_seen",
    "mean_conf",
    "path_length_px",
)


@dataclass
class TrackLog:
    """The tracked boxes of one source, frame by frame.

    Attributes:
        source (str): The video file or stream the boxes come from.
        fps (float): The source's frame rate, frames per second (for times in seconds).
        names (dict[int, str]): Class names by class id.
        frames (int): Frames seen so far (tracked or not).
        rows (list[np.ndarray]): Per frame, (N, 8) float64 rows (frame, id, x1, y1, x2, y2, conf, cls).
    """

    source: str
    fps: float
    names: dict[int, str]
    frames: int = 0
    rows: list[np.ndarray] = field(default_factory=list)

    def add(self, frame: int, tracks: np.ndarray) -> None:
        """Record one frame's tracked boxes.

        Args:
            frame (int): The frame's number in the source, from 1.
            tracks (np.ndarray): (N, 7) tracked boxes of the frame, (x1, y1, x2, y2, id, conf, cls) in pixels, as
                in ultralytics' `result.boxes.data` after tracking; N may be 0.

        Raises:
            ValueError: A frame number below 1, or boxes that are not (N, 7).
        """
        if frame < 1:
            raise ValueError(f"frame numbers start at 1 (MOTChallenge), got {frame}")
        tracks = np.asarray(tracks, dtype=np.float64)
        if tracks.size == 0:
            tracks = tracks.reshape(0, 7)
        if tracks.ndim != 2 or tracks.shape[1] != 7:
            raise ValueError(f"tracked boxes are (N, 7) rows (x1, y1, x2, y2, id, conf, cls), got {tracks.shape}")
        self.frames += 1
        if len(tracks):
            row = np.column_stack([np.full(len(tracks), frame), tracks[:, 4], tracks[:, :4], tracks[:, 5:7]])
            self.rows.append(row)

    def table(self) -> np.ndarray:
        """All rows, (M, 8) (frame, id, x1, y1, x2, y2, conf, cls), sorted by frame then id."""
        if not self.rows:
            return np.zeros((0, 8))
        table = np.concatenate(self.rows)
        return table[np.lexsort((table[:, 1], table[:, 0]))]

    def mot(self) -> np.ndarray:
        """(M, 10) MOTChallenge rows: frame, id, left, top, width, height, conf, -1, -1, -1."""
        t = self.table()
        return np.column_stack([t[:, :2], t[:, 2:4], t[:, 4:6] - t[:, 2:4], t[:, 6], -np.ones((len(t), 3))])

    def summary(self) -> list[dict]:
        """One dict per track id (keys `SUMMARY_FIELDS`), in id order.

        The class is the one given to the track in most frames (the lowest id on a tie); the path length sums
        the distances between the box centres of consecutive frames the track was seen in, in pixels.
        """
        t = self.table()
        out = []
        for track_id in np.unique(t[:, 1]):
            rows = t[t[:, 1] == track_id]  # in frame order
            classes = rows[:, 7].astype(int)
            class_id = int(np.bincount(classes).argmax())
            centres = (rows[:, 2:4] + rows[:, 4:6]) / 2
            first, last = int(rows[0, 0]), int(rows[-1, 0])
            out.append(
                {
                    "id": int(track_id),
                    "class_id": class_id,
                    "class_name": str(self.names.get(class_id, class_id)),
                    "first_frame": first,
                    "last_frame": last,
                    "first_time_s": round((first - 1) / self.fps, 3),
                    "last_time_s": round((last - 1) / self.fps, 3),
                    "frames_seen": len(rows),
                    "mean_conf": round(float(rows[:, 6].mean()), 4),
                    "path_length_px": round(float(np.linalg.norm(np.diff(centres, axis=0), axis=1).sum()), 2),
                }
            )
        return out

    def write(self, folder: Path, name: str) -> dict[str, Path]:
        """Write `<name>_tracks.csv`, `<name>_tracks.json` and `<name>_mot.txt` into folder; return their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "csv": folder / f"{name}_tracks.csv",
            "json": folder / f"{name}_tracks.json",
            "mot": folder / f"{name}_mot.txt",
        }
        summary = self.summary()
        with open(paths["csv"], "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=SUMMARY_FIELDS)
            writer.writeheader()
            writer.writerows(summary)
        report = {"source": self.source, "fps": self.fps, "frames": self.frames, "tracks": summary}
        paths["json"].write_text(json.dumps(report, indent=2) + "\n")
        with open(paths["mot"], "w") as f:
            for frame, track_id, x, y, w, h, conf, *_ in self.mot():
                f.write(f"{int(frame)},{int(track_id)},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{conf:.4f},-1,-1,-1\n")
        return paths


class TrackOutputMixin:
    """Adds `save_tracks=True` to a `DetectionPredictor` subclass (put it before the predictor among the bases).

    After the tracker has run on a batch (`on_predict_postprocess_end`), each result's tracked boxes are added to
    the log of its source; when the run ends (or is stopped), each log is written with `TrackLog.write` under the
    name of the saved video. `save_tracks=True` with `mode=predict`, or on image sources, raises ValueError.
    """

    track_logs: dict | None = None

    def stream_inference(self, source=None, model=None, *args, **kwargs):
        """Run the stock stream, logging tracks when `save_tracks=True`; write the logs when it ends or stops."""
        if not getattr(self.args, "save_tracks", False):
            yield from super().stream_inference(source, model, *args, **kwargs)
            return
        if self.args.mode != "track":
            raise ValueError(
                f"save_tracks=True writes the tracks of `yolo track`, but this is mode={self.args.mode}, which makes "
                "no tracks: run `yolo track ... save_tracks=True` (or model.track(..., save_tracks=True))"
            )
        self.track_logs = {}
        try:
            yield from super().stream_inference(source, model, *args, **kwargs)
        finally:
            self.write_tracks()

    def setup_source(self, source, stride: int | None = None):
        """Set up the source; with `save_tracks=True`, refuse sources that are not videos or streams."""
        super().setup_source(source, stride)
        if self.track_logs is not None and not (
            self.source_type.stream or any(getattr(self.dataset, "video_flag", []))
        ):
            raise ValueError(
                f"save_tracks=True needs a video file or a stream as source (it writes one set of track files per "
                f"video), but source={source!r} holds images only. For frames passed one call at a time "
                "(model.track(frame, persist=True)), read each result's boxes.id instead"
            )

    def run_callbacks(self, event: str):
        """Run the callbacks; after the tracker's (`on_predict_postprocess_end`), log the batch's tracks."""
        super().run_callbacks(event)
        if event == "on_predict_postprocess_end" and self.track_logs is not None:
            self.log_tracks()

    def log_tracks(self) -> None:
        """Add the tracked boxes of every result of the current batch to the log of its source."""
        mode = self.dataset.mode
        if mode not in {"video", "stream"}:
            return  # images listed among videos: no tracks to log
        paths = self.batch[0]
        for i, result in enumerate(self.results):
            key = paths[i] if mode == "video" else i
            log = self.track_logs.get(key)
            if log is None:
                fps = self.dataset.fps[i] if isinstance(self.dataset.fps, (list, tuple)) else self.dataset.fps
                log = self.track_logs[key] = TrackLog(str(paths[i]), float(fps or 30), dict(self.model.names))
            boxes = result.boxes
            tracks = boxes.data.cpu().numpy() if boxes is not None and boxes.is_track else np.zeros((0, 7))
            log.add((log.frames + 1) * self.args.vid_stride, tracks)

    def write_tracks(self) -> None:
        """Write every source's track files into the run's save_dir, named like its saved video."""
        from ultralytics.utils import LOGGER

        names = getattr(self, "_sources", {})  # the stock predictor's output base of each video path / stream slot
        taken = set()
        for key, log in (self.track_logs or {}).items():
            stem = names.get(key) or Path(log.source).stem or f"stream{key}"
            name, k = stem, 1
            while name in taken:  # two streams of one name (ultralytics numbers its own outputs the same way)
                k += 1
                name = f"{stem}-{k}"
            taken.add(name)
            paths = log.write(self.save_dir, name)
            LOGGER.info(
                f"save_tracks: {len(log.summary())} track(s) over {log.frames} frame(s) of {log.source} saved to "
                f"{paths['csv'].name}, {paths['json'].name} and {paths['mot'].name} in {self.save_dir}"
            )
        self.track_logs = None
