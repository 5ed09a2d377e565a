"""The generated blocks of the docs are what their committed records make: no hand edit, no record left unreported.

Each block between markers is regenerated here from the JSON record it cites, with the benchmark's own report
code, and compared with the committed text. (The first accuracy study's blocks are frozen in the report format of
their time, docs/results.md "The first study", so they are not regenerated.)
"""

import argparse
import json
import shutil

import pytest
from conftest import REPO

RESULTS = REPO / "benchmarks" / "results"


def _block(text: str, start: str, end: str) -> str:
    assert text.count(start) == 1 and text.count(end) == 1, f"expected one {start} ... {end} pair"
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


STUDY_FOLDERS = sorted(p.parent.name for p in RESULTS.glob("accuracy-v2*/summary.json"))  # a new study's too


def test_the_second_studys_folders_are_all_found():
    assert {"accuracy-v2", "accuracy-v2-60ep", "accuracy-v2-swarm", "accuracy-v2-swarm-clipval"} <= set(STUDY_FOLDERS)


@pytest.mark.parametrize("folder", STUDY_FOLDERS)
def test_the_second_studys_blocks_are_what_its_summary_makes(folder, tmp_path):
    from benchmarks.accuracy import report_tag
    from benchmarks.accuracy_report import write_report

    summary = json.loads((RESULTS / folder / "summary.json").read_text())
    tag = report_tag(argparse.Namespace(tag=None, out=RESULTS / folder))  # the tag the report itself writes under
    committed = (REPO / "docs" / "results.md").read_text()
    copy = tmp_path / "results.md"
    shutil.copy(REPO / "docs" / "results.md", copy)
    write_report(summary, copy, tmp_path / "img", tag)
    datasets = [k for k in summary if f"<!-- accuracy:{tag}{k}:start -->" in committed]
    assert datasets, f"docs/results.md has no block of {folder}"
    for dataset in datasets:
        markers = f"<!-- accuracy:{tag}{dataset}:start -->", f"<!-- accuracy:{tag}{dataset}:end -->"
        regenerated = _block(copy.read_text(), *markers)
        assert _block(committed, *markers) == regenerated, (
            f"docs/results.md's {tag}{dataset} block differs from what {folder}/summary.json makes: run "
            "`make bench-accuracy-report` (and commit docs/ with the records)"
        )
        for picture in (tmp_path / "img").glob("*.png"):  # every picture the block links is committed
            if f"img/{picture.name}" in regenerated:
                assert (REPO / "docs" / "img" / picture.name).is_file(), picture.name


def test_the_studys_scoreboard_is_what_its_summaries_make(tmp_path):
    from benchmarks.accuracy_report import write_scoreboard

    committed = (REPO / "docs" / "results.md").read_text()
    markers = "<!-- accuracy:scoreboard:start -->", "<!-- accuracy:scoreboard:end -->"
    made_by = _block(committed, *markers).split("`")[1]  # the command the block names, run here again
    folders = [REPO / f for f in made_by.split("--scoreboard ", 1)[1].split()]
    copy = tmp_path / "results.md"
    shutil.copy(REPO / "docs" / "results.md", copy)
    write_scoreboard(folders, copy, made_by)
    assert _block(committed, *markers) == _block(copy.read_text(), *markers), "run `make bench-accuracy-report`"
    # stage 2's two studies, and the real-frame one evaluated again on the whole val clips
    assert {f.name for f in folders} == {"accuracy-v2-60ep", "accuracy-v2-swarm", "accuracy-v2-swarm-clipval"}


LADDERS = sorted(p.name for p in RESULTS.glob("schedule_ladder_*.json"))


def test_the_schedule_ladders_are_found():
    assert "schedule_ladder_synth_baseline.json" in LADDERS


@pytest.mark.parametrize("name", LADDERS)
def test_a_schedule_ladder_block_is_what_its_record_makes_and_the_record_what_its_runs_make(name):
    from benchmarks.schedule_ladder import block_name, doc_block, ladder, load_run, seed_spread

    record = json.loads((RESULTS / name).read_text())
    committed = (REPO / "docs" / "results.md").read_text()
    name = block_name(record)
    assert _block(committed, f"<!-- {name}:start -->", f"<!-- {name}:end -->") == doc_block(record)
    assert (REPO / "docs" / "img" / record["picture"]).is_file()
    spread = seed_spread(REPO / record["seed_spread"]["folder"])
    again = ladder([load_run(REPO / folder) for folder in record["runs"]], spread=spread)
    for mine, theirs in zip(again["steps"], record["steps"], strict=True):
        assert mine["reading"] == theirs["reading"]
        for key in ("gain", "image_interval", "seed_interval", "per_doubling"):
            assert mine[key] == pytest.approx(theirs[key]), key


def test_the_readme_model_and_deployment_tables_are_what_their_records_make():
    from benchmarks import latency_deploy_report, latency_report

    readme = (REPO / "README.md").read_text()
    models = latency_report.model_table(json.loads((RESULTS / "latency.json").read_text()))
    assert _block(readme, latency_report.START, latency_report.END) == models.strip("\n")
    deploy = latency_deploy_report.format_tables(json.loads((RESULTS / "latency_deploy.json").read_text()))
    assert _block(readme, latency_deploy_report.START, latency_deploy_report.END) == deploy.strip("\n")


def test_the_tracking_page_shows_its_records_tables():
    record = json.loads((RESULTS / "tracking.json").read_text())
    page = (REPO / "docs" / "tracking.md").read_text()
    assert record["markdown"].strip() in page and record["per_clip_markdown"].strip() in page
    held_out = json.loads((RESULTS / "tracking_heldout.json").read_text())
    paired = json.loads((RESULTS / "tracking_heldout_paired.json").read_text())
    assert held_out["markdown"].strip() in page and paired["markdown"].strip() in page
    assert paired["record_command"] == held_out["command"]  # the intervals are of that run


@pytest.mark.parametrize(
    ("record", "folder", "subsets"),
    [
        ("detection_errors_synth.json", "accuracy-v2-60ep/synth", ["all"]),
        ("detection_errors_real.json", "accuracy-v2-swarm/halmstad", ["visible", "thermal"]),
    ],
)
def test_the_studys_detection_error_records_cover_every_finished_run(record, folder, subsets):
    """`make bench-accuracy-report` was run after the last run landed: each finished run is counted or named as left
    out, and the counts are those its result.json keeps."""
    from benchmarks.detection_errors import arm_labels, by_arm

    saved = json.loads((RESULTS / record).read_text())
    finished = sorted((RESULTS / folder).glob("*/seed*/result.json"))
    expected = {f"{f.parent.parent.name}/{f.parent.name}/val_{s}" for f in finished for s in subsets}
    assert set(saved["results"]) | set(saved["left_out"]) == expected, f"run `make bench-accuracy-report` ({record})"
    for f in finished:
        errors = json.loads(f.read_text()).get("errors") or {}
        for subset in subsets:
            label = f"{f.parent.parent.name}/{f.parent.name}/val_{subset}"
            if subset in errors:
                assert saved["results"][label] == errors[subset], label
    folders = [RESULTS / folder / label for label in saved["results"]]
    arms = dict(zip(saved["results"], arm_labels(folders)))
    assert by_arm(saved["results"], arms) == saved["arms"]


def test_the_counting_page_shows_its_records_table():
    record = json.loads((RESULTS / "nms_iou.json").read_text())
    page = (REPO / "docs" / "counting.md").read_text()
    assert record["table"].strip() in page and record["command"] in page
