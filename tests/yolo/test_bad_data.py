"""Bad data never kills a run: each bad file is named, skipped or repaired, and counted in one summary line."""

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import logged, run

from srtod_yolo.data.synth import build_dataset

SUMMARY = re.compile(r"train: (?:\x1b\[[0-9;]*m)*data check: (.*)")
EXPECTED = (
    "corrupt images 2, bad labels 2, zero-size boxes 1, duplicate rows 1, "
    "empty label files (kept as background images) 1, missing folders 1, "
)
EXPECTED += "16-bit images 1"


def make_bad_dataset(root):
    """A tiny one-class set with one of each kind of bad data; returns {kind: file that holds it}."""
    build_dataset(root, train=10, val=3, seed=5, width=160, height=128, workers=0, video_frames=0)
    images = sorted((root / "images" / "train").glob("*.jpg"))
    labels = root / "labels" / "train"
    data = images[0].read_bytes()
    images[0].write_bytes(data[: len(data) // 2])  # truncated JPEG
    images[1].write_text("not an image\n")  # a text file named .jpg
    rows = {
        2: "",  # empty label file
        3: "0 1.5 0.5 0.1 0.1\n",  # outside [0, 1]
        4: "0 0.5 0.5 0.0 0.1\n0 0.3 0.3 0.1 0.1\n",  # a zero-size box beside a good one
        5: "0 0.3 0.3 0.1 0.1\n0 0.3 0.3 0.1 0.1\n0 0.6 0.6 0.1 0.1\n",  # a duplicate row
        6: "7 0.3 0.3 0.1 0.1\n",  # class 7 in a one-class set
    }
    for i, text in rows.items():
        (labels / f"{images[i].stem}.txt").write_text(text)
    thermal = images[0].with_name("thermal16.png")  # a radiometric thermal frame: 16 bits per pixel
    cv2.imwrite(str(thermal), np.full((128, 160), 7300, np.uint16))
    (labels / "thermal16.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (root / "data.yaml").write_text(
        f"path: {root}\ntrain: [images/train, images/missing]\nval: images/val\nnames:\n  0: drone\n"
    )
    kinds = ("truncated", "not_an_image", "empty", "x_1.5", "zero_size", "duplicate", "class_7")
    named = {kind: images[i] for i, kind in enumerate(kinds)} | {"missing_folder": root / "images" / "missing"}
    return named | {"16_bit": thermal}


def checked_train_set(root):
    from ultralytics.cfg import get_cfg
    from ultralytics.data.utils import check_det_dataset

    from srtod_yolo.yolo.dataset import build_checked_dataset

    data = check_det_dataset(str(root / "data.yaml"))
    return build_checked_dataset(get_cfg(overrides={"imgsz": 160}), data["train"], 4, data, mode="train")


def summary_of(dataset) -> str:
    return dataset.log_summary().split("data check: ")[1]


def test_bad_data_is_skipped_and_counted_the_same_on_a_cached_scan(tmp_path):
    bad = make_bad_dataset(tmp_path)
    first = checked_train_set(tmp_path)
    assert summary_of(first) == EXPECTED
    assert (tmp_path / "labels" / "train.cache").is_file()
    second = checked_train_set(tmp_path)  # read from labels.cache
    assert summary_of(second) == EXPECTED
    used = {label["im_file"] for label in second.labels}
    for kind in ("truncated", "not_an_image", "x_1.5", "class_7", "16_bit"):
        assert str(bad[kind]) not in used, kind
    assert len(used) == 6
    by_file = {label["im_file"]: label for label in second.labels}
    zero = by_file[str(bad["zero_size"])]
    np.testing.assert_allclose(zero["bboxes"], [[0.3, 0.3, 0.1, 0.1]])  # the good box stays
    assert len(by_file[str(bad["duplicate"])]["bboxes"]) == 2
    assert len(by_file[str(bad["empty"])]["bboxes"]) == 0  # kept as a background image


def test_a_stock_ultralytics_cache_is_rescanned(tmp_path):
    from ultralytics.data import YOLODataset

    bad = make_bad_dataset(tmp_path)
    YOLODataset(img_path=str(tmp_path / "images" / "train"), data={"names": {0: "drone"}}, augment=False)
    assert (tmp_path / "labels" / "train.cache").is_file()  # stock cache: zero-size box kept, no counts
    checked = checked_train_set(tmp_path)
    assert summary_of(checked) == EXPECTED
    zero = next(label for label in checked.labels if label["im_file"] == str(bad["zero_size"]))
    assert len(zero["bboxes"]) == 1


def test_val_skips_deep_frames_of_every_format(tmp_path):
    from ultralytics.cfg import get_cfg
    from ultralytics.data.utils import check_det_dataset

    from srtod_yolo.yolo.dataset import build_checked_dataset

    build_dataset(tmp_path, train=2, val=2, seed=5, width=64, height=48, workers=0, video_frames=0)
    raw = np.full((48, 64), 7300, np.uint16)
    deep = {"colour16.tif": np.dstack([raw] * 3), "float.tif": raw.astype(np.float32), "thermal.jp2": raw}
    for name, frame in deep.items():  # the stock loader would cut each to its high byte (or misread the float)
        assert cv2.imwrite(str(tmp_path / "images" / "val" / name), frame)
        (tmp_path / "labels" / "val" / f"{name.split('.')[0]}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    data = check_det_dataset(str(tmp_path / "data.yaml"))
    val = build_checked_dataset(get_cfg(overrides={"imgsz": 64}), data["val"], 2, data, mode="val")
    assert val.skipped["16-bit images"] == 3
    assert len(val.im_files) == 2 and not {Path(f).name for f in val.im_files} & set(deep)


def test_every_train_folder_missing_is_a_clear_error(tmp_path):
    make_bad_dataset(tmp_path)
    (tmp_path / "data.yaml").write_text(
        f"path: {tmp_path}\ntrain: [images/gone, images/lost]\nval: images/val\nnames:\n  0: drone\n"
    )
    with pytest.raises(FileNotFoundError, match=r"image folders not found: .*images/gone, .*images/lost"):
        checked_train_set(tmp_path)


@pytest.mark.slow
def test_yolo_train_goes_on_past_bad_data_and_reports_it(tmp_path, env):
    bad = make_bad_dataset(tmp_path / "bad")
    args = [
        "yolo",
        "train",
        "model=srtod-yolov8n-p2.yaml",
        f"data={tmp_path / 'bad' / 'data.yaml'}",
        "epochs=1",
        "imgsz=160",
        "batch=4",
        "workers=0",
        "plots=False",
        f"project={tmp_path / 'runs'}",
        "exist_ok=True",
    ]
    for name in ("first", "cached"):
        proc = run([*args, f"name={name}"], cwd=tmp_path, env=env)
        out = proc.stdout + proc.stderr
        assert (tmp_path / "runs" / name / "weights" / "last.pt").is_file(), name
        for kind, path in bad.items():
            assert str(path) in out, f"{name} run does not name the {kind} file {path}"
        assert SUMMARY.findall(out) == [EXPECTED], name


def test_many_empty_label_files_name_the_first_three_and_count_the_rest(tmp_path):
    build_dataset(tmp_path, train=10, val=3, seed=5, width=160, height=128, workers=0, video_frames=0)
    images = sorted((tmp_path / "images" / "train").glob("*.jpg"))
    for image in images[:7]:  # seven background images with an empty label file
        (tmp_path / "labels" / "train" / f"{image.stem}.txt").write_text("")
    (tmp_path / "data.yaml").write_text(f"path: {tmp_path}\ntrain: images/train\nval: images/val\nnames:\n  0: drone\n")
    holder = {}
    text = logged(lambda: holder.setdefault("dataset", checked_train_set(tmp_path)))
    dataset = holder["dataset"]
    named = [line for line in text.splitlines() if ": empty label file " in line]
    assert len(named) == 3 and all("used as a background image" in line for line in named)
    assert "... and 4 more empty label files" in text
    assert dataset.skipped["empty label files"] == 7  # the summary still counts every one
    assert sum(len(label["bboxes"]) == 0 for label in dataset.labels) == 7  # and none is lost


def test_the_data_check_says_how_many_images_imgsz_downscales(tmp_path):
    from ultralytics.cfg import get_cfg
    from ultralytics.data.utils import check_det_dataset

    from srtod_yolo.yolo.dataset import build_checked_dataset, shrink_summary

    build_dataset(tmp_path, train=6, val=2, seed=5, width=160, height=128, workers=0, video_frames=0)
    data = check_det_dataset(str(tmp_path / "data.yaml"))
    for imgsz, expected in ((64, "6 of 6 images are downscaled 2.5x to fit imgsz=64"), (160, None)):
        cfg = get_cfg(overrides={"imgsz": imgsz})
        text = logged(lambda: build_checked_dataset(cfg, data["train"], 4, data, mode="train"))  # noqa: B023
        notes = [line for line in text.splitlines() if "downscaled" in line]
        if expected is None:
            assert not notes
        else:
            assert len(notes) == 1 and expected in notes[0] and "imgsz=160" in notes[0], notes
    cfg = get_cfg(overrides={"imgsz": 64})
    text = logged(lambda: build_checked_dataset(cfg, data["val"], 4, data, mode="val"))  # a validator's dataset
    notes = [line for line in text.splitlines() if "downscaled" in line]
    assert len(notes) == 1 and "validate at their own size (imgsz=160)" in notes[0] and "train" not in notes[0]
    square = shrink_summary([(512, 640)], [320, 320])  # a validator of a fixed-size export sets imgsz to [h, w]
    assert square.startswith("1 of 1 images are downscaled 2.0x to fit imgsz=320")
    mixed = shrink_summary([(256, 320), (512, 640), (512, 640)], 320)  # thermal whole, visible halved
    assert mixed.startswith("2 of 3 images are downscaled 2.0x to fit imgsz=320") and "imgsz=640" in mixed
    assert "train at their own size" in mixed and "srtod val" not in mixed
    checked = shrink_summary([(256, 320), (512, 640), (512, 640)], 320, mode="val")  # validation: `srtod val`
    assert "validate at their own size (imgsz=640)" in checked and "srtod val" in checked and "train" not in checked
    one_size = shrink_summary([(512, 640)], 320, mode="val")  # one size: imgsz is the whole answer
    assert "imgsz=640" in one_size and "srtod val" not in one_size
    ranged = shrink_summary([(256, 320), (480, 600), (512, 640)], 320)  # two factors: the range
    assert ranged.startswith("2 of 3 images are downscaled 1.9x to 2.0x to fit imgsz=320")
