"""`benchmarks.release`: a benchmark run becomes a released checkpoint with its record, under the name given."""

import json

import pytest

from benchmarks.release import REPO, main


def _run(runs, variant, weights, native, dataset="halmstad", data="x"):
    import torch

    run = runs / dataset / variant / "seed0"
    (run / "train" / "weights").mkdir(parents=True)
    ckpt = torch.load(weights, weights_only=False)
    ckpt["model"].pt_path = str(REPO / "benchmarks" / "results" / "x" / "last.pt")  # as ultralytics leaves it
    torch.save(ckpt, run / "train" / "weights" / "last.pt")
    schedule = {"epochs": 30, "imgsz": 320, "batch": 16, "fraction": 1.0, **({"native": True} if native else {})}
    metrics = {"all": {"AP": 0.2}, "thermal": {"AP": 0.25}, "visible": {"AP": 0.15}}
    command = f"train model=x.yaml data={REPO}/benchmarks/results/{data}/data.yaml seed=0"
    (run / "result.json").write_text(json.dumps({"schedule": schedule, "metrics": metrics, "command": command}))


@pytest.mark.slow
def test_a_second_study_run_is_released_under_the_name_given_with_its_native_val(trained, tmp_path, capsys):
    from ultralytics import YOLO

    runs, out = tmp_path / "accuracy-v2-swarm", tmp_path / "weights"
    _run(runs, "fuse", trained / "weights" / "last.pt", native=True)
    _run(runs, "baseline", trained / "weights" / "last.pt", native=False)
    argv = ["--runs", str(runs), "--dataset", "halmstad", "--variants", "fuse", "baseline", "--out", str(out)]
    assert main([*argv, "--name", "fuse=srtod-yolov8n-p2-{dataset}.pt"]) == 0
    records = json.loads((out / "metrics.json").read_text())
    assert set(records) == {"srtod-yolov8n-p2-halmstad.pt", "yolov8n-p2-halmstad.pt"}
    fuse = records["srtod-yolov8n-p2-halmstad.pt"]
    assert fuse["variant"] == "fuse" and fuse["val"]["imgsz_per_subset"] == {"thermal": 320, "visible": 640}
    assert "imgsz_per_subset" not in records["yolov8n-p2-halmstad.pt"]["val"]  # trained and validated at 320
    assert str(REPO) not in json.dumps(fuse) and fuse["train_command"].startswith("yolo train model=x.yaml")
    assert fuse["bytes"] == (out / "srtod-yolov8n-p2-halmstad.pt").stat().st_size < 10e6
    for name in records:  # no path of this machine inside the checkpoints either
        assert str(REPO).encode() not in (out / name).read_bytes(), name
    assert "srtod-yolov8n-p2-halmstad.pt: " in capsys.readouterr().out
    assert YOLO(str(out / "srtod-yolov8n-p2-halmstad.pt")).model.srtod_layers  # a loadable SR-TOD checkpoint


@pytest.mark.slow
def test_a_swarm_run_records_the_val_images_to_render_again(trained, tmp_path):
    runs, out = tmp_path / "accuracy-v2", tmp_path / "weights"
    _run(runs, "fuse", trained / "weights" / "last.pt", native=False, dataset="synth", data="v2/synth-256-600-300")
    main(["--runs", str(runs), "--dataset", "synth", "--variants", "fuse", "--out", str(out)])
    record = json.loads((out / "metrics.json").read_text())["srtod-fuse-yolov8n-p2-synth.pt"]
    assert record["val"]["synth"] == {"seed": 0, "imgsz": 256, "train": 600, "val": 300}
    _run(runs, "baseline", trained / "weights" / "last.pt", native=False, dataset="synth", data="elsewhere")
    with pytest.raises(SystemExit, match="names no synth-<imgsz>-<train>-<val> data set"):
        main(["--runs", str(runs), "--dataset", "synth", "--variants", "baseline", "--out", str(out)])


def test_bad_release_requests_are_named(tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit, match="have no release name; give --name"):
        main(["--runs", str(runs), "--variants", "residual", "--out", str(tmp_path / "w")])
    with pytest.raises(SystemExit, match="has no finished run"):
        main(["--runs", str(runs), "--variants", "fuse", "--out", str(tmp_path / "w")])
    with pytest.raises(SystemExit, match="give a bare file name ending in .pt"):
        main(["--runs", str(runs), "--variants", "fuse", "--name", "fuse=sub/x.pt", "--out", str(tmp_path / "w")])
    with pytest.raises(SystemExit, match="give VARIANT=FILE.pt"):
        main(["--runs", str(runs), "--variants", "fuse", "--name", "fuse", "--out", str(tmp_path / "w")])
