"""A conversion of only some splits writes a data.yaml the stock commands accept, and says which splits it found."""

import shutil
from pathlib import Path

import pytest
from test_convert_halmstad import write_clip

from srtod_yolo.data.convert import convert_dataset, convert_halmstad
from srtod_yolo.data.convert.common import data_yaml_splits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def val_only_raw(dataset: str, raw: Path) -> Path:
    """The dataset's raw layout holding its validation split only (as a partial download leaves it)."""
    if dataset == "visdrone":
        shutil.copytree(FIXTURES / "visdrone" / "VisDrone2019-DET-val", raw / "VisDrone2019-DET-val")
    elif dataset == "droneswarms":
        shutil.copytree(FIXTURES / "droneswarms" / "test", raw / "test")  # DroneSwarms' test split becomes val
    elif dataset == "aitod":
        (raw / "annotations").mkdir(parents=True)
        shutil.copy(FIXTURES / "aitod/annotations/aitod_val_v1.json", raw / "annotations")
        shutil.copytree(FIXTURES / "aitod/images/val", raw / "images" / "val")
    return raw


def convert_val_only(dataset: str, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    if dataset == "halmstad":
        write_clip(tmp_path / "Data" / "Video_IR" / "IR_DRONE_002.mp4", 2, 64, 48)
        shutil.copytree(FIXTURES / "halmstad" / "output_IR", tmp_path / "labels" / "output_IR")
        summary = convert_halmstad(tmp_path / "Data", tmp_path / "labels", out, stride=1, val_every=1)  # all val
        assert summary["val"]["clips"] == ["IR_DRONE_002"] and not summary["train"]["clips"]
    else:
        summary = convert_dataset(dataset, val_only_raw(dataset, tmp_path / "raw"), out, mode="copy")
        assert list(summary) == ["val"]
    return out


@pytest.mark.parametrize("dataset", ["visdrone", "droneswarms", "aitod"])
def test_a_val_only_conversion_writes_train_as_a_named_missing_split(dataset, tmp_path):
    text = (convert_val_only(dataset, tmp_path) / "data.yaml").read_text()
    assert "# splits found: val\n" in text
    assert "train: images/train  # no train split found: `yolo val` works, `yolo train` needs one\n" in text
    assert "\nval: images/val\n" in text


def test_a_train_only_conversion_validates_on_train_and_says_so():
    assert data_yaml_splits({"train": "images/train"}) == {
        "train": "images/train",
        "val": "images/train  # no val split found: validation reuses the train images",
    }
    assert data_yaml_splits({"test": "images/test"})["val"].startswith("images/test  # no val split found")
    with pytest.raises(ValueError, match="no split was converted"):
        data_yaml_splits({})


def test_a_conversion_that_finds_no_split_names_what_it_looked_for(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither 'train/' nor 'test/' found"):
        convert_dataset("droneswarms", tmp_path / "empty", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match=r"no annotations/aitod_\{train,val,test\}_v1.json"):
        convert_dataset("aitod", tmp_path / "empty", tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["visdrone", "droneswarms", "aitod", "halmstad"])
def test_a_val_only_conversion_validates_with_the_stock_val(dataset, tmp_path):
    from ultralytics import YOLO

    out = convert_val_only(dataset, tmp_path)
    metrics = YOLO("srtod-yolov8n-p2.yaml").val(
        data=str(out / "data.yaml"), imgsz=64, batch=2, workers=0, plots=False, project=str(tmp_path / "runs")
    )
    assert metrics.box.map >= 0  # it ran to the end on the converted val images
    assert len(metrics.aitod) > 0
