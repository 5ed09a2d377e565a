import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, SHARED_DATA, needs_halmstad

from benchmarks.accuracy_report import LABELS, markdown_table, per_seed_table, summarise

METRICS = ("AP", "AP_t")


def _result(variant, seed, ap, ap_t):
    return {"variant": variant, "seed": seed, "metrics": {"all": {"AP": ap, "AP_t": ap_t}}}


def test_summary_gives_mean_and_sample_std_over_seeds():
    results = [_result("baseline", s, ap, 0.1) for s, ap in enumerate((0.2, 0.4, 0.3))]
    results.append(_result("full", 0, 0.5, float("nan")))
    table = summarise(results, METRICS)["all"]
    assert table["baseline"]["n"] == 3 and table["baseline"]["seeds"] == [0, 1, 2]
    assert table["baseline"]["AP"]["mean"] == pytest.approx(0.3)
    assert table["baseline"]["AP"]["std"] == pytest.approx(0.1)  # sample std of 0.2, 0.4, 0.3
    assert (table["baseline"]["AP"]["min"], table["baseline"]["AP"]["max"]) == (0.2, 0.4)
    assert math.isnan(table["full"]["AP_t"]["mean"])  # a bin without ground truth stays n/a
    text = markdown_table(table, METRICS)
    assert "| yolov8n-p2 (stock) | 3 | 30.0 ± 10.0 | 10.0 ± 0.0 |" in text
    assert text.splitlines()[-1].endswith("| 1 | 50.0 | n/a |")  # one seed: no spread shown


def test_per_seed_table_puts_each_value_under_its_seed_and_marks_missing_ones():
    results = [_result("baseline", s, ap, 0.1) for s, ap in ((0, 0.2), (1, 0.4), (3, 0.3))]
    results += [_result("fuse", 1, 0.45, float("nan")), _result("fuse", 0, 0.25, float("nan"))]
    table = summarise(results, METRICS)["all"]
    lines = per_seed_table(table).splitlines()
    assert lines[0] == "| variant | seed 0 | seed 1 | seed 3 |"  # the union of the arms' seeds, in order
    assert lines[2] == "| yolov8n-p2 (stock) | 20.0 | 40.0 | 30.0 |"
    assert lines[3].endswith("| 25.0 | 45.0 | · |")  # seed 3 not run for this arm; values follow their seeds
    assert per_seed_table(table, "AP_t").splitlines()[3].endswith("| n/a | n/a | · |")


def _scored(variant, seed, ap):
    metrics = {"AP": ap, "AP25": ap + 0.3, "AP_vt": ap - 0.1, "AP_t": float("nan")}
    return {"variant": variant, "seed": seed, "metrics": {"all": metrics}}


def test_scoreboard_pairs_each_arm_with_the_stock_models_same_seeds_and_rewrites_its_block(tmp_path):
    from benchmarks.accuracy_report import PAIRED_METRICS, paired_rows, write_scoreboard

    results = [_scored("baseline", s, ap) for s, ap in ((0, 0.40), (1, 0.42), (2, 0.50))]
    results += [_scored("fuse", 0, 0.41), _scored("fuse", 1, 0.44)]  # seed 2 not run yet
    summary = {"synth": summarise(results, PAIRED_METRICS), "paired": {"synth": {"all": paired_rows(results, "all")}}}
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "summary.json").write_text(json.dumps(summary))
    doc = tmp_path / "results.md"
    doc.write_text(
        "# Results\n\nkept\n\n<!-- accuracy:scoreboard:start -->\nSTALE BLOCK\n<!-- accuracy:scoreboard:end -->\n"
    )
    block = write_scoreboard([tmp_path / "study"], doc, "the command")
    row = block.splitlines()[-1].split(" | ")
    # the stock model over seeds 0-1 only (41.0, not 44.0 over all three), the arm 42.5, ΔAP +1.5 with a t interval
    assert row[:6] == ["| study", "synth / all", f"`fuse`: {LABELS['fuse']}", "2", "41.0", "42.5"]
    assert row[6].startswith("+1.5 [") and row[6].endswith("]ᵗ") and row[8] == "n/a"  # AP_t had no objects
    assert row[9] == "n/a"  # the drone class was not scored apart in this study
    assert "provisional: 2 of 5 seeds" in row[10]
    text = doc.read_text()
    assert "kept" in text and "STALE BLOCK" not in text and text.count("accuracy:scoreboard:start") == 1
    assert "`the command`" in text
    with pytest.raises(FileNotFoundError, match="nowhere"):
        write_scoreboard([tmp_path / "nowhere"], doc, "x")


