import json

import numpy as np
import pytest
import torch

from benchmarks.gate import LETTERBOXES, gate_statistics, letterbox
from benchmarks.gate_sources import SOURCES, cell_sources, count_frame, summarise


def test_gate_statistics_by_hand_nearest_misses_an_off_grid_object_maxpool_keeps_it():
    d = torch.full((1, 1, 16, 16), 0.01)
    d[0, 0, 5:7, 9:11] = 0.5  # a 2x2 object at rows 5-6, cols 9-10: not on a 4x4 block's top-left pixel
    boxes = np.array([[9, 5, 11, 7]], np.float64)
    s = gate_statistics(d, boxes, threshold=0.1, valid=(16, 16))
    assert s["contrast"] == pytest.approx(0.5 / 0.01)
    assert s["hit_nearest"] == [False] and s["hit_maxpool"] == [True]
    assert s["open_nearest"] == 0.0 and s["open_maxpool"] == pytest.approx(1 / 16)
    assert s["on_objects_nearest"] is None and s["on_objects_maxpool"] == 1.0


def test_gate_statistics_ignore_the_padding():
    d = torch.zeros(1, 1, 16, 16)
    d[0, 0, 12:, :] = 1.0  # padding rows below the frame light up: they must not count
    s = gate_statistics(d, np.zeros((0, 4)), threshold=0.5, valid=(12, 16))
    assert s["open_nearest"] == 0.0 and s["open_maxpool"] == 0.0 and s["contrast"] is None


def test_letterbox_modes_place_the_frame_as_ultralytics_does():
    frame = np.zeros((360, 640, 3), np.uint8)  # 16:9, long side 640 -> 320x180 at imgsz 320
    shapes = {mode: letterbox(frame, 320, mode)[0].shape[:2] for mode in LETTERBOXES}
    assert shapes == {"minimal": (192, 320), "predict": (192, 320), "val": (224, 352), "square": (320, 320)}
    padded, params = letterbox(frame, 320, "val")
    assert (params["top"], params["left"], params["new_unpad"]) == (22, 16, (320, 180))
    assert (padded[:22] == 114).all() and (padded[22:202, 16:336] == 0).all()


def test_cell_sources_rank_padding_then_border_rings_then_texture():
    texture = np.zeros((64, 96), np.float32)
    texture[32:, :] = 0.1  # textured ground in the lower half
    sources = cell_sources((8, 0, 48, 96), texture, texture_threshold=0.02)  # 8 px of padding above and below
    names = np.array(SOURCES)[sources]
    assert (names[:2] == "padding").all() and (names[-2:] == "padding").all()
    assert names[2, 12] == "border_4" and names[3, 12] == "border_8" and names[4, 12] == "border_16"
    assert names[7, 12] == "smooth" and names[8, 12] == "textured"
    assert names[7, 0] == "border_4" and names[7, 3] == "border_16"


def test_false_openings_are_counted_by_source_and_objects_apart():
    sources = np.full((4, 4), SOURCES.index("smooth"))
    sources[0, :] = SOURCES.index("border_4")
    d = torch.zeros(1, 1, 16, 16)
    d[..., 0, :] = 1.0  # the top row of cells opens (their sampled pixel is in row 0)
    d[..., 8, 8] = 1.0  # and one cell inside, where the object is
    counts = count_frame(d, np.array([[8.0, 8.0, 11.0, 11.0]]), 0.5, sources)["nearest"]
    assert counts["open"][SOURCES.index("border_4")] == 4 and counts["open"].sum() == 4
    assert counts["open_on_objects"] == 1 and counts["hits"] == [True]
    s = summarise([{"nearest": counts, "maxpool": counts}])["nearest"]
    assert s["share"]["border_4"] == 1.0 and s["false_open_rate"] == 4 / 15 and s["on_objects"] == 1 / 5


@pytest.mark.slow
def test_sources_record_the_command_they_were_given(trained, tiny_synth, tmp_path):
    from benchmarks.gate import main

    out = tmp_path / "sources.json"
    argv = ["--weights", str(trained / "weights" / "last.pt"), "--data", str(tiny_synth), "--imgsz", "160"]
    argv += ["--sources", "--border", "0", "4", "--limit", "2", "--out", str(out)]
    assert main(argv) == 0
    record = json.loads(out.read_text())
    # the arguments main() was called with (not this test runner's), each scratch path made portable
    assert record["command"].startswith("python -m benchmarks.gate --weights ")
    assert '--imgsz 160 --sources --border 0 4 --limit 2 --out "${TMPDIR:-/tmp}/sources.json"' in record["command"]
    assert [run["images"] for run in record["runs"]] == [2]
