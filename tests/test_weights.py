"""The released weights load by bare name with the stock `yolo` command and reproduce their recorded val metrics."""

import json
import math

import pytest
from conftest import REPO, needs_halmstad, run

from srtod_yolo.metrics import evaluate_coco
from srtod_yolo.weights import released_weights

RECORDS = json.loads((REPO / "weights" / "metrics.json").read_text())


def test_every_released_checkpoint_is_recorded_and_small():
    released = {"yolov8n-p2-halmstad.pt", "srtod-fuse-yolov8n-p2-halmstad.pt"}  # the second study's recipe
    released |= {"srtod-yolov8n-p2-halmstad.pt", "srtod-rt-yolov8n-p2-halmstad.pt"}  # the first study's
    released |= {"yolov8n-p2-swarm.pt", "srtod-fuse-yolov8n-p2-swarm.pt"}  # `pretrained=` starting points
    assert set(RECORDS) == set(released_weights()) == released
    for name, path in released_weights().items():
        assert path.stat().st_size < 10e6, name


def _yolo_val_files(name, data, imgsz, v, folder, sandbox, env):
    """(COCO ground truth, detections) of `yolo val` on the released checkpoint, run as a user runs it."""
    run(
        ["yolo", "val", f"model={name}", f"data={data}", f"imgsz={imgsz}", f"batch={v['batch']}"]
        + [f"conf={v['conf']}", "save_json=True", "plots=False", "workers=0", f"project={folder.parent}"]
        + [f"name={folder.name}"],
        cwd=sandbox,  # a directory without the file: the bare name resolves to the installed weights
        env=env,
    )
    from benchmarks.accuracy import AITOD_JSON

    return tuple(json.loads((folder / f).read_text()) for f in AITOD_JSON)


def _srtod_val_native(name, data, v, folder, sandbox, env):
    """{'WxH' or 'all': (metrics, imgsz)} of `srtod val` (each image size at its own) on the released checkpoint."""
    run(
        ["srtod", "val", f"model={name}", f"data={data}", f"batch={v['batch']}", f"conf={v['conf']}", "plots=False"]
        + ["workers=0", f"project={folder.parent}", f"name={folder.name}"],
        cwd=sandbox,
        env=env,
    )
    record = json.loads((folder / "metrics.json").read_text())
    return {label: (g["metrics"], g["imgsz"]) for label, g in {**record["groups"], "all": record["all"]}.items()}


@pytest.mark.slow
@needs_halmstad
@pytest.mark.parametrize("name", sorted(RECORDS))
def test_released_weights_reproduce_their_recorded_val_metrics(name, sandbox, env, tmp_path):
    """Each record is checked the way its benchmark measured it: one size for every frame (`yolo val`), or
    (`--native` runs, `imgsz_per_subset`) each sensor at its own size and 'all' from the two sets of predictions
    together, which is what the `srtod val` command a user reproduces them with does."""
    from benchmarks.accuracy import prepare_halmstad, prepare_synth

    record = RECORDS[name]
    if record["dataset"] == "synth":  # the same val images rendered again (each image depends on its index alone)
        s = record["val"]["synth"]
        data = prepare_synth(tmp_path / "data", s["imgsz"], train=0, val=s["val"])
    else:
        data = prepare_halmstad(tmp_path / "data")  # links to the shared frames; caches stay in tmp
    v = record["val"]
    sizes = v.get("imgsz_per_subset")
    if sizes:  # thermal 320x256 frames at 320, visible 640x512 at 640: the groups srtod val makes by image size
        native = _srtod_val_native(name, data["all"], v, tmp_path / "val_native", sandbox, env)
        by_imgsz = {z: m for label, (m, z) in native.items() if label != "all"}
        assert sorted(by_imgsz) == sorted(sizes.values())  # one group per sensor, each at the recorded size
        measured = {"all": native["all"][0], **{s: by_imgsz[z] for s, z in sizes.items()}}
    else:
        gt_dt = _yolo_val_files(name, data["all"], v["imgsz"], v, tmp_path / "val_all", sandbox, env)
        measured = {"all": evaluate_coco(*gt_dt)}
    for subset, got in measured.items():
        recorded = record["metrics"][subset]
        for key in ("AP", "AP50", "AP25", "AP_t", "AP_s", "AP_m"):
            if math.isnan(recorded[key]):  # no box of that size in the subset: n/a then and now
                assert math.isnan(got[key]), (subset, key)
            else:
                assert got[key] == pytest.approx(recorded[key], abs=0.001), (subset, key)  # within 0.1 AP


def test_the_released_real_time_checkpoint_is_the_real_time_model():
    from ultralytics import YOLO

    model = YOLO(str(released_weights()["srtod-rt-yolov8n-p2-halmstad.pt"])).model
    paper = YOLO(str(released_weights()["srtod-yolov8n-p2-halmstad.pt"])).model
    assert model.yaml["srtod"]["head"] == "half" and paper.yaml["srtod"]["head"] == "convt"
    assert sum(p.numel() for p in model.parameters()) < sum(p.numel() for p in paper.parameters())


