"""A ByteTrack for tiny targets: association by NWD as well as IoU, and lost tracks searched in a widening circle.

Stock ByteTrack (Zhang et al. 2022, "ByteTrack: Multi-Object Tracking by Associating Every Detection Box",
ECCV) associates a track's Kalman-predicted box with detections by IoU. A 4-px drone that moves 5 px between
frames, or whose prediction is off by a few pixels, has IoU 0 with its own next detection: the track is lost and
a new identity starts. `SRTODByteTracker` keeps ByteTrack's two stages (high-score detections first, then the
low-score ones for the tracks left over) and its Kalman filter, and replaces the similarity with

    similarity = max(IoU, NWD),   NWD = exp(-W2 / C_track)     (srtod_yolo.nn.nwd, Wang et al. 2021)

for tracks up to `nwd_max_size` px (sqrt of the box area), IoU alone above, so overlapping boxes score as before,
and tiny boxes that do not overlap still score by how far apart they are.
`C_track = nwd_constant * (1 + lost_growth * (frames since the track was last seen - 1))`: a drone that blinks out
for a second is searched for in a wider circle around where its Kalman filter put it. Before association,
a detection overlapping a higher-scoring one by IoU > `duplicate_iou` (class-agnostic) is demoted to the low-score
set: detectors often leave two boxes of different size on one small target, and two tracks then take turns on it;
demoted, the duplicate can still extend a track in the second stage but not start one. With `gmc_method` set,
the Kalman predictions are first moved by the camera's frame-to-frame motion (ultralytics' GMC, as in BoT-SORT).

Selected with `tracker_type: srtod_bytetrack` in a tracker YAML (`cfg/trackers/srtod-bytetrack.yaml`), which the
hooks register in ultralytics' `TRACKER_MAP`; every parameter is documented in that YAML.
"""

from __future__ import annotations

import numpy as np
import torch
from ultralytics.trackers.basetrack import TrackState
from ultralytics.trackers.byte_tracker import BYTETracker, STrack
from ultralytics.trackers.utils import matching
from ultralytics.trackers.utils.gmc import GMC

from ..nn.nwd import normalized_wasserstein

__all__ = ("TRACKER_TYPE", "SRTODByteTracker")

TRACKER_TYPE = "srtod_bytetrack"
# Settings of srtod-bytetrack.yaml beyond the stock ByteTrack ones, with the values used when a YAML omits them.
DEFAULTS = {
    "nwd_constant": 8.0,
    "nwd_max_size": 16.0,
    "lost_growth": 0.1,
    "second_match_thresh": 0.5,
    "duplicate_iou": 0.5,
    "gmc_method": "none",
}
GMC_METHODS = ("none", "sparseOptFlow", "orb", "sift", "ecc")  # ultralytics' GMC (BoT-SORT's camera motion)


