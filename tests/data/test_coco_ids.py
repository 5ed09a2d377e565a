"""Converters keep the source's image and category ids in coco_ids.json; `CocoIds` reads them back for the json."""

import json
from pathlib import Path

from srtod_yolo.data.coco_ids import CocoIds, record_coco_ids
from srtod_yolo.data.convert import convert_aitod, convert_droneswarms, convert_visdrone
from srtod_yolo.metrics import AITODEvaluator

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ids_of(root: Path) -> dict:
    return json.loads((root / "coco_ids.json").read_text())["splits"]


def test_coco_converters_record_the_json_ids_of_every_split(tmp_path):
    convert_droneswarms(FIXTURES / "droneswarms", tmp_path / "ds", mode="copy")
    splits = ids_of(tmp_path / "ds")
    assert splits["val"]["images"] == {"frame_07.jpg": 7}  # test.json's image id 7
    assert splits["val"]["categories"] == {"0": 1}
    assert splits["val"]["annotations"].endswith("test/test.json")
    assert set(splits) == {"train", "val"}
    convert_aitod(FIXTURES / "aitod", tmp_path / "aitod", mode="copy")
    source = json.loads((FIXTURES / "aitod/annotations/aitod_val_v1.json").read_text())
    splits = ids_of(tmp_path / "aitod")
    assert splits["val"]["images"] == {Path(i["file_name"]).name: i["id"] for i in source["images"]}
    assert splits["train"]["categories"] == {str(i): i + 1 for i in range(8)}  # AI-TOD's ids 1-8, by name


def test_visdrone_records_its_category_ids_and_no_image_ids(tmp_path):
    convert_visdrone(FIXTURES / "visdrone", tmp_path, mode="copy")
    val = ids_of(tmp_path)["val"]
    assert val["images"] == {} and val["categories"] == {str(i): i + 1 for i in range(10)}
    ids = CocoIds.for_images([str(p) for p in (tmp_path / "images" / "val").iterdir()])
    assert ids.image_ids == {} and ids.class_map(10) == list(range(1, 11))


def test_coco_ids_for_images_takes_image_ids_only_when_every_image_has_one(tmp_path):
    files = [tmp_path / "images" / "val" / f"{n}.jpg" for n in ("a", "b")]
    record_coco_ids(tmp_path, "val", {"a.jpg": 5007, "b.jpg": 12}, {0: 3, 1: 1})
    ids = CocoIds.for_images([str(f) for f in files])
    assert ids.image_ids == {str(files[0]): 5007, str(files[1]): 12}
    assert ids.class_map(2) == [3, 1] and ids.class_map(3) is None  # a model with a class the source lacks
    record_coco_ids(tmp_path, "val", {"a.jpg": 5007}, {0: 3})  # b.jpg has no id: made-up ids could clash
    assert CocoIds.for_images([str(f) for f in files]).image_ids == {}
    assert CocoIds.for_images([str(tmp_path / "elsewhere" / "x.jpg")]) is None


def test_aitod_evaluator_writes_the_source_ids():
    ev = AITODEvaluator({0: "drone", 1: "bird"}, image_ids={"b.png": 12, "a.png": 5007}, category_ids={0: 3, 1: 1})
    for name in ("a.png", "b.png"):
        ev.add_image(name, 64, 64, [[10, 10, 16, 16]], [1])
        ev.add_detections(name, [[10, 10, 16, 16]], [0.9], [1])
    gt, detections = ev.to_coco()
    assert [i["id"] for i in gt["images"]] == [5007, 12]
    assert [c["id"] for c in gt["categories"]] == [3, 1]
    assert {a["category_id"] for a in gt["annotations"]} == {1} and {d["image_id"] for d in detections} == {5007, 12}
    assert ev.evaluate()["AP"] == 1.0
