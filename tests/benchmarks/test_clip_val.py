import json
import shutil

import cv2
import numpy as np
import pytest
import torch
import yaml

from benchmarks.accuracy import variant_yaml
from benchmarks.clip_val import clip_of, clip_resamples, main, prepare_clip_frames, switch_off_cue
from benchmarks.paired import replicate_metrics
from srtod_yolo.metrics.aitod import evaluate_coco
from srtod_yolo.nn import DifferenceCue
from srtod_yolo.yolo import SRTODDetectionModel


def _clip(folder, name, size, frames=6, boxes=None):
    """A labelled clip as in clips/val/: <name>.mp4 and <name>_LABELS.csv (frame,label,x,y,width,height)."""
    w, h = size
    writer = cv2.VideoWriter(str(folder / f"{name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    rows = ["frame,label,x,y,width,height"]
    for i in range(frames):
        frame = np.full((h, w, 3), 180, np.uint8)
        x, y = 20 + 4 * i, 30
        cv2.rectangle(frame, (x, y), (x + 12, y + 10), (20, 20, 20), -1)
        writer.write(frame)
        rows.append(f"{i},DRONE,{x},{y},12,10")
    for i, label in boxes or []:
        rows.append(f"{i},{label},100,60,16,16")
    writer.release()
    (folder / f"{name}_LABELS.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def clips(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    _clip(folder, "IR_DRONE_001", (160, 128), boxes=[(2, "BIRD"), (3, "KITE")])
    _clip(folder, "IR_BIRD_002", (160, 128))
    _clip(folder, "V_DRONE_003", (192, 160))
    (folder / "V_DRONE_004.mp4").write_bytes(b"")  # no label file: not a labelled clip
    return folder


def test_every_nth_frame_of_each_clip_becomes_a_yolo_frame_per_sensor(tmp_path, clips):
    yamls = prepare_clip_frames(tmp_path / "frames", every=2, clips=clips)
    assert set(yamls) == {"thermal", "visible"}
    thermal = sorted(p.name for p in (tmp_path / "frames" / "images" / "thermal").iterdir())
    assert thermal == [f"{c}_{i:05d}.png" for c in ("IR_BIRD_002", "IR_DRONE_001") for i in (0, 2, 4)]
    visible = sorted(p.name for p in (tmp_path / "frames" / "images" / "visible").iterdir())
    assert visible == [f"V_DRONE_003_{i:05d}.png" for i in (0, 2, 4)]
    label = (tmp_path / "frames" / "labels" / "thermal" / "IR_DRONE_001_00002.txt").read_text().split("\n")
    cls, cx, cy, w, h = map(float, label[0].split())
    assert (cls, cx * 160, cy * 128, w * 160, h * 128) == pytest.approx((0, 20 + 8 + 6, 35, 12, 10), abs=0.01)
    assert label[1].startswith("1 ")  # the bird of frame 2; frame 3's unknown KITE is never decoded at every=2
    done = json.loads((tmp_path / "frames" / "done.json").read_text())
    assert done["frames"] == {"thermal": 6, "visible": 3} and done["clips"] == {"thermal": 2, "visible": 1}
    data = yaml.safe_load(yamls["visible"].read_text())
    assert data["val"] == "images/visible" and data["names"][0] == "drone"
    prepare_clip_frames(tmp_path / "frames", every=3, clips=clips)  # another step: only its frames are there
    visible = sorted(p.name for p in (tmp_path / "frames" / "images" / "visible").iterdir())
    assert visible == [f"V_DRONE_003_{i:05d}.png" for i in (0, 3)]
    assert len(list((tmp_path / "frames" / "labels" / "visible").iterdir())) == 2


def test_bad_clip_input_is_named(tmp_path, clips):
    with pytest.raises(ValueError, match="--every must be >= 1"):
        prepare_clip_frames(tmp_path / "f", every=0, clips=clips)
    with pytest.raises(FileNotFoundError, match="no labelled clips.*nowhere"):
        prepare_clip_frames(tmp_path / "f", clips=tmp_path / "nowhere")
    with pytest.raises(SystemExit, match="no halmstad/ folder"):
        main([str(tmp_path), "--clips", str(clips)])
    (tmp_path / "study" / "halmstad" / "baseline" / "seed0").mkdir(parents=True)
    with pytest.raises(SystemExit, match="--clips: no labelled clips.*nowhere"):
        main([str(tmp_path / "study"), "--clips", str(tmp_path / "nowhere")])


def _gt(clip_frames: dict[str, int]):
    gt = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "drone"}]}
    detections = []
    for clip, frames in clip_frames.items():
        for f in range(frames):
            i = len(gt["images"]) + 1
            gt["images"].append({"id": i, "file_name": f"/x/{clip}_{f:05d}.png", "width": 64, "height": 64})
            box = [10.0, 12.0, 6.0, 6.0]
            gt["annotations"].append({"id": i, "image_id": i, "category_id": 1, "bbox": box, "area": 36, "iscrowd": 0})
            found = clip != "IR_DRONE_002"  # one clip's drone is never found: AP depends on which clips are drawn
            # (scores differ: with ties, COCO's order among equal scores follows image ids, a resample's its draw order)
            score = {"image_id": i, "category_id": 1, "score": i / 10}
            detections.append({**score, "bbox": box if found else [40.0, 40.0, 6.0, 6.0]})
    return gt, detections


