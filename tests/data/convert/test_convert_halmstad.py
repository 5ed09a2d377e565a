"""Halmstad drone clips (mp4 + per-frame CSV) to YOLO frames: a written fixture, and the real clips shipped."""

import csv
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SHARED_DATA
from test_convert_coco import texts

from srtod_yolo.data.convert import convert_dataset, convert_halmstad
from srtod_yolo.data.convert.halmstad import locate_halmstad, read_clip_list, read_label_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIPS = {  # name: (frames, width, height); V_BIRD_009 has no label file
    "Video_IR/IR_DRONE_001": (6, 64, 48),
    "Video_IR/IR_DRONE_002": (2, 64, 48),
    "Video_V/V_DRONE_003": (3, 80, 64),
    "Video_V/V_BIRD_009": (2, 80, 64),
}


def write_clip(path: Path, frames: int, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4 here"
    for i in range(frames):
        writer.write(np.full((height, width, 3), 30 + 40 * i, np.uint8))
    writer.release()


@pytest.fixture
def halmstad_raw(tmp_path) -> Path:
    """The two source repositories side by side, as their GitHub archives unzip."""
    videos = tmp_path / "raw" / "Drone-detection-dataset-442d0c6750708cc221636f7a1fd31cbd8cb0aeb8" / "Data"
    for name, (frames, width, height) in CLIPS.items():
        write_clip(videos / f"{name}.mp4", frames, width, height)
    shutil.copytree(
        FIXTURES / "halmstad", tmp_path / "raw" / "Drone-detection-dataset-154cc2339030017c4ec233e57f9b2b90d2d806e3"
    )
    return tmp_path / "raw"


def test_halmstad_fixture_gives_the_exact_labels(halmstad_raw, tmp_path):
    videos, labels = locate_halmstad(halmstad_raw)
    summary = convert_halmstad(videos, labels, tmp_path / "out", stride=2, val_every=2)
    out = tmp_path / "out"
    assert texts(out, "labels") == {
        "train/IR_DRONE_001_00000.txt": "0 0.203125 0.208333 0.093750 0.083333\n",  # 10,8,6,4 in 64x48
        "train/IR_DRONE_001_00002.txt": "0 0.968750 0.916667 0.062500 0.166667\n",  # 60,40,8,10, clipped
        "train/IR_DRONE_001_00004.txt": "0 0.343750 0.458333 0.062500 0.083333\n"  # drone 20,20,4,4
        "1 0.515625 0.270833 0.093750 0.125000\n",  # bird 30,10,6,6; the KITE row is dropped
        "train/V_DRONE_003_00000.txt": "0 0.600000 0.562500 0.200000 0.125000\n",  # 40,32,16,8 in 80x64
        "train/V_DRONE_003_00002.txt": "3 0.062500 0.968750 0.125000 0.062500\n",  # helicopter, clipped
        "val/IR_DRONE_002_00000.txt": "0 0.062500 0.083333 0.125000 0.166667\n",  # second IR drone clip: val
    }
    assert summary["train"]["clips"] == ["IR_DRONE_001", "V_DRONE_003"]
    assert summary["val"]["clips"] == ["IR_DRONE_002"]
    assert summary["train"]["skipped"] == {
        "unknown label KITE": 1,
        "labelled frames past the end of the clip": 1,  # frame 7 of a 6-frame clip
        "clip without label file": 1,  # V_BIRD_009
    }
    frame = cv2.imread(str(out / "images" / "train" / "V_DRONE_003_00002.png"))
    assert frame.shape == (64, 80, 3) and abs(int(frame.mean()) - 110) <= 3  # the third frame, native size
    assert '  3: "helicopter"' in (out / "data.yaml").read_text()


def test_every_frame_with_stride_one_and_chosen_frames(halmstad_raw, tmp_path):
    videos, labels = locate_halmstad(halmstad_raw)
    every = convert_halmstad(videos, labels, tmp_path / "every", stride=1, val_every=0)
    assert every["train"]["images"] == 6 + 2 + 3 and every["val"]["images"] == 0
    chosen = convert_halmstad(videos, labels, tmp_path / "chosen", frames={"IR_DRONE_001": [1, 5]}, val_every=0)
    assert sorted(p.name for p in (tmp_path / "chosen" / "images" / "train").iterdir()) == [
        "IR_DRONE_001_00001.png",
        "IR_DRONE_001_00005.png",
    ]
    assert chosen["train"]["clips"] == ["IR_DRONE_001"]


def test_missing_sources_and_bad_rows_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Halmstad folder not found: '.*nothing'"):
        locate_halmstad(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no Data/Video_IR/\*\.mp4 or Data/Video_V/\*\.mp4 in '.*empty'"):
        locate_halmstad(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=r"no clips in '.*empty/Video_IR'"):
        convert_halmstad(tmp_path / "empty", tmp_path, tmp_path / "out")
    bad = tmp_path / "IR_DRONE_001_LABELS.csv"
    bad.write_text("frame,label,x,y,width,height\n0,DRONE,1,2,3\n")
    with pytest.raises(ValueError, match=r"IR_DRONE_001_LABELS\.csv:2: expected frame,label,x,y,width,height"):
        read_label_csv(bad)


def real_clip_layout(root: Path) -> Path:
    """The shipped clips laid out as the source repositories, through symlinks."""
    for video in sorted((SHARED_DATA / "videos").glob("*.mp4")):
        sensor = video.stem.split("_")[0]
        (root / "Data" / f"Video_{sensor}").mkdir(parents=True, exist_ok=True)
        (root / f"output_{sensor}").mkdir(exist_ok=True)
        (root / "Data" / f"Video_{sensor}" / video.name).symlink_to(video)
        label = video.with_name(f"{video.stem}_LABELS.csv")
        (root / f"output_{sensor}" / label.name).symlink_to(label)
    return root


@pytest.mark.skipif(not (SHARED_DATA / "videos").is_dir(), reason="the shared Halmstad frames are not here")
def test_real_clips_give_the_shipped_frames_and_labels_exactly(tmp_path):
    """The five shipped clips, converted at the frames of the shipped train set: same labels, same pixels."""
    clips = {v.stem for v in (SHARED_DATA / "videos").glob("*.mp4")}
    rows = []
    for split in ("train", "val"):
        with open(SHARED_DATA / split / "manifest.csv", newline="") as f:
            rows += [dict(r, split=split) for r in csv.DictReader(f)]
    rows = [r for r in rows if r["source_clip"] in clips]
    assert "IR_DRONE_025" in {r["source_clip"] for r in rows} and len(rows) >= 8
    frames = {}
    for r in rows:
        frames.setdefault(r["source_clip"], []).append(int(r["frame_index_0based"]))
    raw = real_clip_layout(tmp_path / "raw")
    convert_dataset("halmstad", raw, tmp_path / "out", frames=frames, val_every=0)
    for r in rows:
        stem = f"{r['source_clip']}_{int(r['frame_index_0based']):05d}"
        shipped = SHARED_DATA / r["split"] / "labels" / f"{r['image']}.txt"
        ours = tmp_path / "out" / "labels" / "train" / f"{stem}.txt"
        assert ours.read_text() == shipped.read_text(), f"{stem} vs {shipped.name}"  # to the last of 6 decimals
        ours_image = cv2.imread(str(tmp_path / "out" / "images" / "train" / f"{stem}.png"))
        shipped_image = cv2.imread(str(SHARED_DATA / r["split"] / "images" / f"{r['image']}.png"))
        assert np.array_equal(ours_image, shipped_image), f"{stem} pixels differ from {r['image']}.png"


def test_val_clips_name_the_val_split_and_every_other_clip_is_train(halmstad_raw, tmp_path):
    videos, labels = locate_halmstad(halmstad_raw)
    listing = tmp_path / "val.txt"
    listing.write_text("# held out\nV_DRONE_003.mp4\n\nIR_DRONE_001  # a comment\nIR_DRONE_077\nV_DRONE_003\n")
    assert read_clip_list(listing) == ["V_DRONE_003", "IR_DRONE_001", "IR_DRONE_077"]
    summary = convert_halmstad(videos, labels, tmp_path / "out", stride=1, val_clips=read_clip_list(listing))
    assert summary["val"]["clips"] == ["IR_DRONE_001", "V_DRONE_003"] and summary["val"]["images"] == 6 + 3
    assert summary["train"]["clips"] == ["IR_DRONE_002"]  # val_every's rule would have put it in val
    assert summary["val"]["skipped"]["listed val clips not in the videos"] == 1  # IR_DRONE_077: said, not lost
    assert sorted(p.name for p in (tmp_path / "out" / "images" / "val").iterdir())[0] == "IR_DRONE_001_00000.png"


def test_a_clip_list_can_be_a_frame_manifest_or_a_clip_manifest_of_one_split(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("image,source_clip,sensor\nva_1,V_DRONE_074,V\nva_2,IR_DRONE_087,IR\nva_3,V_DRONE_074,V\n")
    assert read_clip_list(manifest) == ["V_DRONE_074", "IR_DRONE_087"]
    clips = tmp_path / "clips.csv"
    clips.write_text("split,clip,sensor\nval,IR_BIRD_040,IR\nval,V_DRONE_059,V\n")
    assert read_clip_list(clips) == ["IR_BIRD_040", "V_DRONE_059"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("clips.csv", "split,clip\ntrain,IR_BIRD_001\nval,V_DRONE_059\n", r"several splits \(train, val\)"),
        (
            "manifest.csv",
            "image,source_clip\nva_1,V_DRONE_074\nva_2,\n",
            r"manifest\.csv:3: the row has no source_clip",
        ),
        ("bad.txt", "IR_DRONE_001\nir_drone_2\n", r"bad\.txt:2: 'ir_drone_2' is not a Halmstad clip name"),
        ("bad.txt", "# nothing\n\n", r"bad\.txt: no clip names"),
    ],
)
def test_bad_clip_lists_are_named(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=message):
        read_clip_list(tmp_path / name)


def test_a_missing_clip_list_names_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"'missing\.txt' not found \(shipped: halmstad-drone-val-clips\.txt"):
        read_clip_list("missing.txt")


def test_the_shipped_val_clip_list_is_the_sample_val_split_and_no_train_clip(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a bare name is found among the shipped dataset files
    shipped = read_clip_list("halmstad-drone-val-clips.txt")
    assert len(shipped) == 124 and len({c.split("_")[0] for c in shipped}) == 2
    if not (SHARED_DATA / "val" / "manifest.csv").is_file():
        pytest.skip("the shared Halmstad sample is not here")
    assert sorted(shipped) == sorted(read_clip_list(SHARED_DATA / "val" / "manifest.csv"))
    assert not set(shipped) & set(read_clip_list(SHARED_DATA / "train" / "manifest.csv"))
