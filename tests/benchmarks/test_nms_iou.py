import pytest

from benchmarks.nms_iou import main, user_counts


def _gt():
    categories = [{"id": 0, "name": "drone"}, {"id": 1, "name": "bird"}]
    images = [{"id": i, "file_name": f"C_{i:05d}.png"} for i in (1, 2, 3)]
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 0, "bbox": [10, 10, 10, 10], "area": 100},
        {"id": 2, "image_id": 2, "category_id": 0, "bbox": [50, 50, 8, 8], "area": 64},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [5, 5, 8, 8], "area": 64},
    ]
    return {"images": images, "annotations": annotations, "categories": categories}


def test_user_counts_by_hand():
    gt = _gt()
    detections = [
        {"image_id": 1, "category_id": 0, "bbox": [10, 10, 10, 10], "score": 0.9},  # the drone
        {"image_id": 1, "category_id": 0, "bbox": [11, 11, 8, 8], "score": 0.5},  # nested on it: extra, 2 drones shown
        {"image_id": 1, "category_id": 0, "bbox": [11, 11, 8, 8], "score": 0.1},  # below conf: not shown
        {"image_id": 2, "category_id": 1, "bbox": [50, 50, 8, 8], "score": 0.8},  # the drone, called a bird: found
        {"image_id": 3, "category_id": 0, "bbox": [90, 90, 5, 5], "score": 0.3},  # background, over-counts frame 3
    ]
    counts = user_counts(gt, detections)
    assert counts == {
        "objects": 3,
        "found": 2,  # the bird in frame 2 is missed
        "extra": 1,
        "frames": 3,
        "overcounted": 2,  # frame 1 (2 drone boxes, 1 drone) and frame 3 (1 box, no drone)
        "background": 1,
        "boxes": 4,
    }


def test_the_default_threshold_must_be_measured(capsys):
    with pytest.raises(SystemExit):
        main(["--ious", "0.5"])
    assert "must include 0.7" in capsys.readouterr().err
