import cv2
import numpy as np

from srtod_yolo.data.synth import render_swarm_clip
from srtod_yolo.metrics.tracking import read_mot


def test_swarm_clip_ground_truth_is_consistent_and_seeded(tmp_path):
    frames = 60
    clip = render_swarm_clip(tmp_path / "a", seed=3, frames=frames, width=320, height=256)
    again = render_swarm_clip(tmp_path / "b", seed=3, frames=frames, width=320, height=256)
    assert clip.gt.read_bytes() == again.gt.read_bytes()
    assert clip.gt.read_bytes() != render_swarm_clip(tmp_path / "c", seed=4, frames=frames, width=320).gt.read_bytes()

    cap = cv2.VideoCapture(str(clip.video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == frames
    cap.release()

    gt = read_mot(clip.gt)
    assert gt[:, 0].min() >= 1 and gt[:, 0].max() <= frames
    assert np.all(gt[:, 4:6] >= 1) and np.all(gt[:, 2] + gt[:, 4] <= 320) and np.all(gt[:, 3] + gt[:, 5] <= 256)
    ids = np.unique(gt[:, 1])
    assert len(ids) == clip.drones >= 5
    firsts, lasts = [], []
    for i in ids:
        rows = gt[gt[:, 1] == i]
        assert len(np.unique(rows[:, 0])) == len(rows)  # one box per identity per frame
        rows = rows[np.argsort(rows[:, 0])]
        firsts.append(rows[0, 0])
        lasts.append(rows[-1, 0])
        centres = rows[:, 2:4] + rows[:, 4:6] / 2
        steps = np.linalg.norm(np.diff(centres, axis=0), axis=1) / np.diff(rows[:, 0])
        assert np.all(steps < 12), f"drone {i} jumps: identities must follow one drone"  # speed <= 6 px/frame
        assert np.all(np.diff(rows[:, 0]) <= 31)  # blinks out for at most ~1 s
    assert max(firsts) > 1 and min(lasts) < frames  # drones enter and leave during the clip
    assert len(read_mot(clip.distractors)) > 0  # birds fly through, unlabelled
