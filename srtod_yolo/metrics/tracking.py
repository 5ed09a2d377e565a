"""Multi-object tracking metrics (HOTA, MOTA, IDF1, ID switches) by TrackEval, and the anti-UAV state accuracy.

HOTA: Luiten et al. (2021), "HOTA: A Higher Order Metric for Evaluating Multi-Object Tracking", IJCV; MOTA and
ID switches: Bernardin & Stiefelhagen (2008), CLEAR MOT; IDF1: Ristani et al. (2016). All three are computed by
TrackEval (`pip install trackeval`, the benchmark's reference implementation; srtod-yolo's `[track]` extra), from
boxes this module matches by IoU. The state accuracy is the single-target score of the Anti-UAV challenges (Zhao
et al. 2023, "The 3rd Anti-UAV Workshop & Challenge"), computed here from its definition.

Tracks and ground truth are (N, 6) arrays of rows `frame, id, x, y, w, h`: frame index (any base, the same in both),
integer identity, box in pixels from its top-left corner (the MOTChallenge layout without the trailing columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = (
    "HEADLINE",
    "combine",
    "evaluate_sequence",
    "link_identities",
    "read_ground_truth",
    "read_mot",
    "score_tracks",
    "state_accuracy",
    "summary",
    "write_mot",
)

# The numbers reported per row, by TrackEval's field names (HOTA, DetA and AssA averaged over IoU 0.05..0.95).
HEADLINE = ("HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW", "CLR_FP", "CLR_FN")


def _metrics() -> tuple:
    try:
        from trackeval.metrics import CLEAR, HOTA, Identity
    except ImportError as e:
        from ..errors import MissingPackageError

        raise MissingPackageError(
            "tracking metrics need TrackEval: pip install 'srtod-yolo[track]' (or pip install trackeval)"
        ) from e
    config = {"PRINT_CONFIG": False}
    return HOTA(config), CLEAR(config), Identity(config)


def _rows(rows: np.ndarray, name: str) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    if rows.size == 0:
        rows = rows.reshape(0, 6)
    if rows.ndim != 2 or rows.shape[1] < 6:
        raise ValueError(f"{name} needs rows 'frame, id, x, y, w, h' (6 columns or more), got shape {rows.shape}")
    if np.any(rows[:, 4:6] < 0):
        raise ValueError(f"{name} has boxes of negative width or height")
    return rows[:, :6]


def _iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a_max, b_max = a[:, :2] + a[:, 2:], b[:, :2] + b[:, 2:]
    wh = np.clip(np.minimum(a_max[:, None], b_max[None]) - np.maximum(a[:, None, :2], b[None, :, :2]), 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _trackeval_data(gt: np.ndarray, tracks: np.ndarray, frames: list) -> dict:
    """The per-sequence dict TrackEval's metrics read: contiguous 0-based ids and per-frame IoU matrices."""
    gt_ids = {v: i for i, v in enumerate(np.unique(gt[:, 1]))}
    tr_ids = {v: i for i, v in enumerate(np.unique(tracks[:, 1]))}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for f in frames:
        g, t = gt[gt[:, 0] == f], tracks[tracks[:, 0] == f]
        for key, ids, mapping in (("gt_ids", g[:, 1], gt_ids), ("tracker_ids", t[:, 1], tr_ids)):
            if len(np.unique(ids)) != len(ids):
                raise ValueError(f"frame {f:g} has the same {key[:-4]} identity twice: {sorted(ids)}")
            data[key].append(np.array([mapping[v] for v in ids], dtype=int))
        data["similarity_scores"].append(_iou_xywh(g[:, 2:6], t[:, 2:6]))
    data.update(
        num_timesteps=len(frames),
        num_gt_ids=len(gt_ids),
        num_tracker_ids=len(tr_ids),
        num_gt_dets=len(gt),
        num_tracker_dets=len(tracks),
    )
    return data


