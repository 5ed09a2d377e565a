"""Tables of a latency benchmark result: the full table for the terminal and docs, the model table for the README."""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- model-table:start -->", "<!-- model-table:end -->"
BACKEND_NAMES = {
    "torch-cpu": "PyTorch CPU",
    "ort-cpu": "ONNX Runtime CPU",
    "torch-cuda": "PyTorch CUDA",
    "ort-cuda": "ONNX Runtime CUDA",
    "ort-tensorrt": "ONNX Runtime TensorRT",
}


def _ratio(row: dict) -> str:
    if "ratio" not in row:
        return "1 (baseline)" if not row.get("baseline") else "-"
    return f"{row['ratio']:.3f} [{row['ratio_q1']:.2f}-{row['ratio_q3']:.2f}]"


def format_table(result: dict) -> str:
    """Markdown tables, one per (size, backend): median, IQR and the paired ratio to the baseline of each model."""
    lines = []
    rows = result["results"]
    for imgsz in result["settings"]["imgsz"]:
        for backend in result["settings"]["backends"]:
            group = [r for r in rows if r["imgsz"] == imgsz and r["backend"] == backend]
            if not group:
                continue
            lines += [
                f"\n{BACKEND_NAMES.get(backend, backend)}, {imgsz}x{imgsz}, batch 1 ({group[0]['runs']} rounds)\n",
                "| model | median ms | IQR ms | ratio to baseline [IQR] |",
                "|---|---:|---:|---:|",
            ]
            lines += [f"| {r['model']} | {r['median_ms']:.1f} | {r['iqr_ms']:.1f} | {_ratio(r)} |" for r in group]
    return "\n".join(lines)


def _cell(result: dict, model: str, backend: str, imgsz: int) -> tuple[str, str]:
    """(ms, ratio) of a model on a backend at `imgsz`, else at the largest size it ran at, marked '@size'."""
    rows = [r for r in result["results"] if r["model"] == model and r["backend"] == backend]
    if not rows:
        return "-", "-"
    row = next((r for r in rows if r["imgsz"] == imgsz), None)
    at = ""
    if row is None:
        row = max(rows, key=lambda r: r["imgsz"])
        at = f" @{row['imgsz']}"
    ratio = f"{row['ratio']:.2f}x" if "ratio" in row else ("1" if not row.get("baseline") else "-")
    return f"{row['median_ms']:.0f}{at}", f"{ratio}{at if 'ratio' in row else ''}"


def _settings(info: dict) -> str:
    """The YAML `srtod:` settings that make a variant, as a user would write them ('-' for a stock model)."""
    overrides = info.get("overrides")
    if overrides is None:
        return "-"
    text = ", ".join(f"{k}: {v}" for k, v in overrides.items()) or "defaults"
    return text if info.get("sparse_inference", True) else f"{text} (sparse_inference off)"


def model_table(result: dict) -> str:
    """The README's model table: params, GFLOPs@640, ONNX Runtime and PyTorch CPU latency and ratio to baseline."""
    sizes = result["settings"]["imgsz"]
    imgsz = 640 if 640 in sizes else max(sizes)
    m = result["machine"]
    runs = result["settings"]["runs"]
    head = [
        f"Latency at {imgsz}x{imgsz}, batch 1, on {m['cpu']} ({m['threads']} threads), ultralytics "
        f"{m['ultralytics']}, torch {m['torch']}, onnxruntime {m['onnxruntime']}: median of "
        f"{runs.get(imgsz, runs.get(str(imgsz)))} rounds in which all models ran in turn; x baseline is the median "
        "of the per-round ratios to the stock model of its group. "
        f"Random weights, {result['settings']['nc']} classes, fp32. "
        "Full tables and the profile: [docs/latency.md](docs/latency.md). Made by:",
        "",
        "```bash",
        result["command"],
        "```",
        "",
        "| model | `srtod:` settings | what | params | GFLOPs@640 | ORT CPU ms | x baseline | PyTorch CPU ms | "
        "x baseline |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    body = []
    for name, info in result["models"].items():
        ort_ms, ort_ratio = _cell(result, name, "ort-cpu", imgsz)
        pt_ms, pt_ratio = _cell(result, name, "torch-cpu", imgsz)
        body.append(
            f"| {name} | {_settings(info)} | {info['note']} | {info['params'] / 1e6:.2f}M | {info['gflops_640']:.1f} | "
            f"{ort_ms} | {ort_ratio} | {pt_ms} | {pt_ratio} |"
        )
    return "\n".join(head + body)


def check_readme(readme: Path) -> str:
    """Return the README's text; raise if it is missing or lacks one pair of model-table markers, in order."""
    readme = Path(readme)
    if not readme.is_file():
        raise FileNotFoundError(f"--readme: {readme} does not exist")
    text = readme.read_text()
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"--readme: {readme} needs exactly one '{START}' line followed by one '{END}' line")
    return text


def write_readme_table(readme: Path, result: dict) -> None:
    """Replace what lies between the model-table markers of `readme` with `model_table(result)`."""
    before, rest = check_readme(readme).split(START)
    _, after = rest.split(END)
    Path(readme).write_text(f"{before}{START}\n{model_table(result)}\n{END}{after}")
