"""The deployment benchmark's report: its tables, and the README block it rewrites."""

import pytest

from benchmarks.latency_deploy_report import END, START, format_tables, write_readme_table

RESULT = {
    "command": "python -m benchmarks.latency_deploy --readme",
    "imgsz": 640,
    "runs": 25,
    "calibration_frames": 48,
    "baseline": "yolov8n-p2/ort-fp32",
    "machine": {"cpu": "CPU", "threads": 2, "onnxruntime": "1", "openvino": "2", "nncf": "3", "ultralytics": "8"},
    "load_average_before": [6.0, 5.0, 4.0],
    "rows": {
        "yolov8n-p2/ort-fp32": {"model": "yolov8n-p2", "backend": "ort-fp32", "median_ms": 88.0, "ratio": 1.0},
        "srtod/openvino-int8": {
            "model": "srtod",
            "backend": "openvino-int8",
            "median_ms": 47.2,
            "ratio": 0.534,
            "AP": 6.47,
            "AP_vs_fp32": {"difference": -0.63, "interval": [-1.42, 0.18]},
        },
        "srtod/pt": {"model": "srtod", "backend": "pt", "AP": 7.31},
    },
    "end_to_end": {
        "clip": "c.mp4",
        "frames": 30,
        "fps": {"srtod/openvino-int8": {"predict": 9.5, "track": float("nan")}},
    },
}


def test_tables_carry_every_row_ratio_ap_and_fps():
    text = format_tables(RESULT)
    assert "| srtod | OpenVINO INT8 (NNCF) | 47 | 0.53 | 6.5 | -0.6 [-1.4, +0.2] |" in text
    assert "| srtod | PyTorch FP32 | - | - | 7.3 |  |" in text  # AP only: a row that was not timed
    assert "| srtod | OpenVINO INT8 (NNCF) | 9.5 | - |" in text  # a failed end-to-end run shows as '-'
    assert "loaded by other jobs at the start (load average 6.0, 5.0, 4.0)" in text and RESULT["command"] in text
    quiet = format_tables({**RESULT, "load_average_before": [0.4, 1.2, 1.5]})  # the last minute counts
    assert "no other job running at the start (load average 0.4, 1.2, 1.5)" in quiet and "loaded by" not in quiet
    assert "AP: AI-TOD AP x100 on the 231 real val frames" in text
    rows = {key: {k: v for k, v in row.items() if not k.startswith("AP")} for key, row in RESULT["rows"].items()}
    timed_only = format_tables({**RESULT, "rows": rows})  # --no-ap: the note says so instead of describing an AP
    assert "AP not measured (--no-ap)" in timed_only and "231 real val" not in timed_only


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{START}\nold table\n{END}\nafter\n")
    write_readme_table(RESULT, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith(f"{END}\nafter\n")
    assert "old table" not in text and "OpenVINO INT8 (NNCF)" in text


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="deploy-table"):
        write_readme_table(RESULT, readme)


def test_int8_delta_pairs_each_int8_row_with_its_fp32_self_and_waits_for_both(tmp_path):
    import json

    from benchmarks.latency_deploy import int8_delta

    gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "drone"}]}
    fp32, int8 = [], []
    for i in range(1, 11):
        gt["images"].append({"id": i, "file_name": f"f{i:02d}.png", "width": 64, "height": 64})
        gt["annotations"].append(
            {"id": i, "image_id": i, "category_id": 1, "bbox": [10, 10, 6, 6], "area": 36, "iscrowd": 0}
        )
        fp32.append({"image_id": i, "category_id": 1, "bbox": [10, 10, 6, 6], "score": 0.9})
        int8.append({"image_id": i, "category_id": 1, "bbox": [10 + 3 * (i % 2), 10, 6, 6], "score": 0.9})
    folders = {b: tmp_path / b for b in ("openvino-fp32", "openvino-int8", "ort-fp32", "ort-int8")}
    for backend, detections in (("openvino-fp32", fp32), ("openvino-int8", int8), ("ort-int8", int8)):
        folders[backend].mkdir()
        (folders[backend] / "aitod_gt.json").write_text(json.dumps(gt))
        (folders[backend] / "aitod_predictions.json").write_text(json.dumps(detections))
    delta = int8_delta(folders, "openvino-int8", resamples=50)
    assert delta["difference"] < -10  # half the INT8 boxes 3 px off a 6-px drone: AP x100 falls
    assert delta["interval"][0] <= delta["difference"] <= delta["interval"][1]
    assert int8_delta(folders, "ort-int8") is None  # its FP32 self was not evaluated


@pytest.mark.slow
def test_val_ap_writes_the_coco_files_it_scores_and_reuses_its_record(trained, tiny_synth, tmp_path):
    import json

    from benchmarks.latency_deploy import val_ap
    from srtod_yolo.metrics.aitod import evaluate_coco

    weights, folder = str(trained / "weights" / "last.pt"), tmp_path / "val"
    ap = val_ap(weights, tiny_synth / "data.yaml", 160, folder)
    gt, detections = (json.loads((folder / f).read_text()) for f in ("aitod_gt.json", "aitod_predictions.json"))
    assert ap == round(100 * evaluate_coco(gt, detections)["AP"], 2)  # the files are what was scored
    record = json.loads((folder / "ap.json").read_text())
    assert record == {"model": weights, "imgsz": 160, "AP": ap}
    (folder / "ap.json").write_text(json.dumps({**record, "AP": -1.0}))
    assert val_ap(weights, tiny_synth / "data.yaml", 160, folder) == -1.0  # not re-validated: the record is read
    assert val_ap(weights, tiny_synth / "data.yaml", 128, folder) != -1.0  # another size: validated again


def test_new_weights_under_a_released_name_drop_the_old_exports(tmp_path):
    """The work folder keeps exports between runs; a new release under the same name must not reuse them."""
    import benchmarks.latency_deploy as deploy
    from srtod_yolo.weights import released_weights

    name = next(n for n, (spec, _) in deploy.MODELS.items() if spec == "yolov8n-p2-halmstad.pt")
    source = deploy.model_source(name, tmp_path)
    export = source.parent / f"{source.stem}_fp32.onnx"
    export.write_bytes(b"an export of these weights")
    assert deploy.model_source(name, tmp_path) == source and export.is_file()  # same weights: exports kept
    source.write_bytes(released_weights()["yolov8n-p2-swarm.pt"].read_bytes())  # as if the release had changed
    assert deploy.model_source(name, tmp_path) == source and not export.exists()
    assert source.read_bytes() == released_weights()["yolov8n-p2-halmstad.pt"].read_bytes()
