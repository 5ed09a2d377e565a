"""Tables and a plot from the accuracy benchmark's runs: mean and spread over seeds, written into docs/results.md."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from benchmarks.common import in_checkout, save_figure

REPO = Path(__file__).resolve().parents[1]
LABELS = {
    "baseline": "yolov8n-p2 (stock)",
    "full": "SR-TOD (paper head, DGFE, ste, nearest)",
    "rh_only": "reconstruction head only (no DGFE)",
    "sign": "SR-TOD, official sign threshold",
    "maxpool": "SR-TOD, maxpool mask resize",
    "highfreq": "SR-TOD, high-frequency difference map",
    "fast": "SR-TOD, shuffle head (fast inference)",
    "half": "SR-TOD, half head",
    "rec01": "SR-TOD, rec_weight 0.1",
    "residual": "SR-TOD, residual DGFE (follow-up)",
    "fast_residual": "SR-TOD, shuffle head + residual DGFE",
    "fuse": "SR-TOD, difference map as a learned cue (zero-init fusion)",
    "fuse_cue_off": "the same `fuse` models, cue switched off at inference (benchmarks.clip_val --cue-off)",
    "nwd": "yolov8n-p2 + NWD assignment and box loss",
    "full_nwd": "SR-TOD (paper) + NWD",
    "residual_nwd": "SR-TOD, residual DGFE + NWD",
    "fuse_nwd": "SR-TOD, learned cue + NWD",
}
METRICS = ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")  # a study's tables, in column order
PAIRED_METRICS = ("AP", "AP25", "AP_vt", "AP_t")


def summarise(results: list[dict], metrics: tuple[str, ...]) -> dict:
    """Group run results by subset and variant: n, and mean/std/min/max and the per-seed values of each metric."""
    table: dict[str, dict[str, dict]] = {}
    for r in results:
        for subset, values in r["metrics"].items():
            row = table.setdefault(subset, {}).setdefault(r["variant"], {"seeds": [], **{m: [] for m in metrics}})
            row["seeds"].append(r["seed"])
            for m in metrics:
                row[m].append(values[m])
    for rows in table.values():
        for variant, row in rows.items():
            stats = {"n": len(row["seeds"]), "seeds": row["seeds"]}
            for m in metrics:
                v = np.asarray(row[m], np.float64)
                finite = v[np.isfinite(v)]
                stats[m] = {
                    "values": [round(float(x), 5) for x in v],
                    "mean": float(finite.mean()) if len(finite) else float("nan"),
                    "std": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
                    "min": float(finite.min()) if len(finite) else float("nan"),
                    "max": float(finite.max()) if len(finite) else float("nan"),
                }
            rows[variant] = stats
    return table


def markdown_table(rows: dict, metrics: tuple[str, ...]) -> str:
    """One markdown table: a row per variant, `mean ± std` over seeds (x100) per metric."""
    header = "| variant | seeds | " + " | ".join(metrics) + " |"
    lines = [header, "|" + "---|" * (len(metrics) + 2)]
    for variant, stats in rows.items():
        cells = []
        for m in metrics:
            s = stats[m]
            if not np.isfinite(s["mean"]):
                cells.append("n/a")
            else:  # one seed has no spread to show
                spread = f" ± {s['std'] * 100:.1f}" if stats["n"] > 1 else ""
                cells.append(f"{s['mean'] * 100:.1f}{spread}")
        lines.append(f"| {LABELS.get(variant, variant)} | {stats['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def values_by_seed(stats: dict, metric: str) -> dict[int, float]:
    """seed -> value of `metric` in one arm's statistics as `summarise` makes them (seeds and values run in step)."""
    return dict(zip(stats["seeds"], stats[metric]["values"], strict=True))


