from benchmarks.native_scale import sensor_subset


def test_a_sensor_subset_keeps_only_that_width_and_its_boxes_and_detections():
    gt = {
        "images": [{"id": 1, "width": 320, "height": 256}, {"id": 2, "width": 640, "height": 512}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 1, 4, 4]}, {"id": 2, "image_id": 2, "bbox": [5, 5, 6, 6]}],
        "categories": [{"id": 0, "name": "drone"}],
    }
    detections = [{"image_id": 1, "score": 0.9}, {"image_id": 2, "score": 0.8}, {"image_id": 2, "score": 0.1}]
    visible, dets = sensor_subset(gt, detections, 640)
    assert [i["id"] for i in visible["images"]] == [2] and [a["id"] for a in visible["annotations"]] == [2]
    assert [d["score"] for d in dets] == [0.8, 0.1] and visible["categories"] == gt["categories"]
    assert len(gt["images"]) == 2  # the full set is left as it was
    thermal, dets = sensor_subset(gt, detections, 320)
    assert [a["image_id"] for a in thermal["annotations"]] == [1] and [d["score"] for d in dets] == [0.9]