def evaluate_sequence(gt: np.ndarray, tracks: np.ndarray, frames: int | list | None = None) -> dict:
    """TrackEval's HOTA, CLEAR and Identity results of one sequence, to print with `summary` or pool with `combine`.

    Args:
        gt (np.ndarray): (G, 6+) ground-truth rows `frame, id, x, y, w, h`.
        tracks (np.ndarray): (T, 6+) tracker rows in the same layout and frame base.
        frames (int | list | None): The sequence's frames: a count (frames 0..n-1; pass a list for another base),
            the frame indices, or None for every frame either array mentions. Frames with neither count too.

    Returns:
        (dict): {"HOTA": ..., "CLEAR": ..., "Identity": ...}, TrackEval's raw per-sequence results.

    Raises:
        ValueError: On malformed rows, or an identity repeated within a frame.
        ImportError: If TrackEval is not installed.
    """
    gt, tracks = _rows(gt, "ground truth"), _rows(tracks, "tracks")
    if frames is None:
        frames = sorted(set(gt[:, 0]) | set(tracks[:, 0]))
    elif isinstance(frames, int):
        frames = list(range(frames))
    outside = (set(gt[:, 0]) | set(tracks[:, 0])) - set(frames)
    if outside:
        raise ValueError(f"rows of frames {sorted(int(f) for f in outside)[:5]} lie outside the sequence's frames")
    data = _trackeval_data(gt, tracks, list(frames))
    return {type(m).__name__: m.eval_sequence(data) for m in _metrics()}


def combine(results: list[dict]) -> dict:
    """Pool several sequences' `evaluate_sequence` results as TrackEval does for a benchmark (counts summed)."""
    metrics = {type(m).__name__: m for m in _metrics()}
    return {name: m.combine_sequences(dict(enumerate(r[name] for r in results))) for name, m in metrics.items()}


def summary(result: dict) -> dict[str, float]:
    """The `HEADLINE` numbers of an `evaluate_sequence` or `combine` result; rates as fractions in [0, 1]."""
    flat = {}
    for part in result.values():
        flat.update(part)
    return {k: float(np.mean(flat[k])) if k in ("HOTA", "DetA", "AssA") else float(flat[k]) for k in HEADLINE}


def state_accuracy(gt: np.ndarray, predictions: np.ndarray, frames: int | list) -> float:
    """The Anti-UAV single-target state accuracy, the mean over frames of a per-frame score.

    Per frame: IoU if the target is present and predicted, 1 if it is absent and nothing is predicted, 0 otherwise.

    Args:
        gt (np.ndarray): (G, 6+) ground-truth rows `frame, id, x, y, w, h`; a frame with several boxes counts the
            best IoU among them.
        predictions (np.ndarray): (P, 6+) rows in the same layout; per frame the first row is the prediction (put
            the most confident first).
        frames (int | list): A count (frames 0..n-1) or the frame indices.

    Returns:
        (float): The state accuracy in [0, 1].
    """
    gt, predictions = _rows(gt, "ground truth"), _rows(predictions, "predictions")
    frames = list(range(frames)) if isinstance(frames, int) else list(frames)
    if not frames:
        raise ValueError("state accuracy needs at least one frame")
    scores = []
    for f in frames:
        g, p = gt[gt[:, 0] == f], predictions[predictions[:, 0] == f]
        if len(g) and len(p):
            scores.append(float(_iou_xywh(g[:, 2:6], p[:1, 2:6]).max()))
        else:
            scores.append(float(not len(g) and not len(p)))
    return float(np.mean(scores))