def test_a_clip_resample_draws_whole_clips_and_is_the_same_for_every_run():
    gt, _ = _gt({"IR_DRONE_001": 3, "IR_DRONE_002": 1, "V_DRONE_007": 2})
    names = sorted(im["file_name"] for im in gt["images"])
    draws = clip_resamples(gt, resamples=50, seed=0)
    assert len(draws) == 50 and len({len(d) for d in draws}) > 1  # clips differ in length: so do draws
    for draw in draws:
        counts = {}
        for index in draw:
            counts.setdefault(clip_of(names[index]), []).append(index)
        for clip, indices in counts.items():  # each drawn clip comes whole, as often as it was drawn
            members = [i for i, n in enumerate(names) if clip_of(n) == clip]
            assert len(indices) % len(members) == 0 and set(indices) == set(members)
    again = clip_resamples({**gt, "images": gt["images"][::-1]}, resamples=50, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(draws, again))


def test_clip_replicates_score_the_drawn_clips_as_a_whole_evaluation_would():
    gt, detections = _gt({"IR_DRONE_001": 3, "IR_DRONE_002": 2, "V_DRONE_007": 2})
    names = sorted(im["file_name"] for im in gt["images"])
    draws = clip_resamples(gt, resamples=40, seed=1)
    replicates = replicate_metrics(gt, detections, draws)
    assert len(set(replicates["AP"])) > 1  # the missed clip in or out of a draw changes AP
    compared = 0
    for draw, value in zip(draws, replicates["AP"]):  # a draw without repeats: evaluate its images alone
        if len(set(draw)) != len(draw):
            continue
        compared += 1
        kept = {im["id"] for im in gt["images"] if names.index(im["file_name"]) in set(draw)}
        part = {**gt, "images": [im for im in gt["images"] if im["id"] in kept]}
        part["annotations"] = [a for a in gt["annotations"] if a["image_id"] in kept]
        whole = evaluate_coco(part, [d for d in detections if d["image_id"] in kept])
        assert value == pytest.approx(whole["AP"], abs=1e-5)
    assert compared > 0
    with pytest.raises(ValueError, match="outside 0-6"):
        replicate_metrics(gt, detections, [np.array([0, 7])])