def test_a_misspelled_released_name_fails_at_once_naming_the_released_checkpoints(tmp_path, monkeypatch):
    from ultralytics import YOLO

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="Did you mean srtod-yolov8n-p2-halmstad.pt.*Released"):
        YOLO("srtod-yolov8n-p2-halmstd.pt")
    with pytest.raises(FileNotFoundError, match="not a released srtod-yolo checkpoint"):
        YOLO("srtod-yolov9000.pt")  # any srtod-* name: ultralytics' servers never have one


def test_ultralytics_asset_names_are_left_to_ultralytics():
    from srtod_yolo.weights import misspelled_weights

    assert misspelled_weights("yolov8n.pt") is None and misspelled_weights("yolo26s.pt") is None
    assert misspelled_weights("yolov8n-p2-halmstad.pt") is None  # released


@pytest.mark.slow
def test_a_pretrained_download_that_fails_offline_names_the_offline_starting_points(sandbox, env, tiny_synth):
    # The README's `pretrained=yolov8n.pt` on a machine without internet: a short message, not a 100-line traceback.
    data = str(tiny_synth / "data.yaml")
    args = ["yolo", "train", "model=srtod-yolov8n-p2.yaml", f"data={data}", "pretrained=yolov8s.pt", "epochs=1"]
    proc = run([*args, "imgsz=64", f"project={sandbox / 'offline'}"], cwd=sandbox, env=env, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "OfflineWeightsError: 'yolov8s.pt' is not on this machine and could not be downloaded" in proc.stderr
    assert "yolov8n-p2-swarm.pt" in proc.stderr.splitlines()[-2]  # the offline start, in the message itself


def test_an_offline_download_failure_stays_a_connection_error_for_ultralytics_own_offline_checks(monkeypatch):
    # ultralytics' AMP check loads yolo26n.pt and skips itself on ConnectionError when offline (GPU training).
    from ultralytics.utils.downloads import attempt_download_asset

    from srtod_yolo.errors import OfflineWeightsError

    monkeypatch.setenv("YOLO_OFFLINE", "1")
    with pytest.raises(OfflineWeightsError) as raised:
        attempt_download_asset("yolo26n.pt")
    assert isinstance(raised.value, ConnectionError) and isinstance(raised.value, FileNotFoundError)
    assert "yolov8n-p2-swarm.pt" in str(raised.value)


def test_a_missing_checkpoint_path_says_where_ultralytics_writes_runs_and_downloads_nothing(tmp_path, monkeypatch):
    # The README's `yolo val model=runs/detect/train/weights/best.pt` typed in another folder than the one
    # ultralytics writes runs into: stock asks GitHub for its release list, then fails on the file.
    from ultralytics import YOLO
    from ultralytics.utils import SETTINGS, downloads

    runs = tmp_path / "project" / "runs"
    (runs / "detect" / "train" / "weights").mkdir(parents=True)
    YOLO("yolov8n-p2.yaml").save(runs / "detect" / "train" / "weights" / "best.pt")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setitem(SETTINGS, "runs_dir", str(runs))
    monkeypatch.setattr(downloads, "get_github_assets", lambda *a, **k: pytest.fail("a download was tried"))
    with pytest.raises(FileNotFoundError, match="relative to .*elsewhere") as raised:
        YOLO("runs/detect/train/weights/best.pt")
    assert f"writes runs into {runs}" in str(raised.value)
    assert f"{runs / 'detect' / 'train' / 'weights' / 'best.pt'} exists" in str(raised.value)
    with pytest.raises(FileNotFoundError, match=r"Its newest weights: .*train.weights.best\.pt"):
        YOLO("runs/detect/train2/weights/best.pt")  # not there either: the newest weights there are named
    assert YOLO(str(runs / "detect" / "train" / "weights" / "best.pt")).task == "detect"  # the path it named works


def test_a_missing_path_to_an_ultralytics_asset_name_is_left_to_ultralytics():
    from srtod_yolo.weights import missing_path_message

    assert missing_path_message("https://example.com/best.pt", "runs") is None  # a URL: ultralytics downloads it
    assert missing_path_message("best.pt", "runs") is None  # a bare name: the asset and typo checks handle it
    assert "does not exist." in missing_path_message("/no/such/best.pt", "runs")


def test_a_missing_export_of_a_run_says_where_ultralytics_writes_runs(tmp_path, monkeypatch):
    from ultralytics import YOLO
    from ultralytics.utils import SETTINGS

    runs = tmp_path / "runs"
    (runs / "detect" / "train" / "weights" / "best_openvino_model").mkdir(parents=True)
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setitem(SETTINGS, "runs_dir", str(runs))
    with pytest.raises(FileNotFoundError, match="best_openvino_model exists"):
        YOLO("runs/detect/train/weights/best_openvino_model", task="detect")