def write_mot(path: str | Path, rows: np.ndarray, scores: np.ndarray | None = None) -> Path:
    """Write rows `frame, id, x, y, w, h` as a MOTChallenge text file (`frame,id,x,y,w,h,conf,-1,-1,-1`)."""
    rows = _rows(rows, str(path))
    scores = np.ones(len(rows)) if scores is None else np.asarray(scores, dtype=np.float64)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{int(r[0])},{int(r[1])},{r[2]:.2f},{r[3]:.2f},{r[4]:.2f},{r[5]:.2f},{s:.4f},-1,-1,-1"
        for r, s in zip(rows, scores)
    ]
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    return path


def read_mot(path: str | Path) -> np.ndarray:
    """Read a MOTChallenge text file into (N, 7) rows `frame, id, x, y, w, h, conf`.

    Raises:
        ValueError: If a line has fewer than 6 comma-separated numbers (the message names the file and line).
    """
    from ..data.text import read_text

    rows, text = [], read_text(path, "a MOTChallenge file, frame,id,x,y,w,h[,conf,...] a line")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = [float(v) for v in line.split(",")]
        except ValueError:
            values = []
        if len(values) < 6:
            raise ValueError(f"{path}:{n}: a MOT row needs frame,id,x,y,w,h[,conf,...], got {line!r}")
        rows.append((values + [1.0])[:7])
    return np.asarray(rows, dtype=np.float64).reshape(-1, 7)


def link_identities(rows: list[tuple[int, str, float, float, float, float]], gate: float = 3.0) -> np.ndarray:
    """Give identities to unidentified per-frame boxes (the Halmstad CSVs): per class, frame to frame.

    Each class starts as one identity. When a frame holds several boxes of a class, they are matched to the
    previous frame's boxes of that class by centre distance (Hungarian); a box farther than `gate` times its size
    from every previous box, or left over, starts a new identity. Single-target clips thus get one identity per
    class.

    Returns:
        (np.ndarray): (N, 6) rows frame, id, x, y, w, h.
    """
    from scipy.optimize import linear_sum_assignment

    out, previous, next_id = [], {}, 1
    for frame in sorted({r[0] for r in rows}):
        for label in sorted({r[1] for r in rows if r[0] == frame}):
            boxes = np.array([r[2:] for r in rows if r[0] == frame and r[1] == label], float)
            prev_ids, prev_boxes = previous.get(label, ([], np.zeros((0, 4))))
            ids = [None] * len(boxes)
            if len(prev_boxes):
                c, pc = boxes[:, :2] + boxes[:, 2:] / 2, prev_boxes[:, :2] + prev_boxes[:, 2:] / 2
                dist = np.linalg.norm(c[:, None] - pc[None], axis=2)
                for i, j in zip(*linear_sum_assignment(dist)):
                    if dist[i, j] <= gate * max(np.sqrt(boxes[i, 2] * boxes[i, 3]), 1.0):
                        ids[i] = prev_ids[j]
            for i in range(len(ids)):
                if ids[i] is None:
                    ids[i], next_id = next_id, next_id + 1
            previous[label] = (ids, boxes)
            out += [(frame, k, *b) for k, b in zip(ids, boxes)]
    return np.asarray(out, float).reshape(-1, 6)