def per_seed_table(rows: dict, metric: str = "AP") -> str:
    """One markdown table of `metric` (x100) per variant and seed, so that a reader sees which seeds a mean is over.

    Columns are the union of the variants' seeds; a variant without a seed shows "·" there (not run yet, or not in
    this study). Raises KeyError when a variant's statistics lack `metric` or its per-seed `values`.
    """
    seeds = sorted({seed for stats in rows.values() for seed in stats["seeds"]})
    lines = ["| variant | " + " | ".join(f"seed {seed}" for seed in seeds) + " |", "|" + "---|" * (len(seeds) + 1)]
    for variant, stats in rows.items():
        by_seed = values_by_seed(stats, metric)
        cells = []
        for seed in seeds:
            value = by_seed.get(seed)
            cells.append("·" if value is None else "n/a" if not np.isfinite(value) else f"{value * 100:.1f}")
        lines.append(f"| {LABELS.get(variant, variant)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: dict, metrics: tuple[str, ...], path: Path, title: str) -> Path:
    """Grouped bars: each metric, each variant, mean over seeds with min-max whiskers and the seeds as dots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = list(rows)
    width = 0.8 / max(len(variants), 1)
    fig, ax = plt.subplots(figsize=(max(7, 1.4 * len(metrics)), 3.8), dpi=110)
    colors = plt.get_cmap("tab10")
    for k, variant in enumerate(variants):
        xs = np.arange(len(metrics)) + (k - (len(variants) - 1) / 2) * width
        means = [rows[variant][m]["mean"] * 100 for m in metrics]
        lo = [max(0.0, (rows[variant][m]["mean"] - rows[variant][m]["min"]) * 100) for m in metrics]
        hi = [max(0.0, (rows[variant][m]["max"] - rows[variant][m]["mean"]) * 100) for m in metrics]
        ax.bar(xs, means, width, yerr=[lo, hi], capsize=2, color=colors(k), label=LABELS.get(variant, variant))
        for x, m in zip(xs, metrics):
            ax.plot([x] * len(rows[variant][m]["values"]), np.asarray(rows[variant][m]["values"]) * 100, "k.", ms=3)
    ax.set_xticks(np.arange(len(metrics)), metrics)
    ax.set_ylabel("AI-TOD metric x100")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, path)


def _by_arm(results: list[dict], subset: str) -> dict[str, dict[int, dict]]:
    """variant -> seed -> run result, for the runs evaluated on `subset`."""
    runs: dict[str, dict[int, dict]] = {}
    for r in results:
        if subset in r["metrics"]:
            runs.setdefault(r["variant"], {})[r["seed"]] = r
    return runs


def _seed_values(seed_runs: dict[int, dict], subset: str, metric: str) -> dict[int, dict]:
    """seed -> {"value": the metric on the whole split, "replicates": its image-resample values or None}."""
    return {
        s: {"value": r["metrics"][subset][metric], "replicates": r.get("bootstrap", {}).get(subset, {}).get(metric)}
        for s, r in seed_runs.items()
    }


def paired_rows(results: list[dict], subset: str, metrics=PAIRED_METRICS, base: str = "baseline") -> dict:
    """Paired difference of each variant to `base` on one subset, per metric (see `benchmarks.paired`)."""
    from benchmarks.paired import paired_difference

    runs = _by_arm(results, subset)
    if base not in runs:
        return {}
    return {
        variant: {
            m: paired_difference(_seed_values(by_seed, subset, m), _seed_values(runs[base], subset, m), m)
            for m in metrics
        }
        for variant, by_seed in runs.items()
        if variant != base
    }


def versus_rows(results: list[dict], reference: list[dict], subset: str, metrics=PAIRED_METRICS) -> dict:
    """What this folder's recipe changes against another's, per arm, and whether it changes SR-TOD more.

    Used for swarm pretraining: `results` are runs fine-tuned from the synthetic swarms, `reference` the same arms
    and seeds from scratch, both evaluated on the same val split with the same image resamples. Per arm: the
    paired difference results - reference (same arm, same seed). Per arm but the baseline, the interaction: the
    arm's change minus the baseline's change, seed by seed (a difference of differences; its replicates are the
    per-resample differences of differences), i.e. "does pretraining help this arm more than the stock model".

    Returns:
        (dict): {"change": {variant: {metric: paired_difference}}, "interaction": {variant: {metric: ...}}}.
    """
    from benchmarks.paired import paired_difference

    def change(arm_runs, ref_runs, m):  # seed -> the recipe's change on that seed, with per-resample changes
        a, b = _seed_values(arm_runs, subset, m), _seed_values(ref_runs, subset, m)
        out = {}
        for s in set(a) & set(b):
            reps = None
            if a[s]["replicates"] and b[s]["replicates"]:
                reps = list(np.asarray(a[s]["replicates"]) - np.asarray(b[s]["replicates"]))
            out[s] = {"value": a[s]["value"] - b[s]["value"], "replicates": reps}
        return out

    now, before = _by_arm(results, subset), _by_arm(reference, subset)
    rows = {"change": {}, "interaction": {}}
    for variant in now:
        if variant in before:
            rows["change"][variant] = {
                m: paired_difference(_seed_values(now[variant], subset, m), _seed_values(before[variant], subset, m), m)
                for m in metrics
            }
    if "baseline" in now and "baseline" in before:
        for variant in rows["change"]:
            if variant != "baseline":
                rows["interaction"][variant] = {
                    m: paired_difference(
                        change(now[variant], before[variant], m), change(now["baseline"], before["baseline"], m), m
                    )
                    for m in metrics
                }
    return rows


def paired_table(rows: dict, metrics=PAIRED_METRICS) -> str:
    """Markdown: mean paired difference to the baseline [95 % interval] (x100), seeds higher, detectable effect, and
    the Protocol's reading of ΔAP (`reading`), with the tiny-object metrics whose interval lies above 0."""
    lines = [
        "| variant | seeds | "
        + " | ".join(f"Δ{m} [95 % CI]" for m in metrics)
        + " | higher (AP) | detectable ΔAP | reading (AP) |",
        "|" + "---|" * (len(metrics) + 5),
    ]
    for variant, by_metric in rows.items():
        cells = [difference_cell(by_metric[m]) for m in metrics]
        ap = by_metric[metrics[0]]
        higher = f"{ap.get('higher', 0)}/{ap['n']}"
        detectable = ap.get("detectable_effect", float("nan"))
        detectable = f"{detectable * 100:.1f}" if np.isfinite(detectable) else "n/a"
        tiny = [m for m in ("AP_vt", "AP_t") if m in by_metric and reading(by_metric[m]).startswith("helps")]
        verdict = reading(ap) + (f"; Δ{' and Δ'.join(tiny)} above 0" if tiny else "")
        lines.append(
            f"| {LABELS.get(variant, variant)} | {ap['n']} | "
            + " | ".join(cells)
            + f" | {higher} | {detectable} | {verdict} |"
        )
    return "\n".join(lines)


def difference_cell(p: dict) -> str:
    """A paired-difference record as a table cell: mean x100 with its interval and the interval's mark, or n/a."""
    if not np.isfinite(p.get("mean", float("nan"))):
        return "n/a"
    interval, mark = interval_of(p)
    ci = f" [{interval[0] * 100:+.1f}, {interval[1] * 100:+.1f}]{mark}" if interval else ""
    return f"{p['mean'] * 100:+.1f}{ci}"


def interval_of(p: dict) -> tuple[list[float] | None, str]:
    """The interval a paired-difference record reports, and its mark: two-level bootstrap (""), else the seed-only t
    interval ("ᵗ"), else the image-only interval of a single seed ("ⁱ"); (None, "") when it has none."""
    for key, mark in (("bootstrap_interval", ""), ("t_interval", "ᵗ"), ("image_interval", "ⁱ")):
        if p.get(key):
            return p[key], mark
    return None, ""


LEVEL = 0.01  # ±1 AP: a paired interval inside it, and containing 0, reads "level"
PROTOCOL_SEEDS = 5  # stage 2's seeds per arm (docs/results.md, Protocol): fewer make a reading provisional


def _rule(interval: list[float], level: float) -> str:
    low, high = interval
    if low > 0:
        return "helps"
    if high < 0:
        return "hurts"
    return "level" if -level <= low and high <= level else "undecided"


def reading(p: dict, level: float = LEVEL, seeds: int = PROTOCOL_SEEDS) -> str:
    """Stage 2's decision rule (docs/results.md, Protocol) applied to one paired-difference record.

    "helps" if the 95 % interval lies above 0, "hurts" if below, "level" if it contains 0 and lies within ±`level`,
    "undecided" otherwise. The interval is the two-level bootstrap's, or for runs without image replicates the
    seed-only t interval; "n/a" with fewer than 2 seeds (a pilot's image-only interval leaves the seed-to-seed spread
    out, so it cannot decide).

    Two marks, added on 2026-11-30 before stage 2's seeds 2-4 had finished, leave the rule itself as fixed:
    - with fewer than the Protocol's `seeds`, the reading is provisional ("level, provisional: 2 of 5 seeds"): a
      bootstrap over 2 or 3 seeds barely samples the seed-to-seed spread;
    - where the seed-only paired t interval reads otherwise, its reading follows ("helps; seed-only t: undecided"):
      a percentile bootstrap over a handful of seeds is narrower than the t interval (with 5 seeds, about two thirds
      of its width), so a verdict both agree on is the stronger one.
    """
    interval, mark = interval_of(p)
    n = p.get("n", 0)
    if interval is None or mark == "ⁱ" or n < 2:
        return "n/a"
    verdict = _rule(interval, level)
    if mark == "" and p.get("t_interval"):
        by_t = _rule(p["t_interval"], level)
        if by_t != verdict:
            verdict = f"{verdict}; seed-only t: {by_t}"
    return verdict if n >= seeds else f"{verdict}; provisional: {n} of {seeds} seeds"


def plot_paired(by_subset: dict[str, dict], path: Path, title: str, metrics=PAIRED_METRICS) -> Path:
    """The paired differences to the baseline as a picture: one panel per subset, per metric and arm the mean
    difference (x100) with its 95 % interval (the table's) and each seed's own difference as a dot, against 0.

    Args:
        by_subset (dict): subset -> `paired_rows` output (variant -> metric -> `paired_difference` record).
        path (Path): PNG to write.
        title (str): Figure title.

    Returns:
        (Path): path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subsets = [s for s, rows in by_subset.items() if rows]
    variants = list(dict.fromkeys(v for s in subsets for v in by_subset[s]))
    width = 0.8 / max(len(variants), 1)
    fig, axes = plt.subplots(1, len(subsets), figsize=(4.2 * len(subsets) + 1, 3.6), dpi=110, squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax, subset in zip(axes[0], subsets):
        ax.axhline(0, color="0.3", lw=0.8)
        for k, variant in enumerate(variants):
            rows = by_subset[subset].get(variant)
            if not rows:
                continue
            color = colors(k + 1)  # colour 0 is the baseline's in the bar charts
            for j, m in enumerate(metrics):
                p = rows[m]
                if not np.isfinite(p.get("mean", float("nan"))):
                    continue
                x = j + (k - (len(variants) - 1) / 2) * width
                interval, _ = interval_of(p)
                err = None
                if interval:
                    err = [[max(0.0, (p["mean"] - interval[0]) * 100)], [max(0.0, (interval[1] - p["mean"]) * 100)]]
                label = LABELS.get(variant, variant) if j == 0 else None
                ax.errorbar([x], [p["mean"] * 100], yerr=err, fmt="o", color=color, capsize=3, ms=5, label=label)
                per_seed = np.asarray(p.get("differences", []), float) * 100
                ax.plot(np.full(len(per_seed), x + width * 0.25), per_seed, ".", color=color, alpha=0.5, ms=4)
        ax.set_xticks(np.arange(len(metrics)), [f"Δ{m}" for m in metrics])
        n = max((r[metrics[0]]["n"] for r in by_subset[subset].values()), default=0)
        seeds = "1 seed: the interval resamples images only" if n == 1 else f"{n} seeds"
        ax.set_title(f"{subset} ({seeds})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("arm - stock, x100 (95 % CI; dots: seeds)")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def convergence(results_csv: Path, metric: str = "metrics/AP(B)") -> dict:
    """AP per epoch of a run validated every epoch (`--curve`), and what its last fifth of epochs gained.

    Returns epochs, values, and `last_fifth(values)`'s keys.
    """
    import csv

    with open(results_csv) as f:
        rows = [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(f)]
    if not rows or metric not in rows[0]:
        raise ValueError(f"{results_csv} has no '{metric}' column: train with --curve (val=True)")
    epochs = [int(r["epoch"]) for r in rows]
    values = [float(r[metric]) for r in rows]
    return {"epochs": epochs, "values": values, **last_fifth(values)}


def last_fifth(values) -> dict:
    """What a curve gained over its last fifth of epochs: the end-point difference and a fitted trend.

    A per-epoch val AP on a few hundred images jumps by about 1 AP from epoch to epoch, so the difference of two
    end points is mostly that noise. The fitted trend is the least-squares line through the last fifth's epochs
    and the one before them (`scipy.stats.linregress`), its slope times the fifth's length, with the 95 % t
    interval of the slope: the convergence criterion (< 0.5 AP) is read on it.

    Args:
        values (Sequence[float]): AP in [0, 1], one per epoch in order.

    Returns:
        (dict): last_fifth_epochs (int), last_fifth_gain (end-point difference), last_fifth_trend and
            last_fifth_trend_ci (2 floats); NaN where the curve is too short (fewer than 4 points in the fit).
    """
    from scipy import stats

    values = np.asarray(values, dtype=float)
    fifth = max(1, len(values) // 5)
    out = {"last_fifth_epochs": fifth, "last_fifth_gain": float("nan"), "last_fifth_trend": float("nan")}
    out["last_fifth_trend_ci"] = [float("nan"), float("nan")]
    if len(values) > fifth:
        out["last_fifth_gain"] = float(values[-1] - values[-1 - fifth])
    tail = values[-1 - fifth :]
    if len(values) > fifth and len(tail) >= 4:
        fit = stats.linregress(np.arange(len(tail)), tail)
        stderr = fit.stderr if np.isfinite(fit.stderr) else 0.0  # points exactly on a line: no uncertainty
        half = stats.t.ppf(0.975, len(tail) - 2) * stderr
        out["last_fifth_trend"] = float(fit.slope * fifth)
        out["last_fifth_trend_ci"] = [float((fit.slope - half) * fifth), float((fit.slope + half) * fifth)]
    return out


def describe_convergence(label: str, curve: dict) -> str:
    """One phrase for the report: the fitted trend over the last fifth with its interval, and the end points."""
    c = {**curve, **last_fifth(curve["values"])}  # records written before the trend existed get it too
    if not np.isfinite(c["last_fifth_gain"]):
        return f"{label}: too few epochs yet"
    end = f"end points {c['last_fifth_gain'] * 100:+.1f}"
    if not np.isfinite(c["last_fifth_trend"]):
        span = "epoch" if c["last_fifth_epochs"] == 1 else f"{c['last_fifth_epochs']} epochs"
        return f"{label}: {end} AP over the last {span}"
    low, high = (100 * v for v in c["last_fifth_trend_ci"])
    verdict = "flat (< 0.5)" if high < 0.5 else "still rising" if low > 0 else "not yet decided"
    return (
        f"{label}: {c['last_fifth_trend'] * 100:+.1f} AP [{low:+.1f}, {high:+.1f}] fitted over the last "
        f"{c['last_fifth_epochs']} epochs, {end}; {verdict}"
    )


def plot_curves(curves: dict[str, dict], path: Path, title: str) -> Path:
    """AP (x100) over epochs, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6), dpi=110)
    for label, c in curves.items():
        ax.plot(c["epochs"], np.asarray(c["values"]) * 100, marker=".", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("val AP x100 (AI-TOD)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def write_report(summary: dict, document: Path, images: Path, tag: str = "") -> None:
    """Replace the generated block of each dataset in `document` (between its markers) with tables and a plot.

    `tag` tells the blocks (and pictures) of one results folder from another's in the same document: the markers are
    `<!-- accuracy:{tag}{dataset}:start -->`.
    """
    text = document.read_text() if document.is_file() else "# Results\n"
    prefix = tag.replace(":", "_")
    # "evaluation": how the runs were evaluated where it is not on the study's own val set (benchmarks.clip_val):
    # a description for the block, the unit its bootstrap resamples ("clips"; "images" otherwise), and the metrics
    # of its tables where they are not the study's (clip_val adds the drone class's own AP).
    evaluation = summary.get("evaluation", {})
    unit = evaluation.get("unit", "images")
    metrics = tuple(evaluation.get("metrics", METRICS))
    paired_metrics = tuple(evaluation.get("paired_metrics", PAIRED_METRICS))
    for dataset, table in summary.items():
        if dataset in {"machine", "command", "earlier_commands", "paired", "curves", "versus", "evaluation"}:
            continue
        made_on = f"Report made on: {summary['machine']} (the runs' own, where recorded: `machine` in each result.json)"
        parts = [f"Tables made by: `{summary['command']}`", made_on, ""]
        if evaluation.get("description"):
            parts += [evaluation["description"], ""]
        for subset, rows in table.items():
            picture = plot(rows, metrics, images / f"accuracy_{prefix}{dataset}_{subset}.png", f"{dataset} / {subset}")
            parts += [
                f"**{dataset} / {subset}** (mean ± std over seeds, x100; last-epoch weights)",
                "",
                markdown_table(rows, metrics),
                "",
            ]
            if any(stats["n"] > 1 for stats in rows.values()):
                parts += ["AP per seed (x100; · not run yet):", "", per_seed_table(rows), ""]
            parts += [f"![{dataset} {subset}](img/{picture.name})", ""]
            paired = summary.get("paired", {}).get(dataset, {}).get(subset)
            if paired:
                parts += [
                    "Paired difference to the stock yolov8n-p2, same seeds (x100; 95 % interval: two-level bootstrap "
                    f"over seeds and {unit}, or ᵗ the seed-only t interval where runs have no replicates over {unit}, "
                    f"or ⁱ over {unit} only where there is one seed, which leaves the seed-to-seed spread out; "
                    "detectable: the smallest true ΔAP a paired t-test on these seeds finds with 80 % power; "
                    "reading: the Protocol's rule on the ΔAP interval, helps / hurts / level within ±1 AP / "
                    f"undecided; provisional with fewer than {PROTOCOL_SEEDS} seeds; the seed-only t interval's "
                    "reading beside where it differs):",
                    "",
                    paired_table(paired, paired_metrics),
                    "",
                ]
            versus = summary.get("versus", {}).get(dataset, {}).get(subset)
            if versus and versus["change"]:
                parts += [
                    f"Against `{summary['versus']['folder']}` (same arms, seeds and val images): each arm's change, "
                    "paired by seed (x100, 95 % interval as above):",
                    "",
                    paired_table(versus["change"]),
                    "",
                ]
            if versus and versus["interaction"]:
                parts += [
                    "Does it change SR-TOD more than the stock model? The arm's change minus the stock model's, "
                    "seed by seed (x100; > 0: more for the arm):",
                    "",
                    paired_table(versus["interaction"]),
                    "",
                ]
        by_subset = summary.get("paired", {}).get(dataset, {})
        if any(by_subset.values()):
            picture = plot_paired(
                by_subset,
                images / f"paired_{prefix}{dataset}.png",
                f"{dataset}: paired difference to the stock model",
                paired_metrics,
            )
            parts += [f"![{dataset} paired differences](img/{picture.name})", ""]
        curves = summary.get("curves", {}).get(dataset)
        if curves:
            picture = plot_curves(curves, images / f"convergence_{prefix}{dataset}.png", f"{dataset}: val AP per epoch")
            gains = "".join(f"\n- {describe_convergence(label, c)}" for label, c in curves.items())
            parts += [
                "Convergence: what the last fifth of the epochs gained (a least-squares line through them, x100, "
                f"with its 95 % interval; criterion < 0.5 AP):{gains}",
                "",
                f"![{dataset} convergence](img/{picture.name})",
                "",
            ]
        text = replace_block(text, f"accuracy:{tag}{dataset}", "\n".join(parts))
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text)


def replace_block(text: str, name: str, block: str) -> str:
    """`text` with what lies between `<!-- {name}:start -->` and `<!-- {name}:end -->` replaced by `block`; the
    marked block is appended where the markers are not there yet."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    replacement = f"{start}\n{block}\n{end}"
    return pattern.sub(lambda _: replacement, text) if pattern.search(text) else f"{text}\n{replacement}\n"


def scoreboard(studies: dict[str, dict]) -> str:
    """One markdown table of every paired comparison in several studies' summaries: where the study stands at a glance.

    `studies` maps a study's name (its results folder) to its summary.json. A row per study, dataset, subset and arm
    that has a paired difference to the stock model: seeds, both arms' mean AP (x100), ΔAP, ΔAP_vt, ΔAP_t and
    ΔAP_drone (the drone class alone, where the study scores it: `benchmarks.clip_val`; n/a otherwise) with their
    95 % intervals (marks as in the paired tables) and the Protocol's reading of ΔAP (`reading`).
    """
    lines = [
        "| study | data | arm | seeds | AP stock | AP arm | ΔAP [95 % CI] | ΔAP_vt [95 % CI] | ΔAP_t [95 % CI] "
        "| ΔAP_drone [95 % CI] | reading |",
        "|" + "---|" * 11,
    ]
    for study, summary in studies.items():
        for dataset, by_subset in summary.get("paired", {}).items():
            for subset, by_arm in by_subset.items():
                rows = summary[dataset][subset]
                for arm, by_metric in by_arm.items():
                    ap = by_metric["AP"]
                    stock, mine = (seed_mean(rows[variant], ap["seeds"]) for variant in ("baseline", arm))
                    differences = " | ".join(
                        difference_cell(by_metric[m]) if m in by_metric else "n/a"
                        for m in ("AP", "AP_vt", "AP_t", "AP_drone")
                    )
                    lines.append(
                        f"| {study} | {dataset} / {subset} | `{arm}`: {LABELS.get(arm, arm)} | {ap['n']} | "
                        f"{stock * 100:.1f} | {mine * 100:.1f} | {differences} | {reading(ap)} |"
                    )
    return "\n".join(lines)


def seed_mean(stats: dict, seeds: list[int], metric: str = "AP") -> float:
    """Mean of `metric` over `seeds` of one arm's statistics (as `summarise` makes them); KeyError names a seed the arm
    lacks."""
    by_seed = values_by_seed(stats, metric)
    missing = [seed for seed in seeds if seed not in by_seed]
    if missing:
        raise KeyError(f"no {metric} for seeds {missing} (this arm has {stats['seeds']})")
    return float(np.mean([by_seed[seed] for seed in seeds]))


def write_scoreboard(folders: list[Path], document: Path, command: str) -> str:
    """Write `scoreboard` of the studies in `folders` (each with a summary.json) into `document`'s
    `<!-- accuracy:scoreboard:... -->` block and return the block. FileNotFoundError names a folder without one."""
    studies = {}
    for folder in folders:
        record = Path(folder) / "summary.json"
        if not record.is_file():
            raise FileNotFoundError(f"{record}: no summary.json there (run the study's --report first)")
        studies[Path(folder).name] = json.loads(record.read_text())
    block = "\n".join(
        [
            f"Made by: `{command}`, from each study's summary.json (study: its results folder). x100. AP stock: the "
            "stock model's mean over the arm's seeds, so it differs between rows with different seeds. ΔAP: the mean "
            "of the per-seed differences, before rounding, with its 95 % interval (two-level bootstrap over seeds and "
            "images, or clips in a `-clipval` study; ᵗ the seed-only t interval). AP_vt: boxes under 8 px, AP_t: "
            "8-16 px (AI-TOD); n/a where the val set has none. AP_drone: the drone class alone, where the evaluation "
            "scores it (the whole val clips, whose AP is the mean over 4 classes; the swarms' one class is the drone). "
            "Reading: the Protocol's rule on the ΔAP interval (helps or hurts: above or below 0; level: within ±1 AP; "
            "undecided otherwise), provisional under 5 seeds, with the seed-only t interval's reading beside where it "
            "differs.",
            "",
            scoreboard(studies),
        ]
    )
    text = document.read_text() if document.is_file() else "# Results\n"
    document.write_text(replace_block(text, "accuracy:scoreboard", block))
    return block


def main(argv: list[str] | None = None) -> int:
    """Command line: `python -m benchmarks.accuracy_report --scoreboard FOLDER... [--doc docs/results.md]`."""
    parser = argparse.ArgumentParser(description="Write the studies' scoreboard into the results page.")
    parser.add_argument("--scoreboard", nargs="+", type=Path, required=True, help="results folders with summary.json")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "results.md")
    args = parser.parse_args(argv)
    # the command as run from a checkout's root, without this machine's paths
    command = "python -m benchmarks.accuracy_report --scoreboard " + " ".join(in_checkout(f) for f in args.scoreboard)
    print(write_scoreboard(args.scoreboard, args.doc, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
