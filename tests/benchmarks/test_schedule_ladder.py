"""benchmarks.schedule_ladder: each schedule's last-epoch AP against the next longer one's, paired over images."""

import json

import numpy as np
import pytest


def _run(root, epochs, ap, replicates, *, seed=0, data="synth-256-600-300", variant="baseline", folder=None):
    folder = root / (folder or f"e{epochs}") / variant / f"seed{seed}"
    folder.mkdir(parents=True)
    record = {
        "dataset": "synth",
        "variant": variant,
        "seed": seed,
        "schedule": {"epochs": epochs, "imgsz": 256, "batch": 16, "fraction": 1.0},
        "command": f"train model=yolov8n-p2.yaml data=x/{data}/data.yaml epochs={epochs} seed={seed}",
        "metrics": {"all": {"AP": ap}},
        "bootstrap": {"resamples": len(replicates), "seed": 0, "all": {"AP": list(replicates)}},
        "curve": {"epochs": list(range(1, epochs + 1)), "values": list(np.linspace(0.1, ap, epochs))},
    }
    (folder / "result.json").write_text(json.dumps(record))
    return folder


def test_each_step_is_paired_over_the_same_image_resamples_and_read_against_the_criterion(tmp_path):
    from benchmarks.schedule_ladder import ladder, load_run

    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, 400)  # the same val resamples shift both runs alike: pairing cancels them
    shared = rng.normal(0, 0.002, 400)  # and what the two longer runs share
    folders = [
        _run(tmp_path, 40, 0.40, 0.40 + noise),
        _run(tmp_path, 80, 0.45, 0.45 + noise + shared),
        _run(tmp_path, 160, 0.451, 0.451 + noise + shared + rng.normal(0, 0.0005, 400)),
    ]
    result = ladder([load_run(f) for f in reversed(folders)])  # sorted by schedule whatever the order given
    assert [r["epochs"] for r in result["rows"]] == [40, 80, 160]
    first, second = result["steps"]
    assert (first["from"], first["to"]) == (40, 80) and np.isclose(first["gain"], 0.05)
    low, high = first["image_interval"]
    assert 0.045 < low < 0.05 < high < 0.055  # unpaired, the 0.01 image noise would make it about ±0.03
    assert first["reading"] == "still pays" and np.isclose(first["per_doubling"], 0.05)
    assert np.isclose(second["gain"], 0.001) and second["reading"] == "flat (< 0.5 AP)"
    assert np.isclose(second["per_doubling"], 0.001)
    assert result["seed_spread"] is None and first["seed_interval"] is None
    assert 0 < result["trend"]["per_doubling"] < 0.05 and len(result["trend"]["interval"]) == 2


def test_the_seed_spread_widens_each_steps_interval_and_can_undo_a_reading(tmp_path):
    from benchmarks.schedule_ladder import ladder, load_run, seed_spread

    same = np.full(50, 0.0)
    runs = [load_run(_run(tmp_path, 40, 0.40, 0.40 + same)), load_run(_run(tmp_path, 60, 0.41, 0.41 + same))]
    for seed, ap in enumerate([0.40, 0.42, 0.38]):  # sd 0.02 over three seeds at one schedule
        _run(tmp_path, 40, ap, same + ap, seed=seed, folder="spread")
    spread = seed_spread(tmp_path / "spread" / "baseline")
    assert spread["seeds"] == [0, 1, 2] and np.isclose(spread["sd"], 0.02) and spread["epochs"] == 40
    step = ladder(runs, spread=spread)["steps"][0]
    assert step["image_interval"] == pytest.approx([0.01, 0.01])  # no image noise at all
    half = 1.96 * np.sqrt(2) * 0.02
    assert step["seed_interval"] == pytest.approx([0.01 - half, 0.01 + half])
    assert step["reading"] == "undecided"  # +1 AP on images alone, but within two seeds' spread


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": "synth-256-1000-200"}, "data folder"),
        ({"seed": 1}, "seed"),
        ({"variant": "fuse"}, "variant"),
        ({"epochs": 40}, "appears twice"),
    ],
)
def test_runs_that_differ_in_more_than_their_schedule_are_refused_by_name(tmp_path, change, message):
    from benchmarks.schedule_ladder import ladder, load_run

    reps = np.full(10, 0.4)
    a = _run(tmp_path, 40, 0.4, reps)
    kwargs = {"epochs": 60, **change}
    b = _run(tmp_path, kwargs.pop("epochs"), 0.45, reps + 0.05, folder="other", **kwargs)
    with pytest.raises(ValueError, match=message) as info:
        ladder([load_run(a), load_run(b)])
    assert "other" in str(info.value) or message == "appears twice"


def test_a_missing_run_one_run_or_a_run_without_resamples_is_an_error(tmp_path):
    from benchmarks.schedule_ladder import check_comparable, load_run, main

    with pytest.raises(FileNotFoundError, match="nothere"):
        load_run(tmp_path / "nothere")
    one = _run(tmp_path, 40, 0.4, np.full(5, 0.4))
    with pytest.raises(ValueError, match="at least two"):
        check_comparable([load_run(one)], "all", "AP")
    bare = _run(tmp_path, 60, 0.5, [])
    with pytest.raises(ValueError, match="image resamples"):
        check_comparable([load_run(one), load_run(bare)], "all", "AP")
    with pytest.raises(SystemExit):  # the command line says which folder, not a traceback
        main([str(one), str(tmp_path / "nothere")])


def test_the_command_writes_its_record_and_the_pages_block_with_a_picture(tmp_path, capsys):
    from benchmarks.schedule_ladder import doc_block, main

    reps = np.linspace(-0.01, 0.01, 20)
    runs = [_run(tmp_path, e, ap, ap + reps) for e, ap in ((40, 0.4), (60, 0.43), (90, 0.45))]
    page = tmp_path / "docs" / "results.md"
    page.parent.mkdir()
    markers = "<!-- schedules:synth:baseline:start -->", "<!-- schedules:synth:baseline:end -->"
    page.write_text(f"# Results\n\n{markers[0]}\nold\n{markers[1]}\n\nkept\n")
    out = tmp_path / "ladder.json"
    result = main([*map(str, runs), "--out", str(out), "--doc", str(page)])
    record = json.loads(out.read_text())
    assert record["markdown"] == result["markdown"] and "40 -> 60 epochs" in record["markdown"]
    assert record["command"].startswith("python -m benchmarks.schedule_ladder")
    text = page.read_text()
    assert "old" not in text and text.endswith("\n\nkept\n") and doc_block(record) in text
    assert (page.parent / "img" / record["picture"]).stat().st_size > 0
    assert "still pays" in capsys.readouterr().out


def test_only_curves_scored_as_their_end_point_are_drawn_beside_the_ladder(tmp_path):
    from benchmarks.schedule_ladder import comparable_curves, ladder, load_run

    reps = np.zeros(10)
    runs = [load_run(_run(tmp_path, e, ap, reps + ap)) for e, ap in ((40, 0.4), (80, 0.5))]
    result = ladder(runs)
    same = {"epochs": list(range(1, 81)), "values": list(np.linspace(0.1, 0.5, 80))}
    other = {"epochs": list(range(1, 41)), "values": list(np.linspace(0.1, 0.3, 40))}  # ends at 0.3, not 0.4
    drawn = comparable_curves(result, {80: same, 40: other})
    assert list(drawn) == [80] and drawn[80][0][0] == 20 and drawn[80][-1] == (80, 0.5)
