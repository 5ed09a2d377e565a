"""VisDrone2019-DET to YOLO: ignored regions, 'others' and score-0 rows become ignore regions, not boxes."""

import shutil
from pathlib import Path

import pytest
from test_convert_coco import texts

from srtod_yolo.data.convert import VISDRONE_NAMES, convert_visdrone
from srtod_yolo.data.ignore import read_ignore_regions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_visdrone_fixture_gives_the_exact_labels_and_ignore_regions(tmp_path):
    summary = convert_visdrone(FIXTURES / "visdrone", tmp_path, mode="copy")
    assert texts(tmp_path, "labels") == {
        "train/0000002_00005_d_0000014.txt": "3 0.140000 0.287500 0.080000 0.075000\n"  # car 10,20,8,6
        "0 0.520000 0.562500 0.040000 0.125000\n"  # pedestrian 50,40,4,10
        "8 0.950000 0.937500 0.100000 0.125000\n",  # bus 90,70,20,20 (row ends with a comma), clipped
        "train/0000003_00231_d_0000016.txt": "",  # empty annotation file
        "val/0000001_02999_d_0000005.txt": "9 0.300000 0.468750 0.100000 0.062500\n",  # motor 25,35,10,5
    }
    assert texts(tmp_path, "ignore") == {
        "train/0000002_00005_d_0000014.txt": "0.100000 0.100000 0.200000 0.200000\n"  # category 0, ignored region
        "0.650000 0.812500 0.100000 0.125000\n"  # category 11, others
        "0.330000 0.412500 0.060000 0.075000\n",  # a car with score 0
    }
    train = summary["train"]
    assert train["skipped"] == {"unknown category 12": 1, "image without annotation file": 1}
    assert (train["images"], train["boxes"], train["ignore_regions"]) == (2, 3, 3)
    regions, classes = read_ignore_regions(tmp_path / "ignore/train/0000002_00005_d_0000014.txt", 100, 80)
    assert regions[0].tolist() == pytest.approx([0, 0, 20, 16]) and set(classes.tolist()) == {-1}
    yaml_lines = (tmp_path / "data.yaml").read_text().splitlines()
    assert "train: images/train" in yaml_lines and "val: images/val" in yaml_lines
    assert "test: images/test" not in yaml_lines  # no test-dev folder in the fixture
    assert [line.split(": ")[1].strip('"') for line in yaml_lines if line.startswith("  ")] == list(VISDRONE_NAMES)


def test_bad_rows_and_missing_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"none of \['VisDrone2019-DET-train'.*found in '.*empty'"):
        (tmp_path / "empty").mkdir()
        convert_visdrone(tmp_path / "empty", tmp_path / "out")
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "visdrone", raw)
    shutil.rmtree(raw / "VisDrone2019-DET-val" / "annotations")
    with pytest.raises(FileNotFoundError, match=r"VisDrone annotation folder not found: '.*DET-val/annotations'"):
        convert_visdrone(raw, tmp_path / "out")
    shutil.rmtree(raw / "VisDrone2019-DET-val")
    bad = raw / "VisDrone2019-DET-train" / "annotations" / "0000003_00231_d_0000016.txt"
    bad.write_text("1,2,3\n")
    with pytest.raises(ValueError, match=r"0000003_00231_d_0000016\.txt:1: expected 'left,top,width,height"):
        convert_visdrone(raw, tmp_path / "out")
