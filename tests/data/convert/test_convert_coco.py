"""COCO json to YOLO: DroneSwarms and AI-TOD fixtures in their official layouts, to the exact label text."""

import json
import shutil
from pathlib import Path

import pytest

from srtod_yolo.data.convert import AITOD_NAMES, convert_aitod, convert_coco, convert_droneswarms

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def texts(root: Path, folder: str) -> dict[str, str]:
    """{split/stem.txt: content} of every file under root/folder."""
    return {p.relative_to(root / folder).as_posix(): p.read_text() for p in sorted((root / folder).rglob("*.txt"))}


def test_droneswarms_fixture_gives_the_exact_labels(tmp_path):
    summary = convert_droneswarms(FIXTURES / "droneswarms", tmp_path, mode="copy")
    assert texts(tmp_path, "labels") == {
        "train/0001.txt": "0 0.140000 0.287500 0.080000 0.075000\n"  # bbox [10, 20, 8, 6] in 100x80
        "0 0.975000 0.937500 0.050000 0.125000\n",  # [95, 70, 10, 20], clipped to [95, 70, 5, 10]
        "train/0002.txt": "",  # an image without boxes: background
        "val/frame_07.txt": "0 0.020000 0.025000 0.040000 0.050000\n",  # test/ becomes val
    }
    assert texts(tmp_path, "ignore") == {"train/0001.txt": "0 0.360000 0.450000 0.120000 0.150000\n"}  # iscrowd
    assert summary["train"]["skipped"] == {
        "image file missing": 1,
        "under 1 px or no area": 1,
        "no area inside the image": 1,
        "flagged ignore": 1,
    }
    assert (summary["train"]["images"], summary["train"]["boxes"], summary["val"]["boxes"]) == (2, 2, 1)
    assert sorted(p.name for p in (tmp_path / "images" / "train").iterdir()) == ["0001.jpg", "0002.jpg"]
    assert (tmp_path / "data.yaml").read_text().splitlines()[-4:] == [
        "train: images/train",
        "val: images/val",
        "names:",
        '  0: "drone"',
    ]


def test_aitod_fixture_gives_the_exact_labels_with_classes_by_name(tmp_path):
    summary = convert_aitod(FIXTURES / "aitod", tmp_path, mode="link")
    assert texts(tmp_path, "labels") == {
        "train/P0001__1.0__0___0.txt": "5 0.129167 0.355556 0.050000 0.044444\n"  # vehicle [12.5, 30, 6, 4]
        "6 0.845833 0.583333 0.025000 0.055556\n"  # person [100, 50, 3, 5]
        "7 0.583333 0.222222 0.166667 0.222222\n",  # wind-mill [60, 10, 20, 20]
        "val/9999962_00000_d_0000086__0_0.txt": "0 0.125000 0.166667 0.250000 0.333333\n",  # airplane
        "test/1047__600_0.txt": "",
    }
    assert summary["train"]["skipped"] == {"category not selected": 1}  # category id 42
    assert summary["train"]["names"] == list(AITOD_NAMES)
    linked = tmp_path / "images" / "val" / "9999962_00000_d_0000086__0_0.png"
    assert linked.is_symlink() and linked.resolve() == (FIXTURES / "aitod/images/val" / linked.name).resolve()
    yaml_lines = (tmp_path / "data.yaml").read_text().splitlines()
    assert "test: images/test" in yaml_lines and '  7: "wind-mill"' in yaml_lines


def test_aitod_without_a_test_json_converts_train_and_val(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "aitod", raw)
    (raw / "annotations" / "aitod_test_v1.json").unlink()
    assert sorted(convert_aitod(raw, tmp_path / "out", mode="copy")) == ["train", "val"]


def test_missing_files_and_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"DroneSwarms folder not found: '.*nowhere'.*hiyuur\.github\.io"):
        convert_droneswarms(tmp_path / "nowhere", tmp_path / "out")
    raw = tmp_path / "ds"
    shutil.copytree(FIXTURES / "droneswarms", raw)
    (raw / "test" / "test.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"DroneSwarms annotations not found: '.*test/test\.json'"):
        convert_droneswarms(raw, tmp_path / "out")
    raw = tmp_path / "aitod"
    shutil.copytree(FIXTURES / "aitod", raw)
    shutil.rmtree(raw / "images" / "val")
    with pytest.raises(FileNotFoundError, match=r"AI-TOD image folder not found: '.*images/val'"):
        convert_aitod(raw, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match=r"AI-TOD: no annotations/aitod_\{train,val,test\}_v1\.json in '"):
        convert_aitod(tmp_path, tmp_path / "out")


def test_unknown_category_names_and_broken_json_are_named(tmp_path):
    ann = FIXTURES / "droneswarms" / "train" / "train.json"
    with pytest.raises(ValueError, match=r"train\.json: categories \['drone'\] not found; the file has \['Drone'\]"):
        convert_coco(ann, ann.parent / "JPEGImages", tmp_path, "train", names=["drone"])
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    with pytest.raises(ValueError, match=r"broken\.json: not valid json"):
        convert_coco(broken, tmp_path, tmp_path / "out", "train")


def test_reconverting_removes_stale_ignore_files(tmp_path):
    convert_droneswarms(FIXTURES / "droneswarms", tmp_path, mode="copy")
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "droneswarms", raw)
    data = json.loads((raw / "train" / "train.json").read_text())
    data["annotations"] = [a for a in data["annotations"] if not a.get("iscrowd")]
    (raw / "train" / "train.json").write_text(json.dumps(data))
    convert_droneswarms(raw, tmp_path, mode="copy")
    assert texts(tmp_path, "ignore") == {}