def _fuse_checkpoint(folder):
    """A learned-cue model saved as ultralytics saves one, its cue convolution trained-looking (not zero)."""
    torch.manual_seed(0)
    model = SRTODDetectionModel(variant_yaml("fuse", folder), nc=4, verbose=False)
    model.names = {0: "drone", 1: "bird", 2: "airplane", 3: "helicopter"}  # as trained on the real frames
    cue = next(m for m in model.modules() if isinstance(m, DifferenceCue))
    with torch.no_grad():
        cue.fuse.weight.normal_(0, 0.5)
        cue.fuse.bias.fill_(0.25)
        for conv in model.model[-1].cv3:  # class scores near 0.5, not the untrained 1e-4: detections to compare
            conv[-1].bias.zero_()
    path = folder / "fuse.pt"
    torch.save({"model": model, "train_args": {"imgsz": 64}, "epoch": -1}, path)
    return path


def test_switching_the_cue_off_keeps_p2_plus_its_constant_and_nothing_of_the_map():
    torch.manual_seed(0)
    model = torch.nn.ModuleList([DifferenceCue(8), torch.nn.Conv2d(8, 8, 1)])
    with torch.no_grad():
        model[0].fuse.weight.normal_()
        model[0].fuse.bias.normal_()
    p2, difference = torch.rand(1, 8, 6, 5), torch.rand(1, 1, 24, 20)
    assert not torch.allclose(model[0](p2, difference), p2 + model[0].fuse.bias.view(1, -1, 1, 1))
    assert switch_off_cue(model) == 1
    expected = p2 + model[0].fuse.bias.view(1, -1, 1, 1)  # the layer's output for a map of zeros
    assert torch.allclose(model[0](p2, difference), expected) and torch.allclose(model[0](p2, difference * 0), expected)
    assert switch_off_cue(torch.nn.Conv2d(1, 1, 1)) == 0