@pytest.mark.slow
@needs_halmstad
def test_benchmark_trains_evaluates_and_reports_end_to_end(tmp_path, env):
    doc = tmp_path / "results.md"
    doc.write_text("# Results\n\nkept text\n")
    command = [sys.executable, "-m", "benchmarks.accuracy", "--data", "halmstad", "--variants", "baseline", "full"]
    command += ["--seeds", "0", "--epochs", "1", "--imgsz", "64", "--fraction", "0.01", "--out", str(tmp_path / "o")]
    command += ["--report", "--doc", str(doc), "--bootstrap", "3"]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "o" / "halmstad" / "full" / "seed0" / "result.json").read_text())
    # what the val folders (not in git) would give benchmarks.detection_errors, kept in the record
    assert len(result["bootstrap"]["thermal"]["AP"]) == 3
    assert result["errors"]["conf"] == result["errors"]["iou"] == 0.25
    visible = result["errors"]["visible"]
    assert visible["sizes"]["small"]["objects"] > 0 and visible["detections"] >= visible["background"] >= 0
    assert set(result["metrics"]) == {"all", "thermal", "visible"}
    assert result["schedule"] == {"epochs": 1, "imgsz": 64, "batch": 16, "fraction": 0.01}
    assert 0 < result["learned_threshold"] < 0.5 and "model=" in result["command"]
    assert result["machine"]["cores"] == os.cpu_count()  # the machine that trained it, not the report's
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert set(summary["halmstad"]["thermal"]) == {"baseline", "full"}
    text = doc.read_text()
    assert "kept text" in text and "<!-- accuracy:halmstad:start -->" in text and "| variant | seeds |" in text
    assert "Report made on: {'cpu'" in text
    assert (tmp_path / "img" / "accuracy_halmstad_visible.png").is_file()
    assert not list(SHARED_DATA.rglob("*.cache"))  # the shared frames stay untouched
    # a finished run with another schedule is not silently reused
    proc = subprocess.run(
        [*command[:11], "2", *command[12:]], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode != 0 and "use another --out folder" in proc.stderr


POWER_CUT = """
import os, sys
from ultralytics import YOLO

model = YOLO("yolov8n-p2.yaml")
model.add_callback("on_model_save", lambda trainer: os._exit(0) if trainer.epoch == 0 else None)
model.train(data=sys.argv[1], epochs=2, imgsz=64, batch=4, workers=0, plots=False, val=False, seed=0,
            project=sys.argv[2], name="train", exist_ok=True)
"""


@pytest.mark.slow
def test_an_interrupted_run_resumes_from_its_last_epoch_and_says_so(tmp_path, env):
    from benchmarks.accuracy import prepare_synth, sync_checkpoint_records

    out = tmp_path / "o"
    data = prepare_synth(out / "synth" / "data", 64, 8, 4)["all"]
    run_dir = out / "synth" / "baseline" / "seed0"
    script = tmp_path / "power_cut.py"
    script.write_text(POWER_CUT)
    subprocess.run([sys.executable, str(script), str(data), str(run_dir)], cwd=tmp_path, env=env, check=True)
    assert len((run_dir / "train" / "results.csv").read_text().splitlines()) == 2  # header + the first epoch
    # The run goes on in another checkout: the checkpoint's own data and save_dir are gone.
    out = tmp_path / "moved"
    (out / "synth").mkdir(parents=True)
    shutil.move(run_dir.parent, out / "synth" / "baseline")
    shutil.rmtree(tmp_path / "o")
    run_dir = out / "synth" / "baseline" / "seed0"
    # ... and its results.csv there was committed before the first epoch ended: the checkpoint's own rows come back
    (run_dir / "train" / "results.csv").write_text("epoch,time\n")
    with pytest.raises(SystemExit, match="was trained on synth-64-8-4/data.yaml, not synth-64-9-9/data.yaml"):
        sync_checkpoint_records(run_dir / "train" / "weights" / "last.pt", tmp_path / "synth-64-9-9" / "data.yaml")
    command = [sys.executable, "-m", "benchmarks.accuracy", "--data", "synth", "--variants", "baseline", "--seeds", "0"]
    command += ["--epochs", "2", "--imgsz", "64", "--batch", "4", "--synth-images", "8", "4", "--out", str(out)]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "resuming the interrupted run" in proc.stdout and "synth baseline seed 0 (1/1)" in proc.stdout
    assert "results.csv: 0 epochs written, the checkpoint holds 1: rewritten" in proc.stdout
    assert f"training 1/2 epochs done; follow it: tail -f {run_dir / 'train.log'}" in proc.stdout
    rows = (run_dir / "train" / "results.csv").read_text().splitlines()
    assert [int(float(r.split(",")[0])) for r in rows[1:]] == [1, 2]  # the first epoch was not trained again
    result = json.loads((run_dir / "result.json").read_text())
    assert result["resumed"] is True and result["train_seconds"] > 0
    assert "Resuming training" in (run_dir / "train.log").read_text()
    assert not (tmp_path / "o").exists()  # nothing written where the checkpoint was made
    # trained to the end but never evaluated (the evaluation crashed): evaluated, not trained again
    (run_dir / "result.json").unlink()
    log_before = (run_dir / "train.log").read_text()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "training finished earlier" in proc.stdout and "resuming" not in proc.stdout
    assert (run_dir / "train" / "results.csv").read_text().splitlines() == rows
    assert (run_dir / "train.log").read_text() == log_before
    again = json.loads((run_dir / "result.json").read_text())
    assert again["resumed"] is True and again["metrics"] == result["metrics"]
    # finished and evaluated: kept as it is, and said so
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and "finished earlier: kept" in proc.stdout and "training" not in proc.stdout
    assert json.loads((run_dir / "result.json").read_text()) == again


def test_tabulating_without_training_takes_every_seed_found_unless_told(tmp_path):
    from benchmarks.accuracy import main

    for variant, seed, ap in (("baseline", 0, 0.2), ("baseline", 4, 0.4), ("residual", 3, 0.3)):
        folder = tmp_path / "synth" / variant / f"seed{seed}"
        folder.mkdir(parents=True)
        metrics = {m: ap for m in ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")}
        (folder / "result.json").write_text(json.dumps({"variant": variant, "seed": seed, "metrics": {"all": metrics}}))
    (tmp_path / "synth" / "baseline" / "seed9").mkdir()  # an unfinished run: no result.json, not counted
    assert main(["--data", "synth", "--no-train", "--out", str(tmp_path)]) == 0
    table = json.loads((tmp_path / "summary.json").read_text())["synth"]["all"]
    assert table["baseline"]["seeds"] == [0, 4] and table["residual"]["seeds"] == [3]
    assert table["baseline"]["AP"]["mean"] == pytest.approx(0.3)
    assert main(["--data", "synth", "--no-train", "--seeds", "0", "1", "2", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["synth"]["all"]["baseline"]["seeds"] == [0]  # residual has no seed 0-2: kept from before
    assert summary["synth"]["all"]["residual"]["seeds"] == [3] and len(summary["earlier_commands"]) == 1


def test_stopping_the_benchmark_stops_its_training_child(tmp_path):
    # `kill <benchmark pid>` must not leave the training process behind, writing into the run's folder.
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    script = (
        "import sys\nfrom benchmarks.accuracy import run_child\n"
        f"with open({str(tmp_path / 'log')!r}, 'w') as log:\n"
        f"    sys.exit(run_child([sys.executable, '-c', {child!r}], log))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    for _ in range(300):
        if pid_file.is_file() and pid_file.read_text():
            break
        time.sleep(0.1)
    child_pid = int(pid_file.read_text())
    os.kill(child_pid, 0)  # running
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 128 + signal.SIGTERM
    with pytest.raises(ProcessLookupError):  # stopped and reaped by the benchmark, not orphaned
        os.kill(child_pid, 0)


def test_issue16_variants_write_yamls_with_their_assign_and_srtod_sections(tmp_path):
    import yaml

    from benchmarks.accuracy import variant_yaml

    assert variant_yaml("baseline", tmp_path) == "yolov8n-p2.yaml"
    nwd = yaml.safe_load(Path(variant_yaml("nwd", tmp_path)).read_text())
    assert nwd["assign"]["nwd_assign"] == 0.5 and "srtod" not in nwd
    path = variant_yaml("fuse_nwd", tmp_path)
    assert path.endswith("srtod-yolov8n-p2-fuse_nwd.yaml")
    fuse_nwd = yaml.safe_load(Path(path).read_text())
    assert fuse_nwd["srtod"]["enhance"] == "fuse" and fuse_nwd["assign"]["nwd_loss"] == 0.5


def _fake_halmstad(root):
    """Two train frames (thermal 320x256, visible 640x512 with one 8x6 px drone) and one val frame of each."""
    import cv2
    import numpy as np

    for split in ("train", "val"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir()
    cv2.imwrite(str(root / "train/images/ir.png"), np.full((256, 320, 3), 90, np.uint8))
    (root / "train/labels/ir.txt").write_text("0 0.5 0.5 0.05 0.05\n")
    cv2.imwrite(str(root / "train/images/v.png"), np.full((512, 640, 3), 160, np.uint8))
    # drone at x 400-408, y 300-306 (pixels): in the tile starting at (320, 256), at 80-88, 44-50 there
    (root / "train/labels/v.txt").write_text(f"0 {404 / 640:.6f} {303 / 512:.6f} {8 / 640:.6f} {6 / 512:.6f}\n")
    for name, size in (("vir", (256, 320)), ("vv", (512, 640))):
        cv2.imwrite(str(root / f"val/images/{name}.png"), np.zeros((*size, 3), np.uint8))
        (root / f"val/labels/{name}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (root / "val/manifest.csv").write_text("image,sensor\nvir,IR\nvv,V\n")
    (root / "data.yaml").write_text("names: {0: drone, 1: bird, 2: airplane, 3: helicopter}\n")


def test_native_halmstad_keeps_thermal_frames_whole_and_tiles_visible_frames_at_native_scale(tmp_path, monkeypatch):
    import yaml

    import benchmarks.accuracy as accuracy

    _fake_halmstad(tmp_path / "h")
    monkeypatch.setattr(accuracy, "HALMSTAD", tmp_path / "h")
    yamls = accuracy.prepare_halmstad_native(tmp_path / "prepared")
    tiles = tmp_path / "prepared" / "train_native"
    assert (tiles / "images" / "ir.png").is_symlink()  # thermal: the frame itself
    label = (tiles / "labels" / "v_x320_y256.txt").read_text().split()
    cx, cy, w, h = (float(x) for x in label[1:])
    assert (cx * 320, cy * 256, w * 320, h * 256) == pytest.approx((84, 47, 8, 6), abs=0.01)  # native pixels
    counts = json.loads((tiles / "done.json").read_text())
    assert counts["frames"] == 2 and counts["whole"] == 1 and counts["boxes"] == 2
    assert 1 <= counts["tiles"] <= 4  # the drone's tile, and a seeded third of the 3 empty ones
    for subset in ("all", "thermal", "visible"):
        d = yaml.safe_load(yamls[subset].read_text())
        assert d["train"] == str(tiles / "images")
    assert "vv.png" in (tmp_path / "prepared" / "val_visible.txt").read_text()


def test_report_draws_the_curves_of_runs_still_training_without_counting_them(tmp_path):
    from benchmarks.accuracy import REPO, main

    metrics = {m: 0.3 for m in ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")}
    done = tmp_path / "synth" / "baseline" / "seed0"
    done.mkdir(parents=True)
    curve = {"epochs": [1, 2], "values": [0.1, 0.3], "last_fifth_gain": 0.2, "last_fifth_epochs": 1}
    (done / "result.json").write_text(
        json.dumps({"variant": "baseline", "seed": 0, "metrics": {"all": metrics}, "curve": curve})
    )
    running = tmp_path / "synth" / "fuse" / "seed1" / "train"  # seed 1 exists only as a run in progress
    running.mkdir(parents=True)
    (running / "results.csv").write_text(
        "                  epoch,  metrics/AP(B)\n1,0.05\n2,0.15\n3,0.25\n"  # ultralytics pads its column names
    )
    (running / "args.yaml").write_text(f"data: {REPO}/benchmarks/results/x/data.yaml\n")  # as ultralytics writes it
    untracked = tmp_path / "synth" / "nwd" / "seed0" / "train"  # trained without --curve: nothing to draw
    untracked.mkdir(parents=True)
    (untracked / "results.csv").write_text("epoch,train/box_loss\n1,2.0\n")
    doc = tmp_path / "results.md"
    doc.write_text("<!-- accuracy:synth:start -->\n<!-- accuracy:synth:end -->\n")
    argv = ["--data", "synth", "--variants", "baseline", "fuse", "nwd", "--no-train", "--report", "--out"]
    assert main([*argv, str(tmp_path), "--doc", str(doc), "--tag", ""]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert list(summary["synth"]["all"]) == ["baseline"]  # a running run is never tabulated
    assert (running / "args.yaml").read_text() == "data: benchmarks/results/x/data.yaml\n"  # committed: portable
    curves = summary["curves"]["synth"]
    assert set(curves) == {"baseline seed 0", "fuse seed 1 (unfinished, epoch 3)"}
    assert curves["fuse seed 1 (unfinished, epoch 3)"]["values"] == [0.05, 0.15, 0.25]
    text = doc.read_text()
    assert "fuse seed 1 (unfinished, epoch 3)" in text and (tmp_path / "img" / "convergence_synth.png").is_file()
    with open(running / "results.csv", "a") as f:  # one more epoch: the report draws the new curve, not both
        f.write("4,0.3\n")
    record = json.loads((tmp_path / "summary.json").read_text())  # a snapshot under the label older reports used
    record["curves"]["synth"]["fuse seed 1 (running, epoch 2)"] = curves["fuse seed 1 (unfinished, epoch 3)"]
    (tmp_path / "summary.json").write_text(json.dumps(record))
    assert main([*argv, str(tmp_path), "--doc", str(doc), "--tag", ""]) == 0
    curves = json.loads((tmp_path / "summary.json").read_text())["curves"]["synth"]
    assert set(curves) == {"baseline seed 0", "fuse seed 1 (unfinished, epoch 4)"}
    assert "fuse seed 1 (unfinished, epoch 4)" in doc.read_text() and "epoch 3)" not in doc.read_text()


def test_a_run_of_one_variant_keeps_the_summary_of_the_others(tmp_path):
    from benchmarks.accuracy import main

    metrics = {m: 0.2 for m in ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")}
    for variant, seed in (("baseline", 0), ("residual", 0)):
        folder = tmp_path / "synth" / variant / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps({"variant": variant, "seed": seed, "metrics": {"all": metrics}}))
    assert main(["--data", "synth", "--variants", "baseline", "residual", "--no-train", "--out", str(tmp_path)]) == 0
    first = json.loads((tmp_path / "summary.json").read_text())
    doc = tmp_path / "results.md"
    argv = ["--data", "synth", "--variants", "baseline", "--no-train", "--report", "--doc", str(doc), "--tag", ""]
    assert main([*argv, "--out", str(tmp_path)]) == 0  # the report is written from the merged summary
    second = json.loads((tmp_path / "summary.json").read_text())
    assert "residual" in doc.read_text()
    assert set(second["synth"]["all"]) == {"baseline", "residual"}  # residual kept from the first command
    assert second["synth"]["all"]["residual"] == first["synth"]["all"]["residual"]
    assert second["paired"]["synth"]["all"].keys() == first["paired"]["synth"]["all"].keys()
    assert second["earlier_commands"] == [first["command"]] and second["command"] != first["command"]
    assert main(["--data", "synth", "--variants", "baseline", "residual", "--no-train", "--out", str(tmp_path)]) == 0
    third = json.loads((tmp_path / "summary.json").read_text())
    assert "earlier_commands" not in third  # everything retabulated: nothing kept from before


def test_report_says_a_curve_of_one_epoch_is_too_short_to_judge(tmp_path):
    from benchmarks.accuracy import main

    running = tmp_path / "synth" / "nwd" / "seed0" / "train"
    running.mkdir(parents=True)
    (running / "results.csv").write_text("epoch,metrics/AP(B)\n1,0.05\n")
    doc = tmp_path / "results.md"
    doc.write_text("<!-- accuracy:synth:start -->\n<!-- accuracy:synth:end -->\n")
    argv = ["--data", "synth", "--variants", "baseline", "nwd", "--no-train", "--report", "--out", str(tmp_path)]
    assert main([*argv, "--doc", str(doc), "--tag", ""]) == 0
    text = doc.read_text()
    assert "nwd seed 0 (unfinished, epoch 1): too few epochs yet" in text and "nan" not in text


def test_last_fifth_fits_a_trend_with_an_interval_that_noise_widens():
    import numpy as np

    from benchmarks.accuracy_report import describe_convergence, last_fifth

    rising = [0.01 * e for e in range(20)]  # +1 AP x100 per epoch: the last fifth (4 epochs) gains 4
    r = last_fifth(rising)
    assert r["last_fifth_epochs"] == 4
    assert np.isclose(r["last_fifth_gain"], 0.04) and np.isclose(r["last_fifth_trend"], 0.04)
    assert np.allclose(r["last_fifth_trend_ci"], [0.04, 0.04])  # an exact line: no uncertainty
    assert "still rising" in describe_convergence("a", {"values": rising})
    flat = [0.2] * 15 + [0.2, 0.21, 0.2, 0.19, 0.2, 0.21, 0.19, 0.2, 0.2, 0.2]  # noise about a level
    f = last_fifth(flat)
    assert f["last_fifth_epochs"] == 5 and abs(f["last_fifth_trend"]) < 0.005
    low, high = f["last_fifth_trend_ci"]
    assert low < f["last_fifth_trend"] < high and high - low > 0.01
    assert "not yet decided" in describe_convergence("b", {"values": flat})  # ±1 AP noise: the interval spans 0.5
    settled = [0.2] * 40
    assert "flat (< 0.5)" in describe_convergence("c", {"values": settled})
    short = last_fifth([0.1, 0.2, 0.3])  # 1 epoch a fifth: 2 points, too few to fit
    assert np.isclose(short["last_fifth_gain"], 0.1) and np.isnan(short["last_fifth_trend"])


def test_versus_gives_each_arms_change_and_whether_it_changes_sr_tod_more(tmp_path):
    import numpy as np

    from benchmarks.accuracy import main

    rng = np.random.default_rng(0)
    keys = ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")
    change = {"baseline": 0.02, "fuse": 0.05}  # what the recipe adds, on every seed and every image resample
    for seed in range(3):
        for variant in ("baseline", "fuse"):
            level = 0.3 + 0.01 * seed + (0.01 if variant == "fuse" else 0.0)
            replicates = level + rng.normal(0, 0.005, 50)
            for folder, add in (("scratch", 0.0), ("swarm", change[variant])):
                run = tmp_path / folder / "halmstad" / variant / f"seed{seed}"
                run.mkdir(parents=True)
                metrics = {k: level + add for k in keys}
                boot = {k: list(replicates + add) for k in keys}
                record = {"variant": variant, "seed": seed, "metrics": {"thermal": metrics}}
                (run / "result.json").write_text(json.dumps({**record, "bootstrap": {"thermal": boot}}))
    doc = tmp_path / "results.md"
    argv = ["--data", "halmstad", "--variants", "baseline", "fuse", "--no-train", "--report", "--doc", str(doc)]
    assert main([*argv, "--out", str(tmp_path / "swarm"), "--versus", str(tmp_path / "scratch"), "--tag", ""]) == 0
    versus = json.loads((tmp_path / "swarm" / "summary.json").read_text())["versus"]["halmstad"]["thermal"]
    for variant, added in change.items():
        row = versus["change"][variant]["AP"]
        assert row["n"] == 3 and math.isclose(row["mean"], added, abs_tol=1e-9) and row["higher"] == 3
        assert row["bootstrap_interval"][0] == pytest.approx(added) == row["bootstrap_interval"][1]
    interaction = versus["interaction"]["fuse"]["AP"]  # fuse gains 0.05, the stock model 0.02: 0.03 more
    assert math.isclose(interaction["mean"], 0.03, abs_tol=1e-9) and set(versus["interaction"]) == {"fuse"}
    text = doc.read_text()
    assert "Does it change SR-TOD more than the stock model?" in text and "+3.0" in text
    assert "](img/paired_halmstad.png)" in text and (tmp_path / "img" / "paired_halmstad.png").stat().st_size > 5000
    with pytest.raises(SystemExit, match="--versus"):
        main([*argv, "--out", str(tmp_path / "swarm"), "--versus", str(tmp_path / "nowhere")])


def test_the_printed_table_says_n_a_for_a_size_without_boxes(capsys):
    from benchmarks.accuracy import METRICS, print_table

    values = {m: 0.25 for m in METRICS} | {"AP_vt": float("nan")}
    table = summarise([{"variant": "baseline", "seed": 0, "metrics": {"thermal": values}}], METRICS)
    print_table("halmstad", table)
    out = capsys.readouterr().out
    assert "nan" not in out and "n/a" in out and "25.0 ±  0.0" in out


def test_pretraining_starts_each_seed_from_its_own_run_or_from_the_one_chosen(tmp_path):
    from benchmarks.accuracy import main, pretrained_weights

    for seed in (0, 3):
        weights = tmp_path / "synth" / "fuse" / f"seed{seed}" / "train" / "weights" / "last.pt"
        weights.parent.mkdir(parents=True)
        weights.write_bytes(b"")
    assert pretrained_weights(tmp_path / "synth", "fuse", 3) == tmp_path / "synth/fuse/seed3/train/weights/last.pt"
    assert pretrained_weights(tmp_path / "synth", "fuse", 3, 0) == tmp_path / "synth/fuse/seed0/train/weights/last.pt"
    with pytest.raises(SystemExit, match=r"seed1/train/weights/last.pt does not exist; train fuse seed 1 there"):
        pretrained_weights(tmp_path / "synth", "fuse", 1)
    with pytest.raises(SystemExit, match=r"baseline/seed0/.* does not exist; train baseline seed 0"):
        pretrained_weights(tmp_path / "synth", "baseline", 3, 0)
    with pytest.raises(SystemExit, match="give --pretrain-from too"):
        main(["--data", "synth", "--pretrain-seed", "0", "--out", str(tmp_path / "o")])


def test_a_clone_without_the_pretraining_weights_gets_them_back_from_the_release_of_that_run(tmp_path):
    from benchmarks.accuracy import pretrained_weights, restore_released

    metrics = {"all": {"AP": 0.43, "AP_vt": float("nan")}}
    run = tmp_path / "synth" / "fuse" / "seed0"
    run.mkdir(parents=True)
    (run / "result.json").write_text(json.dumps({"metrics": metrics}))
    released = tmp_path / "weights"
    released.mkdir()
    (released / "fuse-swarm.pt").write_bytes(b"the checkpoint")
    (released / "other.pt").write_bytes(b"another run")
    records = {
        "other.pt": {"train_command": f"yolo train project={tmp_path}/synth/fuse/seed1 name=train", "metrics": metrics},
        "fuse-swarm.pt": {"train_command": f"yolo train model=m.yaml project={run} name=train", "metrics": metrics},
    }
    (released / "metrics.json").write_text(json.dumps(records))
    target = run / "train" / "weights" / "last.pt"

    assert restore_released(run, target, released) and target.read_bytes() == b"the checkpoint"
    target.unlink()
    # A checkpoint of the same folder with other metrics (retrained since) is not that run: nothing is copied.
    (run / "result.json").write_text(json.dumps({"metrics": {"all": {"AP": 0.44}}}))
    assert not restore_released(run, target, released) and not target.exists()
    # Nor is there anything to restore for a finished run that was never released (seed 3), or an unfinished one.
    finished = tmp_path / "synth" / "fuse" / "seed3"
    finished.mkdir()
    (finished / "result.json").write_text(json.dumps({"metrics": metrics}))
    assert not restore_released(finished, target, released) and not target.exists()
    assert not restore_released(tmp_path / "synth" / "fuse" / "seed4", target, released)
    with pytest.raises(SystemExit, match="does not exist; train fuse seed 1 there first"):
        pretrained_weights(tmp_path / "synth", "fuse", 1)


def test_the_released_swarm_checkpoints_restore_the_real_frame_runs_starting_points(tmp_path):
    """`make bench-accuracy-real` in a fresh clone starts from the released `*-swarm.pt` (stage 1, seed 0)."""
    from benchmarks.accuracy import REPO, restore_released

    for variant, name in (("baseline", "yolov8n-p2-swarm.pt"), ("fuse", "srtod-fuse-yolov8n-p2-swarm.pt")):
        target = tmp_path / variant / "last.pt"
        assert restore_released(REPO / "benchmarks/results/accuracy-v2/synth" / variant / "seed0", target)
        assert target.read_bytes() == (REPO / "weights" / name).read_bytes()


def test_the_paired_picture_and_table_report_the_same_interval_for_each_kind_of_record(tmp_path):
    from benchmarks.accuracy_report import interval_of, paired_table, plot_paired

    both = {"mean": 0.01, "n": 3, "higher": 3, "differences": [0.0, 0.01, 0.02]}
    records = {
        "fuse": {m: {**both, "bootstrap_interval": [0.002, 0.018], "t_interval": [-0.1, 0.1]} for m in METRICS},
        "full": {m: {**both, "bootstrap_interval": None, "t_interval": [-0.02, 0.04]} for m in METRICS},
        "nwd": {m: {"mean": -0.01, "n": 1, "higher": 0, "image_interval": [-0.03, 0.0]} for m in METRICS},
    }
    assert interval_of(records["fuse"]["AP"]) == ([0.002, 0.018], "")  # the two-level bootstrap comes first
    assert interval_of(records["full"]["AP"]) == ([-0.02, 0.04], "ᵗ")
    assert interval_of(records["nwd"]["AP"]) == ([-0.03, 0.0], "ⁱ")
    assert interval_of({"mean": 0.0}) == (None, "")
    table = paired_table(records, METRICS)
    assert "+1.0 [+0.2, +1.8] |" in table and "+1.0 [-2.0, +4.0]ᵗ" in table and "-1.0 [-3.0, +0.0]ⁱ" in table
    picture = plot_paired({"all": records, "thermal": {}}, tmp_path / "p.png", "t", METRICS)
    assert picture.stat().st_size > 5000  # a subset without arms gets no panel, and drawing does not fail


@pytest.mark.parametrize(
    ("interval", "n", "expected"),
    [
        ([0.001, 0.02], 5, "helps"),
        ([-0.03, -0.002], 5, "hurts"),
        ([-0.008, 0.009], 5, "level"),
        ([-0.012, 0.004], 5, "undecided"),  # contains 0 but reaches past -1 AP
        ([0.001, 0.02], 1, "n/a"),  # one seed: no seed spread in the interval
        (None, 5, "n/a"),
        ([-0.008, 0.009], 2, "level; provisional: 2 of 5 seeds"),  # fewer seeds than the Protocol's
        ([0.001, 0.02], 4, "helps; provisional: 4 of 5 seeds"),
    ],
)
def test_reading_applies_the_stage_2_decision_rule(interval, n, expected):
    from benchmarks.accuracy_report import paired_table, reading

    record = {"mean": 0.0, "n": n, "higher": 0, "bootstrap_interval": interval}
    assert reading(record) == expected
    seeds_only = {"mean": 0.0, "n": n, "higher": 0, "bootstrap_interval": None, "t_interval": interval}
    assert reading(seeds_only) == expected  # runs without image replicates: the seed-only t interval decides
    assert paired_table({"fuse": {"AP": record}}, ("AP",)).endswith(f"| {expected} |")


def test_reading_shows_the_seed_only_t_interval_where_it_reads_otherwise():
    from benchmarks.accuracy_report import reading

    both = {"n": 5, "bootstrap_interval": [0.002, 0.012], "t_interval": [0.001, 0.014]}
    assert reading(both) == "helps"  # they agree: the rule's word alone
    wider = {"n": 5, "bootstrap_interval": [0.002, 0.012], "t_interval": [-0.002, 0.016]}
    assert reading(wider) == "helps; seed-only t: undecided"
    assert reading({**wider, "n": 3}) == "helps; seed-only t: undecided; provisional: 3 of 5 seeds"


def test_reading_names_the_tiny_object_metrics_whose_interval_lies_above_0():
    from benchmarks.accuracy_report import paired_table

    def record(low, high):
        return {"mean": (low + high) / 2, "n": 5, "higher": 5, "bootstrap_interval": [low, high]}

    rows = {"fuse": {"AP": record(0.002, 0.01), "AP25": record(-0.01, 0.01), "AP_vt": record(0.001, 0.02)}}
    rows["fuse"]["AP_t"] = record(-0.004, 0.01)
    assert paired_table(rows).endswith("| helps; ΔAP_vt above 0 |")
    rows["fuse"]["AP_vt"] = record(-0.001, 0.02)  # neither tiny interval above 0: AP alone
    assert paired_table(rows).endswith("| helps |")


def test_prepare_only_makes_the_data_folders_the_analysis_commands_read_and_trains_nothing(tmp_path, capsys):
    from benchmarks.accuracy import main

    out = tmp_path / "o"
    argv = ["--data", "synth", "--imgsz", "64", "--synth-images", "4", "2", "--out", str(out), "--prepare-only"]
    assert main(argv) == 0
    assert (out / "synth" / "data" / "synth-64-4-2" / "data.yaml").is_file()
    assert "synth all: " in capsys.readouterr().out
    assert sorted(p.name for p in (out / "synth").iterdir()) == ["data"] and not (out / "summary.json").exists()
    with pytest.raises(SystemExit, match="leave out --no-train and --report"):
        main([*argv, "--no-train"])


def test_scoreboard_command_names_folders_from_the_checkout_root_not_this_machines_paths(tmp_path):
    from benchmarks.accuracy_report import main

    doc = tmp_path / "results.md"
    assert main(["--scoreboard", str(REPO / "benchmarks" / "results" / "accuracy-v2-60ep"), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "`python -m benchmarks.accuracy_report --scoreboard benchmarks/results/accuracy-v2-60ep`" in text
    assert str(REPO) not in text and "| accuracy-v2-60ep | synth / all | `fuse`" in text