def read_ground_truth(path: str | Path) -> np.ndarray:
    """Ground-truth tracks from a MOTChallenge `gt.txt` or a Halmstad `*_LABELS.csv`, as (N, 6) rows, 1-based frames.

    A MOTChallenge file holds `frame,id,x,y,w,h[,consider,class,visibility]` with 1-based frames; rows whose
    `consider` flag (7th column) is 0 are left out, as MOTChallenge's evaluation does. A Halmstad label CSV (`frame,
    label,x,y,width,height`, 0-based frames, no identities) gets its frames shifted to 1-based, the numbering of
    `yolo track save_tracks=True`'s `_mot.txt`, and identities from `link_identities`.

    Raises:
        FileNotFoundError: The file is missing.
        ValueError: A row is malformed (the message names the file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ground truth '{path}' not found")
    from ..data.text import read_text

    expected = "a MOTChallenge gt.txt (frame,id,x,y,w,h,...) or a Halmstad *_LABELS.csv (frame,label,x,y,width,height)"
    header = read_text(path, expected).partition("\n")[0]
    if header.lower().replace(" ", "").startswith("frame,label,"):
        from ..data.convert.halmstad import read_label_csv

        rows = [(frame + 1, *box) for frame, boxes in read_label_csv(path).items() for box in boxes]
        return link_identities(rows)
    rows = read_mot(path)  # frame, id, x, y, w, h, and the 7th column (consider) where the file has one
    return rows[rows[:, 6] != 0, :6]


def score_tracks(
    tracks: str | Path, gt: str | Path, frames: int | None = None, vid_stride: int = 1
) -> dict[str, float]:
    """Score a MOTChallenge tracker file (e.g. `yolo track save_tracks=True`'s `_mot.txt`) against ground truth.

    Args:
        tracks (str | Path): The tracker's rows `frame,id,x,y,w,h,conf,...`, 1-based frames.
        gt (str | Path): A MOTChallenge `gt.txt` or a Halmstad `*_LABELS.csv` (`read_ground_truth`).
        frames (int | None): Score frames 1..frames (the clip's length, or the first part of it: rows of both
            files past it are left out); None: up to the last frame either file names.
        vid_stride (int): The `vid_stride` the tracks were made with: the tracker saw frames vid_stride,
            2 * vid_stride, ... of the source (their numbers in `_mot.txt`), so only those frames of the ground truth
            are scored; with 1, every frame is, and frames the tracker never saw would count as misses.

    Returns:
        (dict[str, float]): The `HEADLINE` numbers (TrackEval's HOTA, DetA, AssA, MOTA, IDF1 as fractions; IDSW,
        CLR_FP, CLR_FN as counts), `state_accuracy` (the Anti-UAV score with each frame's most confident box),
        `frames` (the last frame scored), `frames_scored` and `vid_stride`; `stride_hint`, where `vid_stride` is 1
        but the tracks name only every k-th frame (k > 1, on 10 or more frames): that k.

    Raises:
        FileNotFoundError: A file is missing. ValueError: a malformed row, `frames` or `vid_stride` < 1, or a
            track row on a frame that `vid_stride` skips.
    """
    if not Path(tracks).is_file():
        raise FileNotFoundError(f"tracks '{tracks}' not found")
    if vid_stride < 1:
        raise ValueError(f"vid_stride={vid_stride}: give the stride the tracks were made with (1 or more)")
    truth, rows = read_ground_truth(gt), read_mot(tracks)
    if frames is None:
        frames = int(max(truth[:, 0].max(initial=0), rows[:, 0].max(initial=0)))
    elif frames < 1:
        raise ValueError(f"frames={frames}: give the sequence's length in frames (1 or more)")
    truth, rows = truth[truth[:, 0] <= frames], rows[rows[:, 0] <= frames]
    seen = np.unique(rows[:, 0]).astype(int)
    skipped = seen[seen % vid_stride != 0]
    if len(skipped):
        raise ValueError(
            f"{tracks} names frame {skipped[0]}, which vid_stride={vid_stride} skips: were the tracks made with "
            f"another vid_stride? (with vid_stride=k the tracked frames are k, 2k, 3k, ...)"
        )
    sequence = list(range(vid_stride, frames + 1, vid_stride))
    truth = truth[truth[:, 0] % vid_stride == 0]
    result = summary(evaluate_sequence(truth, rows, sequence))
    ranked = rows[np.lexsort((-rows[:, 6], rows[:, 0]))]  # per frame, the most confident box first
    result["state_accuracy"] = state_accuracy(truth, ranked, sequence)
    result.update(frames=frames, frames_scored=len(sequence), vid_stride=vid_stride)
    if vid_stride == 1 and len(seen) >= 10 and (k := int(np.gcd.reduce(seen))) > 1:
        result["stride_hint"] = k
    return result
