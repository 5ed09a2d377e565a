"""Does a longer schedule still pay? One arm and seed trained to the end of several schedules, compared end to end.

Issue 16's convergence question asked the decisive way (docs/results.md, Protocol). A run's own per-epoch curve
rises at its end because the learning rate decays and mosaic closes there, so the "last fifth" test on one curve
cannot tell a plateau from a schedule that ends too soon. Here the last-epoch weights of each schedule (each run
trained to its own end) are compared with the next longer schedule's, on the same val images and the same image
resamples (the runs' `bootstrap` records):

- each step's gain, longer minus shorter (x100), with a 95 % interval over the val images: percentiles of the
  per-resample differences (both runs scored on the same draws, so the interval is paired). One seed has no
  seed-to-seed spread in it; where `--seed-spread` names a study with several seeds of the same arm at one schedule,
  the step's interval is also given widened by that spread (normal approximation: the image interval's variance
  plus twice the seed variance, since two schedules' runs of one seed differ from each other as two seeds do);
- the gain per doubling of the schedule (the step's gain over log2 of its epoch ratio), so steps of unequal length
  compare, and a least-squares line of AP against log2(epochs) over every schedule;
- a reading per step, on the widest interval it has: "flat" (all of it below the convergence criterion, 0.5 AP,
  even where it is above 0), "still pays" (above 0, not all below the criterion), "undecided" otherwise. A schedule
  has converged, in this sense, when the step after it is flat.

    python -m benchmarks.schedule_ladder benchmarks/results/accuracy-v2{,-60ep,-90ep,-150ep}/synth/baseline/seed0 \\
        --seed-spread benchmarks/results/accuracy-v2-60ep/synth/baseline \\
        --out benchmarks/results/schedule_ladder_synth_baseline.json --doc docs/results.md
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import numpy as np
from scipy import stats

from benchmarks.common import command_line, in_checkout, save_figure, write_record

CRITERION = 0.005  # issue 16: the last fifth of the epochs gains < 0.5 AP; here the longer schedule does


def load_run(folder: Path) -> dict:
    """The result.json of one finished run folder (`benchmarks.accuracy`'s `<dataset>/<variant>/seed<N>`).

    Raises:
        FileNotFoundError: naming the folder, when it holds no result.json (not run, or not finished).
    """
    record = Path(folder) / "result.json"
    if not record.is_file():
        raise FileNotFoundError(f"{record}: no result.json (the run is not finished, or the folder is not a run's)")
    return {**json.loads(record.read_text()), "folder": str(folder)}


def data_name(run: dict) -> str | None:
    """The name of the dataset folder a run trained on (e.g. 'synth-256-600-300'), from its recorded command."""
    for token in shlex.split(run.get("command", "")):
        if token.startswith("data="):
            return Path(token[5:]).parent.name
    return None


def check_comparable(runs: list[dict], subset: str, metric: str) -> list[dict]:
    """The runs sorted by schedule, after checking that they differ in their schedule alone.

    Raises:
        ValueError: naming the run, for fewer than two runs, a run of another dataset, variant, seed, data folder,
            image size or image resampling, a schedule given twice, or a run without `metric` and its resamples on
            `subset`.
    """
    if len(runs) < 2:
        raise ValueError(f"a schedule ladder needs at least two runs, got {len(runs)}")
    first = runs[0]

    def key(r):
        b = r.get("bootstrap", {})
        return (r["dataset"], r["variant"], r["seed"], data_name(r), r["schedule"]["imgsz"], b.get("resamples"))

    names = ("dataset", "variant", "seed", "data folder", "imgsz", "image resamples")
    for r in runs:
        for name, mine, theirs in zip(names, key(r), key(first)):
            if mine != theirs:
                raise ValueError(f"{r['folder']}: {name} {mine!r} differs from {first['folder']}'s {theirs!r}")
        if metric not in r["metrics"].get(subset, {}) or not r.get("bootstrap", {}).get(subset, {}).get(metric):
            raise ValueError(f"{r['folder']}: no {metric} with image resamples on subset '{subset}'")
    ordered = sorted(runs, key=lambda r: r["schedule"]["epochs"])
    epochs = [r["schedule"]["epochs"] for r in ordered]
    if len(set(epochs)) != len(epochs):
        raise ValueError(f"a schedule appears twice among {[r['folder'] for r in ordered]}: epochs {epochs}")
    return ordered


def seed_spread(folder: Path, subset: str = "all", metric: str = "AP") -> dict:
    """The seed-to-seed standard deviation of `metric` over the finished seeds of one arm (`<variant>/seed*/`).

    Returns:
        (dict): folder, epochs, seeds, values and sd (ddof 1).

    Raises:
        ValueError: naming the folder, when it has fewer than two finished seeds or they ran different schedules.
    """
    runs = [load_run(p.parent) for p in sorted(Path(folder).glob("seed*/result.json"))]
    schedules = {r["schedule"]["epochs"] for r in runs}
    if len(runs) < 2 or len(schedules) != 1:
        raise ValueError(f"{folder}: needs two or more finished seeds of one schedule, found {len(runs)} ({schedules})")
    values = [r["metrics"][subset][metric] for r in runs]
    return {
        "folder": str(folder),
        "epochs": schedules.pop(),
        "seeds": [r["seed"] for r in runs],
        "values": [round(v, 5) for v in values],
        "sd": float(np.std(values, ddof=1)),
    }


def _reading(interval: list[float], criterion: float) -> str:
    low, high = interval
    return f"flat (< {criterion * 100:.1f} AP)" if high < criterion else "still pays" if low > 0 else "undecided"


def ladder(runs: list[dict], subset: str = "all", metric: str = "AP", spread: dict | None = None) -> dict:
    """End-of-schedule `metric` of each run and what each longer schedule gained over the one before it.

    Args:
        runs (list[dict]): result.json records (`load_run`) of one arm, seed and dataset at different schedules.
        subset (str): The val subset scored ('all', 'thermal', 'visible').
        metric (str): A metric the runs' `metrics` and `bootstrap` records hold, e.g. 'AP' (in [0, 1]).
        spread (dict | None): `seed_spread` of the same arm, to widen each step's interval by the seed noise.

    Returns:
        (dict): rows (epochs, value), steps (from, to, gain, image_interval, seed_interval or None, per_doubling,
            reading) and trend (the least-squares AP per doubling of the schedule over all runs, with its 95 % t
            interval where there are three or more runs); values in [0, 1].
    """
    ordered = check_comparable(runs, subset, metric)
    rows = [{"epochs": r["schedule"]["epochs"], "value": r["metrics"][subset][metric]} for r in ordered]
    steps = []
    for shorter, longer in zip(ordered, ordered[1:]):
        a, b = shorter["schedule"]["epochs"], longer["schedule"]["epochs"]
        gain = longer["metrics"][subset][metric] - shorter["metrics"][subset][metric]
        diff = np.asarray(longer["bootstrap"][subset][metric]) - np.asarray(shorter["bootstrap"][subset][metric])
        image = [float(v) for v in np.nanpercentile(diff, [2.5, 97.5])]
        widened = None
        if spread:
            half = 1.96 * float(np.sqrt(np.nanvar(diff, ddof=1) + 2 * spread["sd"] ** 2))
            widened = [gain - half, gain + half]
        steps.append(
            {
                "from": a,
                "to": b,
                "gain": float(gain),
                "image_interval": image,
                "seed_interval": widened,
                "per_doubling": float(gain / np.log2(b / a)),
                "reading": _reading(widened or image, CRITERION),
            }
        )
    fit = stats.linregress(np.log2([r["epochs"] for r in rows]), [r["value"] for r in rows])
    trend = {"per_doubling": float(fit.slope), "interval": None}  # two points: a line with no interval
    if len(rows) >= 3:
        half = stats.t.ppf(0.975, len(rows) - 2) * fit.stderr
        trend["interval"] = [float(fit.slope - half), float(fit.slope + half)]
    return {
        "dataset": ordered[0]["dataset"],
        "variant": ordered[0]["variant"],
        "seed": ordered[0]["seed"],
        "subset": subset,
        "metric": metric,
        "runs": [r["folder"] for r in ordered],
        "seed_spread": spread,
        "rows": rows,
        "steps": steps,
        "trend": trend,
    }


def _pp(v: float) -> str:
    return f"{v * 100:+.1f}"


def format_table(result: dict) -> str:
    """Markdown: one row per step of the ladder (x100), then the trend over every schedule."""
    m = result["metric"]
    lines = [
        f"| schedule | {m} at the shorter | {m} at the longer | gain [95 % CI, images] | gain [95 % CI, images and "
        "seeds] | per doubling | reading |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    value = {r["epochs"]: r["value"] for r in result["rows"]}
    for s in result["steps"]:
        image = f"{_pp(s['gain'])} [{_pp(s['image_interval'][0])}, {_pp(s['image_interval'][1])}]"
        seeds = f"[{_pp(s['seed_interval'][0])}, {_pp(s['seed_interval'][1])}]" if s["seed_interval"] else "n/a"
        lines.append(
            f"| {s['from']} -> {s['to']} epochs | {value[s['from']] * 100:.1f} | {value[s['to']] * 100:.1f} | {image} "
            f"| {seeds} | {_pp(s['per_doubling'])} | {s['reading']} |"
        )
    trend = result["trend"]
    ci = f" [{_pp(trend['interval'][0])}, {_pp(trend['interval'][1])}]" if trend["interval"] else ""
    lines += ["", f"Least-squares line of {m} against log2(epochs): {_pp(trend['per_doubling'])}{ci} {m} per doubling."]
    spread = result["seed_spread"]
    if spread:
        lines.append(
            f"Seed spread behind the wider interval: sd {spread['sd'] * 100:.2f} {m} over seeds {spread['seeds']} at "
            f"{spread['epochs']} epochs (`{Path(spread['folder']).as_posix()}`)."
        )
    return "\n".join(lines)


def comparable_curves(result: dict, curves: dict[int, dict]) -> dict[int, list[tuple[int, float]]]:
    """The per-epoch curves worth drawing beside a ladder: schedule -> (epoch, value) points from half the shortest
    schedule on, for the curves whose last epoch equals their run's end point within 0.5 AP (validated as the end
    point was scored); the others are left out."""
    end = {r["epochs"]: r["value"] for r in result["rows"]}
    return {
        schedule: [(e, v) for e, v in zip(curve["epochs"], curve["values"]) if e >= min(end) / 2]
        for schedule, curve in sorted(curves.items())
        if abs(curve["values"][-1] - end.get(schedule, curve["values"][-1])) <= 0.005
    }


def plot(result: dict, path: Path, curves: dict[int, dict] | None = None) -> Path:
    """End-of-schedule AP against epochs with each step's interval, and each run's per-epoch curve drawn faintly, so
    that a reader sees both a schedule's end and where the longer runs stood at the same epoch.

    `curves`: schedule (epochs) -> {"epochs", "values"}. A curve is drawn only where its last epoch equals the run's
    end point (within 0.5 AP), i.e. where the per-epoch validation scored what the end point scores: the real-frame
    runs validate every frame at one imgsz per epoch, but are scored at each sensor's native size at the end.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=110)
    for k, (schedule, shown) in enumerate(comparable_curves(result, curves or {}).items()):
        if shown:
            x, y = zip(*shown)
            label = f"{schedule}-epoch run, per epoch"
            ax.plot(x, np.asarray(y) * 100, lw=0.8, alpha=0.5, color=f"C{k + 1}", label=label)
    epochs = [r["epochs"] for r in result["rows"]]
    values = np.asarray([r["value"] for r in result["rows"]]) * 100
    ax.plot(epochs, values, "o-", color="C0", label="last epoch of each schedule")
    for s in result["steps"]:
        low, high = s["seed_interval"] or s["image_interval"]
        top = dict(zip(epochs, values))[s["to"]]
        ax.errorbar([s["to"]], [top], yerr=[[s["gain"] * 100 - low * 100], [high * 100 - s["gain"] * 100]], color="C0")
    ax.set_xticks(epochs, [str(e) for e in epochs])
    ax.set_xlabel("epoch (bars: 95 % interval of the gain over the previous schedule)")
    ax.set_ylabel(f"val {result['metric']} x100")
    ax.set_title(f"{result['dataset']} / {result['subset']}: {result['variant']}, seed {result['seed']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def block_name(result: dict) -> str:
    """The name of the page block a ladder writes: `schedules:<dataset>:<variant>`, one per arm and dataset."""
    return f"schedules:{result['dataset']}:{result['variant']}"


def doc_block(result: dict) -> str:
    """The block `--doc` writes between `<!-- schedules:<dataset>:<variant>:start/end -->`: command, table, picture."""
    return "\n".join(
        [
            f"Made by: `{result['command']}`",
            "",
            format_table(result),
            "",
            f"![{result['dataset']} schedules](img/{result['picture']})",
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    """Entry point: read the runs, compare each schedule with the next, print the table, write JSON (and the doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run folders (with result.json) of one arm and seed")
    p.add_argument("--subset", default="all")
    p.add_argument("--metric", default="AP")
    p.add_argument("--seed-spread", type=Path, default=None, help="an arm folder with several seeds (seed*/)")
    p.add_argument("--out", type=Path, default=None, help="JSON record (default: print only)")
    p.add_argument("--doc", type=Path, default=None, help="write the table and picture into this Markdown page")
    args = p.parse_args(argv)
    try:
        runs = [load_run(folder) for folder in args.runs]
        spread = seed_spread(args.seed_spread, args.subset, args.metric) if args.seed_spread else None
        result = ladder(runs, args.subset, args.metric, spread)
    except (FileNotFoundError, ValueError) as e:
        p.error(str(e))
    result["runs"] = [in_checkout(f) for f in result["runs"]]
    if spread:
        spread["folder"] = in_checkout(spread["folder"])
    result["command"] = command_line(argv, "benchmarks.schedule_ladder")
    result["picture"] = f"schedules_{result['dataset']}_{result['variant']}_{result['subset']}.png"
    result["markdown"] = format_table(result)
    print(result["markdown"])
    if args.doc:
        from benchmarks.accuracy_report import replace_block

        curves = {r["schedule"]["epochs"]: r["curve"] for r in runs if r.get("curve")}
        plot(result, args.doc.parent / "img" / result["picture"], curves)
        text = args.doc.read_text() if args.doc.is_file() else "# Results\n"
        args.doc.write_text(replace_block(text, block_name(result), doc_block(result)))
        print(f"wrote {args.doc}")
    if args.out:
        write_record(result, args.out)
    return result


if __name__ == "__main__":
    main()
