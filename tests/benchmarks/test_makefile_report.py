"""`make bench-accuracy-report` as a recipe: which commands it runs, with a stand-in for the interpreter."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_report_counts_errors_of_the_runs_clip_val_evaluates_in_the_same_report(tmp_path):
    """A run that clip_val evaluates during the report is in the detection-error counts that follow it."""
    study = tmp_path / "acc"
    clip_run = Path(f"{study}-swarm-clipval/halmstad-clips/baseline/seed3")
    kept = Path(f"{study}-swarm-clipval/halmstad-clips/fuse/seed0")  # evaluated by an earlier report
    kept.mkdir(parents=True)
    (kept / "result.json").write_text("{}")
    log = tmp_path / "calls.txt"
    python = tmp_path / "python"  # logs each call; its clip_val evaluates one more run, as the real one would
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        f'case "$*" in *benchmarks.clip_val*) mkdir -p {clip_run} && echo "{{}}" > {clip_run}/result.json;; esac\n'
    )
    python.chmod(0o755)
    subprocess.run(
        ["make", "--no-print-directory", "-o", "install", f"PY={python}", f"V2={study}", "bench-accuracy-report"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    calls = log.read_text().splitlines()
    assert not any("pip" in c for c in calls)  # installed once, by the report's own prerequisite (here: skipped)
    assert any("benchmarks.clip_val" in c for c in calls)
    (errors,) = [c for c in calls if "detection_errors_clips.json" in c]
    assert f"{clip_run}/val_visible" in errors and f"{clip_run}/val_thermal" in errors
    assert f"{kept}/val_visible" in errors
    assert calls.index(errors) > [i for i, c in enumerate(calls) if "benchmarks.clip_val" in c][0]
