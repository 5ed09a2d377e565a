"""`benchmarks.detection_errors`: found, found as another class, missed, background hits, by hand-counted cases."""

import json

import pytest

from benchmarks.detection_errors import arm_labels, arm_markdown, by_arm, error_counts, main

GT = {
    "images": [{"id": 1}, {"id": 2}, {"id": 3}],
    "categories": [{"id": 0, "name": "drone"}, {"id": 1, "name": "bird"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 0, "bbox": [10, 10, 10, 10]},  # tiny drone: found
        {"id": 2, "image_id": 1, "category_id": 0, "bbox": [50, 50, 20, 20]},  # small drone: found as a bird
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [5, 5, 4, 4]},  # very tiny bird: missed
        {"id": 4, "image_id": 2, "category_id": 0, "bbox": [80, 80, 40, 40], "iscrowd": 1},  # ignore region
    ],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 0, "bbox": [10, 10, 10, 10], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "score": 0.8},  # the most confident hit decides
    {"image_id": 1, "category_id": 0, "bbox": [51, 51, 20, 20], "score": 0.3},
    {"image_id": 2, "category_id": 1, "bbox": [5, 5, 4, 4], "score": 0.1},  # below conf: the bird stays missed
    {"image_id": 2, "category_id": 0, "bbox": [200, 200, 5, 5], "score": 0.5},  # background
    {"image_id": 3, "category_id": 0, "bbox": [0, 0, 5, 5], "score": 0.6},  # background in an image with no object
]


def test_each_object_is_found_confused_or_missed_and_stray_detections_are_background():
    r = error_counts(GT, DETECTIONS, conf=0.25, iou=0.5)
    assert r["classes"]["drone"] == {"objects": 2, "found": 1, "as_other": {"bird": 1}, "missed": 0}
    assert r["classes"]["bird"] == {"objects": 1, "found": 0, "as_other": {}, "missed": 1}
    assert r["sizes"]["tiny"] == {"objects": 1, "found": 1, "missed": 0}
    assert r["sizes"]["small"] == {"objects": 1, "found": 0, "missed": 0}  # confused: neither found nor missed
    assert r["sizes"]["very tiny"] == {"objects": 1, "found": 0, "missed": 1}
    assert r["detections"] == 5 and r["background"] == 2
    low = error_counts(GT, DETECTIONS, conf=0.05, iou=0.5)
    assert low["classes"]["bird"]["found"] == 1 and low["detections"] == 6


def test_the_command_reads_val_folders_and_names_what_is_missing(tmp_path, capsys):
    run = tmp_path / "fuse" / "seed0" / "val_visible"
    run.mkdir(parents=True)
    (run / "aitod_gt.json").write_text(json.dumps(GT))
    with pytest.raises(SystemExit, match="aitod_predictions.json' is missing"):
        main([str(run)])
    (run / "aitod_predictions.json").write_text(json.dumps(DETECTIONS))
    out = main([str(run), "--iou", "0.5", "--out", str(tmp_path / "e.json")])
    assert out["results"]["fuse/seed0/val_visible"]["background"] == 2
    assert "| fuse/seed0/val_visible | drone | 2 | 1 | 1 | 0 |" in capsys.readouterr().out
    assert json.loads((tmp_path / "e.json").read_text())["iou"] == 0.5
    with pytest.raises(SystemExit, match="conf must be in"):
        main([str(run), "--conf", "2"])


def test_two_studies_runs_of_the_same_arm_and_seed_keep_apart(tmp_path):
    """accuracy-v2/.../baseline/seed0/val_thermal and accuracy-v2-swarm/.../baseline/seed0/val_thermal: two rows."""
    folders = []
    for study, predictions in (("accuracy-v2", DETECTIONS), ("accuracy-v2-swarm", DETECTIONS[:1])):
        run = tmp_path / study / "halmstad" / "baseline" / "seed0" / "val_thermal"
        run.mkdir(parents=True)
        (run / "aitod_gt.json").write_text(json.dumps(GT))
        (run / "aitod_predictions.json").write_text(json.dumps(predictions))
        folders.append(str(run))
    results = main(folders)["results"]
    assert [r["detections"] for r in results.values()] == [5, 1]
    assert list(results) == [
        "accuracy-v2/halmstad/baseline/seed0/val_thermal",
        "accuracy-v2-swarm/halmstad/baseline/seed0/val_thermal",
    ]
    with pytest.raises(SystemExit, match="the same val folder is given twice"):
        main([folders[0], folders[0]])


