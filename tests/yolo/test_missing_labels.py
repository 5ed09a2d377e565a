"""Validation on images without a labels folder names that folder and counts it; messages name real files only."""

import re
import shutil

import pytest
from conftest import run

from srtod_yolo.data.synth import build_dataset

ANSI = re.compile(r"\x1b\[[0-9;]*[mK]")


@pytest.mark.slow
def test_yolo_val_names_the_missing_labels_folder_and_never_the_private_cache_file(tmp_path, env):
    root = tmp_path / "set"
    build_dataset(root, train=3, val=3, seed=2, width=64, height=64, workers=0, video_frames=0)
    shutil.rmtree(root / "labels" / "val")
    val = ["yolo", "val", "model=srtod-yolov8n-p2.yaml", f"data={root / 'data.yaml'}", "imgsz=64", "batch=3"]
    val += ["workers=0", "plots=False", f"project={tmp_path / 'runs'}"]
    proc = run(val, cwd=tmp_path, env=env)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    proc = run([*val, "split=train"], cwd=tmp_path, env=env)
    out_train = ANSI.sub("", proc.stdout + proc.stderr)

    assert f"labels folder '{root / 'labels' / 'val'}' not found: its 3 image(s)" in out
    assert "missing folders 1" in out
    # A split with its labels writes the cache under its final name, and says so with that name.
    assert f"New cache created: {root / 'labels' / 'train.cache'}\n" in out_train
    assert "missing folders 0" in out_train
    for text in (out, out_train):
        assert ".cache-" not in text  # the private file a scan writes before it replaces the cache
    assert not list((root / "labels").glob("*.cache-*"))
