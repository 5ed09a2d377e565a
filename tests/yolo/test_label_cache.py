"""Two runs reading one dataset at once (two trainings, a training and a `yolo val`) share its labels cache safely."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import REPO

from srtod_yolo.data.synth import build_dataset
from srtod_yolo.yolo.dataset import CheckedYOLODataset

HERE = Path(__file__).resolve().parent

# Each process scans a different subset of the same folder, so every scan finds the cache stale and rewrites it.
SCANNER = """
import sys
sys.path[:0] = [sys.argv[4], sys.argv[5]]  # this test's folder and tests/ (its conftest)
from pathlib import Path
from test_label_cache import scan
root, skip, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for _ in range(rounds):
    n = len(scan(root, skip).labels)
    assert n == 40 - skip, n
"""


def scan(root: Path, skip: int) -> CheckedYOLODataset:
    listing = root / f"subset{skip}.txt"
    listing.write_text("".join(f"{p}\n" for p in sorted((root / "images" / "train").glob("*.jpg"))[skip:]))
    return CheckedYOLODataset(img_path=str(listing), data={"names": {0: "drone"}, "channels": 3}, augment=False)


def test_a_cache_deleted_by_another_run_during_the_scan_is_no_crash(tmp_path, monkeypatch):
    # Ultralytics checks for the old cache, then deletes it: another run deleting it in between crashed this one
    # (FileNotFoundError in save_dataset_cache_file), as two `benchmarks.accuracy` runs started together once did.
    root = tmp_path / "d"
    build_dataset(root, train=12, val=2, seed=1, width=64, height=64, workers=0, video_frames=0)
    scan(root, 0)
    cache_file = root / "labels" / "train.cache"
    assert cache_file.is_file()
    real_exists = Path.exists

    def exists_then_deleted_by_another_run(self, *args, **kwargs):
        found = real_exists(self, *args, **kwargs)
        if found and self == cache_file:
            cache_file.unlink()  # the other run's delete lands just after this run's check
        return found

    monkeypatch.setattr(Path, "exists", exists_then_deleted_by_another_run)
    dataset = scan(root, 2)  # another subset: the cache is stale, so it is rescanned and rewritten
    monkeypatch.undo()
    assert len(dataset.labels) == 10
    cache = np.load(cache_file, allow_pickle=True).item()
    assert cache["hash"] == dataset.get_cache_hash() and "srtod_skipped" in cache
    assert sorted(f.name for f in cache_file.parent.iterdir() if f.is_file()) == ["train.cache"]


def test_concurrent_scans_of_one_labels_folder_neither_crash_nor_leave_partial_files(tmp_path, env):
    root = tmp_path / "d"
    build_dataset(root, train=40, val=2, seed=1, width=64, height=64, workers=0, video_frames=0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCANNER, str(root), str(k), "15", str(HERE), str(HERE.parent)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in range(4)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for k, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"scanner {k} failed:\n{out[-3000:]}"
    labels = root / "labels"
    assert sorted(f.name for f in labels.iterdir() if f.is_file()) == ["train.cache"]  # no private files left behind
    cache = np.load(labels / "train.cache", allow_pickle=True).item()  # complete, with our data-check counts
    assert "srtod_skipped" in cache and len(cache["labels"]) >= 36
