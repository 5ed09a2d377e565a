"""Carry the accuracy study's unfinished trainings to the next checkout, through git.

A results folder keeps each run's records in git and its weights out of it (.gitignore). That loses a training in
progress when the working tree does not survive (a fresh clone, a rebuilt machine): the run starts again from epoch
0, and a real-frame run (about 3.5 h beside another training) may never finish. This stages the last.pt of every
unfinished run (no result.json yet; ultralytics' resume checkpoint, with the optimizer: about 30 MB for YOLOv8n-P2)
with `git add -f`, and stops tracking it once the run has finished, so that `benchmarks.accuracy` resumes it from its
last epoch wherever the commit is checked out. Only what is staged is carried: commit it.

    python -m benchmarks.carry                 # stage in-progress checkpoints, unstage finished ones, print a table
    python -m benchmarks.carry --dry-run       # only print what it would do

Each carried checkpoint stays in the repository's history: carry at the end of a working session, not every epoch.
Once carried, a run's last.pt is a tracked file until the run finishes: `git add benchmarks/results` (or `git commit
-a`) would stage its newer version again; add records with `':!*/weights/*'` in the pathspec.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

from benchmarks.accuracy import run_weights

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def runs(results: Path = RESULTS) -> list[Path]:
    """Every run folder of the accuracy studies: `<results>/accuracy*/<dataset>/<variant>/seed<n>`."""
    return sorted(p for p in Path(results).glob("accuracy*/*/*/seed*") if p.is_dir())


def tracked(paths: list[Path], repo: Path) -> set[Path]:
    """Which of `paths` git tracks (in the index of `repo`)."""
    if not paths:
        return set()
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *map(str, paths)], cwd=repo, check=True, capture_output=True, text=True
    ).stdout
    return {(repo / p).resolve() for p in out.split("\0") if p}


def epochs_done(run: Path) -> int:
    """Epochs in the run's results.csv (0 without one)."""
    table = run / "train" / "results.csv"
    if not table.is_file():
        return 0
    with open(table) as f:
        return len(list(csv.DictReader(f)))


def plan(results: Path = RESULTS, repo: Path = REPO) -> dict[str, list[Path]]:
    """The checkpoints to start carrying (unfinished runs) and to stop carrying (finished runs, still tracked), and
    the unfinished runs that have a results.csv but no checkpoint here (they would start again from epoch 0).

    Returns:
        dict: {"carry": [last.pt ...], "drop": [last.pt ...], "lost": [run folder ...]}, paths under `results`.
    """
    weights = {run: run_weights(run) for run in runs(results)}
    known = tracked([w for w in weights.values() if w.is_file()], repo)
    carry, drop, lost = [], [], []
    for run, w in weights.items():
        finished = (run / "result.json").is_file()
        if not finished and w.is_file():
            carry.append(w)
        elif finished and w.resolve() in known:
            drop.append(w)
        elif not finished and epochs_done(run):
            lost.append(run)
    return {"carry": carry, "drop": drop, "lost": lost}


def check_loads(weights: Path) -> None:
    """Refuse a checkpoint that does not load (caught while ultralytics was writing it): carry again after the epoch.

    Raises:
        SystemExit: `weights` is not a readable checkpoint.
    """
    import torch

    try:
        torch.load(weights, map_location="cpu", weights_only=False)
    except Exception as e:  # a truncated zip archive, a half-written pickle
        raise SystemExit(f"'{weights}' does not load ({type(e).__name__}): run this again after the epoch") from e


def apply(todo: dict[str, list[Path]], repo: Path = REPO) -> None:
    """Stage the `carry` checkpoints (`git add -f`) with their run's results.csv and args.yaml, so that the epochs the
    CSV lists are those the checkpoint holds; untrack the `drop` ones (`git rm --cached`, file kept)."""
    from benchmarks.accuracy import make_portable

    if todo["carry"]:
        for w in todo["carry"]:
            check_loads(w)
            make_portable(w.parents[2], repo)  # args.yaml: paths relative to the repository, as committed
        records = [w.parents[1] / name for w in todo["carry"] for name in ("results.csv", "args.yaml")]
        staged = [*todo["carry"], *(r for r in records if r.is_file())]
        subprocess.run(["git", "add", "-f", "--", *map(str, staged)], cwd=repo, check=True)
    if todo["drop"]:
        subprocess.run(["git", "rm", "-q", "--cached", "--", *map(str, todo["drop"])], cwd=repo, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder holding the accuracy* studies")
    parser.add_argument("--dry-run", action="store_true", help="print what would be staged, change nothing")
    args = parser.parse_args(argv)
    args.results = args.results.resolve()  # git runs in the repository's root
    repo = Path(
        subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=args.results, check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    todo = plan(args.results, repo)
    for run in todo.pop("lost"):
        print(
            f"no checkpoint here for the unfinished {run.relative_to(args.results)} ({epochs_done(run)} epochs in its "
            "results.csv): it starts again from epoch 0"
        )
    if not any(todo.values()):
        print("nothing to carry: no unfinished run has a checkpoint, and no finished run's checkpoint is tracked")
        return 0
    print(f"{'action':<6} {'epochs':>6} {'MB':>6}  run")
    for action, paths in todo.items():
        for w in paths:
            run = w.parents[2]
            print(
                f"{action:<6} {epochs_done(run):>6} {w.stat().st_size / 2**20:>6.1f}  {run.relative_to(args.results)}"
            )
    if args.dry_run:
        return 0
    apply(todo, repo)
    print("staged: commit to carry them (git commit), e.g. 'results: carry unfinished trainings'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