class SRTODByteTracker(BYTETracker):
    """ByteTrack with max(IoU, NWD) association, for targets a few pixels across.

    Args:
        args (Namespace): The tracker YAML's settings: the stock ByteTrack ones (`track_high_thresh`,
            `track_low_thresh`, `new_track_thresh`, `track_buffer`, `match_thresh`, `fuse_score`) and those of
            `DEFAULTS` (`nwd_constant` C and `nwd_max_size`, both in pixels; `lost_growth` per lost frame;
            `second_match_thresh`, the largest cost 1 - similarity the second stage accepts; `duplicate_iou`, above
            which a lower-scoring overlapping detection is demoted to the second stage; `gmc_method`, camera-motion
            compensation: none, sparseOptFlow, orb, sift or ecc); all are documented in
            cfg/trackers/srtod-bytetrack.yaml. Unconfirmed tracks (born last frame) are confirmed by the same
            similarity, with ByteTrack's fixed cost threshold 0.7.

    Example:
        >>> from types import SimpleNamespace
        >>> args = SimpleNamespace(track_high_thresh=0.25, track_low_thresh=0.1, new_track_thresh=0.25,
        ...                        track_buffer=60, match_thresh=0.8, fuse_score=True, nwd_constant=8.0)
        >>> tracker = SRTODByteTracker(args)  # then tracker.update(boxes, frame) per frame, as BYTETracker
    """

    def __init__(self, args):
        for key, value in DEFAULTS.items():
            if not hasattr(args, key):
                setattr(args, key, value)
        if float(args.nwd_constant) <= 0 or float(args.lost_growth) < 0 or not 0 < float(args.duplicate_iou) <= 1:
            raise ValueError(
                f"srtod_bytetrack needs nwd_constant > 0 (pixels), lost_growth >= 0 and 0 < duplicate_iou <= 1, got "
                f"nwd_constant={args.nwd_constant}, lost_growth={args.lost_growth}, duplicate_iou={args.duplicate_iou}"
            )
        if str(args.gmc_method) not in GMC_METHODS:
            raise ValueError(
                f"srtod_bytetrack gmc_method must be one of {', '.join(GMC_METHODS)}, got {args.gmc_method!r}"
            )
        super().__init__(args)
        # Camera-motion compensation as BoT-SORT does it (ultralytics' GMC; BYTETracker applies `self.gmc` to the
        # Kalman predictions before the first stage): a pan-tilt camera following a drone moves the whole picture,
        # and a tiny target's predicted box then misses it by more than its own size.
        self.gmc = GMC(method=None if args.gmc_method == "none" else str(args.gmc_method))

    def reset(self) -> None:
        """Clear every track, as BYTETracker does, and the camera-motion estimator's previous frame."""
        super().reset()
        self.gmc.reset_params()

    def reset_id(self) -> None:
        """Restart the track ids at 1, as BYTETracker does, and the numbering of the ids shown."""
        super().reset_id()
        self.shown_ids: dict[int, int] = {}

    def update(self, results, img: np.ndarray | None = None, feats: np.ndarray | None = None, **kwargs) -> np.ndarray:
        """BYTETracker's update, with track ids numbered 1, 2, 3, ... in the order tracks are first output.

        ByteTrack draws an id for every new detection it could start a track from, and most of those tentative
        tracks are never confirmed (a single-frame false alarm): the ids it outputs then jump (1, 51, ...), which
        reads as tracks missing. Here each confirmed track keeps its own id, numbered by first appearance; the rows
        are otherwise BYTETracker's, (N, 8) `[x1, y1, x2, y2, track_id, score, cls, idx]`.
        """
        tracks = super().update(results, img, feats, **kwargs)
        if len(tracks):
            column = tracks.shape[1] - 4  # track_id: 4 in (N, 8) rows, 5 in OBB's (N, 9)
            for row in tracks:
                row[column] = self.shown_ids.setdefault(int(row[column]), len(self.shown_ids) + 1)
        return tracks

    def _split_detections(self, results):
        """ByteTrack's split by score, with duplicates of a higher-scoring detection demoted to the low-score set.

        A demoted detection can still extend a track in the second stage, but cannot win the first stage against
        the detection it duplicates, nor start a track of its own.
        """
        high, low, mask_high, mask_low = super()._split_detections(results)
        keep = self.distinct(results)
        if keep is None or not np.any(mask_high & ~keep):
            return high, low, mask_high, mask_low
        demoted = mask_high & ~keep
        mask_high, mask_low = mask_high & keep, mask_low | demoted
        return results[mask_high], results[mask_low], mask_high, mask_low

    def distinct(self, results) -> np.ndarray | None:
        """Mask of detections not overlapping a higher-scoring one by IoU > `duplicate_iou` (None: keep all)."""
        limit = float(self.args.duplicate_iou)
        if limit >= 1 or len(results) < 2:
            return None
        xyxy, order = np.asarray(results.xyxy, np.float64), np.argsort(-np.asarray(results.conf))
        keep = np.ones(len(order), bool)
        lt = np.maximum(xyxy[:, None, :2], xyxy[None, :, :2])
        rb = np.minimum(xyxy[:, None, 2:], xyxy[None, :, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
        area = np.prod(xyxy[:, 2:] - xyxy[:, :2], axis=1)
        iou = inter / np.maximum(area[:, None] + area[None] - inter, 1e-9)
        for n, i in enumerate(order):
            if keep[i] and n + 1 < len(order):
                later = order[n + 1 :]
                keep[later[iou[i, later] > limit]] = False
        return keep

    def similarity(self, tracks: list[STrack], detections: list[STrack]) -> np.ndarray:
        """Pairwise max(IoU, NWD) between tracks (their predicted boxes) and detections.

        Returns:
            (np.ndarray): (len(tracks), len(detections)) similarities in [0, 1].
        """
        if not tracks or not detections:
            return np.zeros((len(tracks), len(detections)), dtype=np.float32)
        iou = 1 - matching.iou_distance(tracks, detections)
        lost_frames = np.array([max(self.frame_id - t.end_frame - 1, 0) for t in tracks], dtype=np.float64)
        constant = float(self.args.nwd_constant) * (1 + float(self.args.lost_growth) * lost_frames)
        a = np.asarray([t.xyxy for t in tracks], dtype=np.float64)
        b = np.asarray([d.xyxy for d in detections], dtype=np.float64)
        # Larger targets overlap their next detection, and there IoU alone keeps nearby clutter from taking them over.
        tiny = np.sqrt(np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)) <= float(self.args.nwd_max_size)
        pairwise = normalized_wasserstein(
            torch.from_numpy(a)[:, None], torch.from_numpy(b)[None], torch.from_numpy(constant)[:, None]
        ).numpy()
        return np.where(tiny[:, None], np.maximum(iou, pairwise), iou).astype(np.float32)

    def get_dists(self, tracks: list[STrack], detections: list[STrack]) -> np.ndarray:
        """Cost 1 - similarity (times the detection score if `fuse_score`), for the first and unconfirmed stages."""
        cost = 1 - self.similarity(tracks, detections)
        if self.args.fuse_score and cost.size:
            cost = matching.fuse_score(cost, detections)
        return cost

    def _second_association(self, strack_pool, u_track, detections_second, activated, refind, lost) -> None:
        """Match the tracks left over by the first stage to low-score detections by the same similarity.

        Stock ByteTrack uses IoU here, so a tiny target whose detector score dips below `track_high_thresh` while
        it moves is lost; the score is not fused, as in ByteTrack, so a low score does not block the match.
        """
        leftover = [strack_pool[i] for i in u_track if strack_pool[i].state == TrackState.Tracked]
        unmatched = range(len(leftover))
        if leftover and detections_second:
            cost = 1 - self.similarity(leftover, detections_second)
            matches, unmatched, _ = matching.linear_assignment(cost, thresh=float(self.args.second_match_thresh))
            self._apply_matches(matches, leftover, detections_second, activated, refind)
        for i in unmatched:
            leftover[i].mark_lost()
            lost.append(leftover[i])
