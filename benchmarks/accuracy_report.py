"""Tables and a plot from the accuracy benchmark's runs: mean and spread over seeds, written into docs/results.md."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

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
}


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
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(summary: dict, document: Path, images: Path) -> None:
    """Replace the generated block of each dataset in `document` (between its markers) with tables and a plot."""
    metrics = ("AP", "AP50", "AP25", "AP_vt", "AP_t", "AP_s", "AP_m")
    text = document.read_text() if document.is_file() else "# Results\n"
    for dataset, table in summary.items():
        if dataset in {"machine", "command"}:
            continue
        parts = [f"Tables made by: `{summary['command']}`", f"Machine: {summary['machine']}", ""]
        for subset, rows in table.items():
            picture = plot(rows, metrics, images / f"accuracy_{dataset}_{subset}.png", f"{dataset} / {subset}")
            parts += [
                f"**{dataset} / {subset}** (mean ± std over seeds, x100; last-epoch weights)",
                "",
                markdown_table(rows, metrics),
                "",
                f"![{dataset} {subset}](img/{picture.name})",
                "",
            ]
        block = "\n".join(parts)
        start, end = f"<!-- accuracy:{dataset}:start -->", f"<!-- accuracy:{dataset}:end -->"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        replacement = f"{start}\n{block}\n{end}"
        text = pattern.sub(lambda _, r=replacement: r, text) if pattern.search(text) else f"{text}\n{replacement}\n"
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text)
