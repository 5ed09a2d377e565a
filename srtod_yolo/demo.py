"""`make demo` / `srtod demo`: the main job end to end on embedded data, on a CPU, in a few minutes.

1. build a small synthetic anti-UAV set (no download) and fine-tune srtod-yolov8n-p2 on it for a few epochs with
   the stock ultralytics trainer, from the released swarm-trained YOLOv8n-P2 (`pretrained=yolov8n-p2-swarm.pt`,
   the offline starting point the README recommends for users' own data), then predict on a synthetic swarm video;
2. predict with the released SR-TOD weights (trained on real Halmstad frames) on two real drone clips shipped with
   the package, one thermal and one visible, each at its own frame size, saving each annotated video with the
   difference map beside each frame;
3. save one frame of each video, prediction and difference map side by side, as a picture.

From scratch, a few CPU epochs find no drone at all (AP 0 after 5 epochs); from the swarm-trained starting point
the demo's model finds most of them after one.
"""

from __future__ import annotations

from pathlib import Path

import cv2

__all__ = ("CLIPS", "RELEASED", "START", "run_demo")

CLIPS = Path(__file__).resolve().parent / "assets" / "clips"
RELEASED = "srtod-yolov8n-p2-halmstad.pt"  # the paper's SR-TOD: its gate's mask is what the pictures outline
START = "yolov8n-p2-swarm.pt"  # released, offline: every layer SR-TOD shares with the stock YOLOv8n-P2


def _predict_clip(model, video: Path, out: Path, name: str, imgsz: int, conf: float, vid_stride: int = 1) -> dict:
    """Predict a clip with save_diff; save the annotated video and the frame with the most detections as a PNG."""
    from .viz import difference_overlay, side_by_side

    best = (-1, None)
    for result in model.predict(
        source=str(video),
        imgsz=imgsz,
        conf=conf,
        save=True,
        save_diff=True,
        project=str(out),
        name=name,
        exist_ok=True,
        stream=True,
        verbose=False,
        vid_stride=vid_stride,
    ):
        difference = getattr(result, "difference", None)
        if difference is not None and len(result.boxes) > best[0]:
            best = (len(result.boxes), (result.plot(), difference, result.orig_img))
    picture = out / f"{name}_difference_map.png"
    if best[1] is not None:
        plotted, difference, frame = best[1]
        threshold = float(model.model.srtod_layers[0].threshold.value.detach())
        panel = side_by_side(plotted, difference_overlay(frame, difference, threshold))
        if panel.shape[0] < 400:  # tiny drones, bigger picture
            panel = cv2.resize(panel, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(picture), panel)
    videos = sorted((out / name).glob(f"{video.stem}.*"))
    return {f"{name} video": videos[0] if videos else None, f"{name} picture": picture if best[1] else None}


def run_demo(
    out: str = "demo",
    epochs: int = 3,
    imgsz: int = 320,
    train: int = 300,
    val: int = 60,
    seed: int = 0,
    vid_stride: int = 1,
) -> dict:
    """Run the demo; return the paths it wrote (`vid_stride` > 1 predicts every n-th frame of the videos).

    Args:
        out (str): Folder for everything the demo writes (the synthetic set, the training run, videos, pictures).
        epochs (int): Fine-tuning epochs on the synthetic set.
        imgsz (int): Training and synthetic-video size; the synthetic frames are rendered at this width.
        train (int): Synthetic training images; val (int): synthetic val images.
        seed (int): Seed of the synthetic set and of training.
        vid_stride (int): Predict every n-th frame of the videos.
    """
    from ultralytics import YOLO

    from .data.images import native_imgsz
    from .data.synth import build_dataset
    from .weights import resolve_weights

    out = Path(out).resolve()
    start = resolve_weights(START)
    released = resolve_weights(RELEASED)
    print(
        f"srtod demo: everything goes into {out}\n"
        f"  1. build {train + val} synthetic anti-UAV frames at {imgsz}x{imgsz * 4 // 5} (no download)\n"
        f"  2. fine-tune SR-TOD (srtod-yolov8n-p2.yaml) on them for {epochs} epoch(s), "
        + (f"from the released swarm-trained {START}" if start else f"from scratch ({START} is not installed)")
        + " (a few minutes on a CPU), then predict a synthetic swarm video with it\n"
        + (
            f"  3. predict two real drone clips (thermal, visible) with the released {RELEASED}, each at its own "
            "frame size, the difference map beside each frame\n"
            if released
            else f"  3. (skipped: the released {RELEASED} is not installed)\n"
        ),
        flush=True,
    )
    data = out / "droneswarms-synth"
    if not (data / "stats.json").is_file():
        # Native size = network size, so drones keep their DroneSwarms-like 2 to 16 px.
        build_dataset(data, train=train, val=val, seed=seed, width=imgsz, height=imgsz * 4 // 5, video_frames=90)

    model = YOLO("srtod-yolov8n-p2.yaml")
    metrics = model.train(
        data=str(data / "data.yaml"),
        epochs=epochs,
        imgsz=imgsz,
        batch=16,
        seed=seed,
        deterministic=True,
        project=str(out),
        name="train",
        exist_ok=True,
        workers=2,
        close_mosaic=max(1, epochs // 3),
        pretrained=str(start) if start else False,
    )
    aitod = getattr(metrics, "aitod", None) or {}
    paths = {"weights (synthetic, brief)": out / "train" / "weights" / "best.pt"}
    trained = YOLO(paths["weights (synthetic, brief)"])
    paths.update(
        _predict_clip(trained, data / "videos" / "swarm.mp4", out, "predict_synthetic", imgsz, 0.15, vid_stride)
    )

    if released:
        model = YOLO(RELEASED)
        for clip in sorted(CLIPS.glob("*.mp4")):
            size = native_imgsz(clip)  # each clip at its own size, as the released models were evaluated
            paths.update(_predict_clip(model, clip, out, f"predict_{clip.stem}", size, 0.25, vid_stride))
    if aitod:
        named = {"AP": "AP", "AP_vt": "AP_vt", "AP_t": "AP_t", "AP25": "AP@0.25"}
        scores = ", ".join(f"{label} {100 * aitod[k]:.1f}" for k, label in named.items() if aitod.get(k, -1) >= 0)
        print(f"\nsrtod demo: the fine-tuned SR-TOD model on the {val} synthetic val frames: {scores} (x100, AI-TOD)")
    print("\nsrtod demo wrote:")
    for name, path in paths.items():
        print(f"  {name:34s} {path}")
    return paths