def test_runs_whose_val_folders_are_not_here_are_read_from_their_result_json_or_named_as_left_out(tmp_path, capsys):
    """A fresh checkout has each run's result.json (in git) but not its val folders."""
    counts = error_counts(GT, DETECTIONS)
    kept = tmp_path / "fuse" / "seed0"
    kept.mkdir(parents=True)
    (kept / "result.json").write_text(json.dumps({"errors": {"conf": 0.25, "iou": 0.25, "thermal": counts}}))
    older = tmp_path / "fuse" / "seed1"  # finished before result.json kept the counts
    older.mkdir(parents=True)
    (older / "result.json").write_text(json.dumps({"metrics": {}}))
    here = tmp_path / "baseline" / "seed0" / "val_thermal"
    here.mkdir(parents=True)
    (here / "aitod_gt.json").write_text(json.dumps(GT))
    (here / "aitod_predictions.json").write_text(json.dumps(DETECTIONS[:1]))

    out = main([str(here), str(kept / "val_thermal"), str(older / "val_thermal")])
    assert (
        out["results"]["fuse/seed0/val_thermal"] == counts
        and out["results"]["baseline/seed0/val_thermal"]["detections"] == 1
    )
    assert out["from_result_json"] == ["fuse/seed0/val_thermal"] and out["left_out"] == ["fuse/seed1/val_thermal"]
    printed = capsys.readouterr().out
    assert "left out, neither the val folder nor counts at conf=0.25 iou=0.25: fuse/seed1/val_thermal" in printed
    # counts made at another operating point are not passed off as this one's; another subset is not there either
    assert main([str(here), str(kept / "val_thermal"), "--iou", "0.5"])["left_out"] == ["fuse/seed0/val_thermal"]
    assert main([str(here), str(kept / "val_visible")])["left_out"] == ["fuse/seed0/val_visible"]
    with pytest.raises(SystemExit, match="none of the given runs"):
        main([str(older / "val_thermal")])
    with pytest.raises(SystemExit, match="seed7/result.json' too"):  # a typo is not skipped
        main([str(tmp_path / "fuse" / "seed7" / "val_thermal")])


def test_runs_of_one_arm_are_summarised_over_their_seeds(tmp_path):
    two = error_counts(GT, DETECTIONS[:1])  # seed 1 finds only the tiny drone, fires on nothing else
    results = {"fuse/seed0/val_all": error_counts(GT, DETECTIONS), "fuse/seed1/val_all": two}
    arms = by_arm(results, dict.fromkeys(results, "fuse/val_all"))
    fuse = arms["fuse/val_all"]
    assert fuse["seeds"] == 2 and fuse["runs"] == ["fuse/seed0/val_all", "fuse/seed1/val_all"]
    assert fuse["tiny found"] == {"mean": 1.0, "std": 0.0}
    assert (
        fuse["as another class"]["mean"] == 0.5 and fuse["background hits"]["mean"] == 1.0
    )  # (1 + 0) / 2, (2 + 0) / 2
    assert fuse["missed"]["mean"] == 1.5 and fuse["missed"]["std"] == pytest.approx(0.7071, abs=1e-4)  # 1 and 2
    assert "| fuse/val_all | 2 | 0.0 ± 0.0 | 1.0 ± 0.0 | " in arm_markdown(arms) and "| 0.5 ± 0.7 |" in arm_markdown(
        arms
    )
    one = by_arm({"fuse/seed0/val_all": two}, {"fuse/seed0/val_all": "fuse/val_all"})
    assert one["fuse/val_all"]["missed"] == {"mean": 2.0, "std": None} and "| 2.0 |" in arm_markdown(one)  # no spread


def test_arms_of_two_studies_stay_apart_whichever_seeds_are_given(tmp_path):
    """accuracy-v2/.../fuse/seed0 and accuracy-v2-swarm/.../fuse/seed1 are two arms, not two seeds of one."""
    scratch = tmp_path / "accuracy-v2" / "halmstad" / "fuse" / "seed0" / "val_thermal"
    swarm = tmp_path / "accuracy-v2-swarm" / "halmstad" / "fuse" / "seed1" / "val_thermal"
    swarm_again = tmp_path / "accuracy-v2-swarm" / "halmstad" / "fuse" / "seed2" / "val_thermal"
    assert arm_labels([scratch, swarm, swarm_again]) == [
        "accuracy-v2/halmstad/fuse/val_thermal",
        "accuracy-v2-swarm/halmstad/fuse/val_thermal",
        "accuracy-v2-swarm/halmstad/fuse/val_thermal",
    ]
    assert arm_labels([swarm, swarm_again]) == ["fuse/val_thermal"] * 2
    for folder in (scratch, swarm):
        folder.mkdir(parents=True)
        (folder / "aitod_gt.json").write_text(json.dumps(GT))
        (folder / "aitod_predictions.json").write_text(json.dumps(DETECTIONS))
    assert [a["seeds"] for a in main([str(scratch), str(swarm)])["arms"].values()] == [1, 1]
