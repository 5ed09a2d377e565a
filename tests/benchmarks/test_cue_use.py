import json

import pytest
import torch

from benchmarks.accuracy import variant_yaml
from benchmarks.cue_use import cue_statistics, main
from srtod_yolo.data.synth import build_dataset
from srtod_yolo.nn import DifferenceCue
from srtod_yolo.yolo import SRTODDetectionModel


def _checkpoint(folder, scale: float):
    """A fuse model saved as ultralytics saves one; its cue convolution scaled from zero (0: as initialised)."""
    torch.manual_seed(0)
    model = SRTODDetectionModel(variant_yaml("fuse", folder), nc=1, verbose=False)
    cue = next(m for m in model.modules() if isinstance(m, DifferenceCue))
    with torch.no_grad():
        cue.fuse.weight.normal_(0, scale) if scale else None
        cue.fuse.bias.fill_(0.5)  # a constant offset is no cue: it must not count
    path = folder / f"fuse-{scale}.pt"
    torch.save({"model": model, "train_args": {"imgsz": 64}, "epoch": -1}, path)
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("swarm")
    build_dataset(root, train=1, val=4, seed=3, width=96, height=72, workers=0, video_frames=0)
    return sorted((root / "images" / "val").glob("*.jpg"))


def test_a_cue_left_at_zero_adds_nothing_and_a_trained_one_is_measured(tmp_path, images):
    idle = cue_statistics(_checkpoint(tmp_path, 0.0), images, 96)
    assert idle["cue_rms"] == 0.0 and idle["cue_peak"] == 0.0 and idle["p2_rms"] > 0
    assert idle["object_cells"] > 0  # the labels' centres were found on P2's grid
    used = cue_statistics(_checkpoint(tmp_path, 0.2), images, 96)
    assert used["cue_rms"] > 0 and used["cue_peak"] >= used["cue_rms"]
    assert used["on_off_ratio"] == pytest.approx(used["cue_on_objects"] / used["cue_elsewhere"])


def test_command_writes_json_and_refuses_a_model_without_the_cue(tmp_path, images):
    out = tmp_path / "cue.json"
    assert (
        main([str(_checkpoint(tmp_path, 0.2)), "--images", str(images[0].parent), "--imgsz", "96", "--out", str(out)])
        == 0
    )
    record = json.loads(out.read_text())
    assert record["rows"][0]["images"] == 4 and "benchmarks.cue_use" in record["command"]
    stock = tmp_path / "stock.pt"
    from ultralytics.nn.tasks import DetectionModel

    torch.save({"model": DetectionModel("yolov8n-p2.yaml", nc=1, verbose=False), "train_args": {}}, stock)
    with pytest.raises(SystemExit, match="no DifferenceCue"):
        main([str(stock), "--images", str(images[0].parent), "--imgsz", "96"])


def test_images_can_be_a_listing_and_a_bad_one_is_named(tmp_path, images):
    listing = tmp_path / "val_visible.txt"
    listing.write_text("\n".join(str(p) for p in images[:2]) + "\n")
    out = tmp_path / "cue.json"
    main([str(_checkpoint(tmp_path, 0.2)), "--images", str(listing), "--imgsz", "96", "--out", str(out)])
    assert json.loads(out.read_text())["rows"][0]["images"] == 2
    listing.write_text(str(tmp_path / "gone.jpg") + "\n")
    with pytest.raises(SystemExit, match="1 listed images do not exist"):
        main([str(_checkpoint(tmp_path, 0.2)), "--images", str(listing)])
    with pytest.raises(SystemExit, match="give a folder of images or a .txt listing"):
        main([str(_checkpoint(tmp_path, 0.2)), "--images", str(tmp_path / "nothing")])
