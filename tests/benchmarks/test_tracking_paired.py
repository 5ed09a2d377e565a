"""Paired per-clip tracker differences of a tracking record, with intervals over clips."""

import json

import pytest

from benchmarks.tracking_paired import main, paired_by_clip


def rows(sensor, tracker, hotas):
    return [
        {"clip": f"{sensor}_{i}", "sensor": sensor, "source": "baseline", "tracker": tracker, "HOTA": h, "IDF1": h}
        for i, h in enumerate(hotas)
    ]


PER_CLIP = (
    rows("thermal", "new", [0.6, 0.7, 0.5, 0.9])
    + rows("thermal", "old", [0.5, 0.5, 0.55, 0.6])
    + rows("visible", "new", [0.3, 0.4])
    + rows("visible", "old", [0.2, 0.3])
)


def test_differences_are_paired_clip_by_clip_per_sensor():
    result = paired_by_clip(PER_CLIP, "new", "old", "HOTA")
    thermal = result["thermal/baseline"]
    assert thermal["n"] == 4 and thermal["mean"] == pytest.approx((10 + 20 - 5 + 30) / 4)
    assert (thermal["higher"], thermal["lower"]) == (3, 1)
    low, high = thermal["interval"]
    assert -5 <= low < thermal["mean"] < high <= 30  # within the smallest and largest clip difference
    visible = result["visible/baseline"]
    assert visible["mean"] == pytest.approx(10) and visible["interval"] == pytest.approx([10, 10])  # no spread


def test_a_missing_tracker_or_an_unpaired_clip_is_named():
    with pytest.raises(ValueError, match="tracker 'botsort' is not in the record"):
        paired_by_clip(PER_CLIP, "new", "botsort", "HOTA")
    with pytest.raises(ValueError, match="clip thermal_0 .* only one of new and old"):
        paired_by_clip(PER_CLIP[1:], "new", "old", "HOTA")


def test_the_command_writes_the_table_and_json(tmp_path, capsys):
    record = tmp_path / "t.json"
    record.write_text(json.dumps({"command": "python -m benchmarks.tracking", "per_clip": PER_CLIP}))
    out = tmp_path / "paired.json"
    result = main([str(record), "--tracker", "new", "--against", "old", "--out", str(out)])
    thermal = result["comparisons"]["new - old"]["HOTA"]["thermal/baseline"]
    low, high = thermal["interval"]
    row = f"| new - old | thermal/baseline (4) | {thermal['mean']:+.1f} [{low:+.1f}, {high:+.1f}] | 3 / 1 |"
    assert row in capsys.readouterr().out and abs(thermal["mean"] - 13.75) < 1e-9
    assert json.loads(out.read_text())["comparisons"]["new - old"]["IDF1"] == result["comparisons"]["new - old"]["IDF1"]
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.json")])