def test_a_study_is_evaluated_on_the_clips_once_and_its_left_out_runs_are_named(tmp_path, clips, trained, monkeypatch):
    study = tmp_path / "accuracy-x"
    fuse = _fuse_checkpoint(tmp_path)
    for arm, seed, weights in (("baseline", 0, trained / "weights" / "last.pt"), ("fuse", 0, fuse), ("fuse", 1, None)):
        run = study / "halmstad" / arm / f"seed{seed}"
        run.mkdir(parents=True)
        settings = {"enhance": "fuse"} if arm == "fuse" else None
        record = {"variant": arm, "seed": seed, "settings": settings, "metrics": {"all": {"AP": 0.1}}}
        (run / "result.json").write_text(json.dumps(record))
        if weights:
            (run / "train" / "weights").mkdir(parents=True)
            shutil.copyfile(weights, run / "train" / "weights" / "last.pt")
    (study / "halmstad" / "baseline" / "seed2").mkdir()  # unfinished: no result.json, not a run to evaluate
    doc = tmp_path / "results.md"
    block = "<!-- accuracy:x-clipval:halmstad-clips:start -->\n<!-- accuracy:x-clipval:halmstad-clips:end -->\n"
    doc.write_text("# Results\n\n" + block)
    monkeypatch.chdir(tmp_path)  # a relative study folder, as the Makefile passes it
    argv = ["accuracy-x", "--every", "3", "--resamples", "20", "--clips", str(clips), "--doc", str(doc), "--cue-off"]
    assert main(argv) == 0
    out = tmp_path / "accuracy-x-clipval"
    record = json.loads((out / "halmstad-clips" / "fuse" / "seed0" / "result.json").read_text())
    assert record["frames"] == {"all": 6, "thermal": 4, "visible": 2} and record["clips"]["all"] == 3
    assert record["bootstrap"]["unit"] == "clip" and len(record["bootstrap"]["visible"]["AP"]) == 20
    assert record["errors"]["thermal"]["classes"]["drone"]["objects"] == 4  # the drone of each thermal frame
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evaluation"]["left_out"] == ["fuse/seed1", "fuse_cue_off/seed1"]
    off = json.loads((out / "halmstad-clips" / "fuse_cue_off" / "seed0" / "result.json").read_text())
    assert off["variant"] == "fuse_cue_off" and off["seed"] == 0
    assert set(summary["halmstad-clips"]["all"]) == {"baseline", "fuse", "fuse_cue_off"}
    predictions = [
        out / "halmstad-clips" / a / "seed0" / "val_thermal" / "aitod_predictions.json"
        for a in ("fuse", "fuse_cue_off")
    ]
    assert predictions[0].read_text() != predictions[1].read_text()  # the cue changed what the model found
    assert summary["halmstad-clips"]["all"]["fuse"]["seeds"] == [0]
    paired = summary["paired"]["halmstad-clips"]["all"]["fuse"]["AP"]
    base = json.loads((out / "halmstad-clips" / "baseline" / "seed0" / "result.json").read_text())
    assert paired["n"] == 1 and paired["mean"] == pytest.approx(
        record["metrics"]["all"]["AP"] - base["metrics"]["all"]["AP"]
    )
    text = doc.read_text()
    assert (
        "Left out (no weights here and no record): fuse/seed1, fuse_cue_off/seed1" in text
        and "python -m benchmarks.clip_val" in text
    )
    assert "over clips only" in text and "over images" not in text  # the bootstrap's unit, named in the block
    assert text.count("<!-- accuracy:x-clipval:halmstad-clips:start -->") == 1
    (study / "halmstad" / "fuse" / "seed0" / "train" / "weights" / "last.pt").unlink()
    stamp = (out / "halmstad-clips" / "fuse" / "seed0" / "result.json").stat().st_mtime_ns
    assert main([*argv, "--no-eval"]) == 0  # the records are read again: nothing evaluated, nothing lost
    assert (out / "halmstad-clips" / "fuse" / "seed0" / "result.json").stat().st_mtime_ns == stamp
    assert json.loads((out / "summary.json").read_text())["evaluation"]["left_out"] == [
        "fuse/seed1",
        "fuse_cue_off/seed1",
    ]
    assert "| ΔAP_drone [95 % CI] |" in doc.read_text()  # the drone class's own AP, paired like AP

    # A record made before the drone class was scored: scored again from its saved predictions, without the model.
    path = out / "halmstad-clips" / "fuse" / "seed0" / "result.json"
    scored = json.loads(path.read_text())
    assert 0 <= scored["metrics"]["thermal"]["AP_drone"] <= 1 and len(scored["bootstrap"]["all"]["AP_drone"]) == 20
    older = json.loads(path.read_text())
    for subset in older["metrics"]:
        del older["metrics"][subset]["AP_drone"], older["bootstrap"][subset]["AP_drone"]
    path.write_text(json.dumps(older))
    assert main([*argv, "--no-eval"]) == 0
    again = json.loads(path.read_text())
    assert again["metrics"] == scored["metrics"] and again["bootstrap"] == scored["bootstrap"]
    # ... and one whose predictions are gone too: kept as it is, and the tables leave AP_drone out for every run
    path.write_text(json.dumps(older))
    shutil.rmtree(out / "halmstad-clips" / "fuse" / "seed0" / "val_visible")
    assert main([*argv, "--no-eval"]) == 0
    assert "AP_drone" not in json.loads(path.read_text())["metrics"]["all"]
    assert "AP_drone" not in json.loads((out / "summary.json").read_text())["evaluation"]["paired_metrics"]


def test_switching_off_a_cue_the_model_lacks_is_refused(tmp_path, clips, trained):
    run = tmp_path / "accuracy-y" / "halmstad" / "fuse" / "seed0"  # says fuse, but holds the paper's SR-TOD
    (run / "train" / "weights").mkdir(parents=True)
    shutil.copyfile(trained / "weights" / "last.pt", run / "train" / "weights" / "last.pt")
    record = {"variant": "fuse", "seed": 0, "settings": {"enhance": "fuse"}, "metrics": {"all": {"AP": 0.1}}}
    (run / "result.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="has no learned cue"):
        main([str(tmp_path / "accuracy-y"), "--every", "3", "--clips", str(clips), "--cue-off"])
