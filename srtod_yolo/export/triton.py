"""Triton model configs (config.pbtxt) for exported SR-TOD models: read one, check it against the model.

Triton refuses a model whose config names an input or output the model lacks, or gives it another type or
shape; `check_model_config` finds those mismatches before a deployment does. The reader understands the subset of
the protobuf text format that model configs use (scalars, nested blocks, lists of blocks, number lists).
"""

from __future__ import annotations

import re
from pathlib import Path

from .onnx_model import TensorSpec, io_specs

__all__ = ("check_model_config", "read_model_config")

TOKEN = re.compile(r'\s*(?:(#[^\n]*)|([{}\[\]:,])|("(?:[^"\\]|\\.)*")|([^\s{}\[\]:,#"]+))')
TRITON_TYPES = {"FP32": "TYPE_FP32", "FP16": "TYPE_FP16", "INT64": "TYPE_INT64", "INT32": "TYPE_INT32"}


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read the config near {text[position : position + 30]!r}")
        position = match.end()
        if not match.group(1):  # a comment
            tokens.append(match.group(2) or match.group(3) or match.group(4))
    return tokens


def _value(token: str):
    if token.startswith('"'):
        return token[1:-1]
    try:
        return int(token)
    except ValueError:
        try:
            return float(token)
        except ValueError:
            return token  # an enum (TYPE_FP32, KIND_GPU) or a bare word (true)


def _block(tokens: list[str], i: int, end: str | None) -> tuple[dict, int]:
    """Parse `key: value`, `key { ... }` and `key [ ... ]` entries up to `end`; repeated keys collect into lists."""
    fields: dict = {}
    while i < len(tokens) and tokens[i] != end:
        key = tokens[i]
        i += 1
        if tokens[i] == ":":
            i += 1
        if tokens[i] == "{":
            value, i = _block(tokens, i + 1, "}")
            i += 1
        elif tokens[i] == "[":
            value, i = [], i + 1
            while tokens[i] != "]":
                if tokens[i] == "{":
                    item, i = _block(tokens, i + 1, "}")
                    value.append(item)
                    i += 1
                elif tokens[i] != ",":
                    value.append(_value(tokens[i]))
                    i += 1
                else:
                    i += 1
            i += 1
        else:
            value, i = _value(tokens[i]), i + 1
        fields.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}, i


def read_model_config(path: str | Path) -> dict:
    """Read a Triton `config.pbtxt` into nested dicts and lists; `input` and `output` are always lists.

    Example:
        >>> config = read_model_config("export/triton/srtod/config.pbtxt")
        >>> [o["name"] for o in config["output"]]
        ['output0']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Triton model config '{path}' not found")
    config, _ = _block(_tokens(path.read_text()), 0, None)
    for key in ("input", "output"):
        entries = config.get(key, [])
        entries = entries if isinstance(entries, list) else [entries]
        config[key] = [e for group in entries for e in (group if isinstance(group, list) else [group])]
    return config


def _dims_match(config_dims: list[int], model_dims: tuple) -> bool:
    """Triton's rule: equal ranks; each axis equal, or dynamic (-1) in the config or in the model."""
    return len(config_dims) == len(model_dims) and all(
        c == -1 or isinstance(m, str) or c == m for c, m in zip(config_dims, model_dims)
    )


def check_model_config(config_path: str | Path, onnx_path: str | Path) -> list[str]:
    """Return every mismatch between a Triton config and an exported ONNX model; empty when they agree.

    Names must match exactly (every config tensor exists in the model, every model output is served), types map
    to Triton's, and dims agree axis by axis with the batch axis left out when `max_batch_size > 0`.

    Args:
        config_path (str | Path): The model's `config.pbtxt`.
        onnx_path (str | Path): The exported model (`yolo export format=onnx ...`).

    Returns:
        (list[str]): One line per mismatch.
    """
    config = read_model_config(config_path)
    inputs, outputs = io_specs(onnx_path)
    batched = int(config.get("max_batch_size", 0)) > 0
    problems = []
    for role, entries, specs in (("input", config["input"], inputs), ("output", config["output"], outputs)):
        by_name: dict[str, TensorSpec] = {s.name: s for s in specs}
        names = {e.get("name") for e in entries}
        if role == "output":
            problems += [f"model output '{n}' is not in the config" for n in by_name if n not in names]
        for entry in entries:
            spec = by_name.get(entry.get("name"))
            if spec is None:
                problems.append(f"config {role} '{entry.get('name')}' is not a model {role} ({sorted(by_name)})")
                continue
            expected = TRITON_TYPES.get(spec.dtype, f"TYPE_{spec.dtype}")
            if entry.get("data_type") != expected:
                problems.append(f"{role} '{spec.name}': data_type {entry.get('data_type')}, the model has {expected}")
            dims = entry.get("dims", [])
            dims = dims if isinstance(dims, list) else [dims]
            model_dims = spec.dims[1:] if batched else spec.dims
            if not _dims_match(dims, model_dims):
                problems.append(f"{role} '{spec.name}': dims {dims}, the model has {list(model_dims)}")
    return problems
