"""`make demo` / `srtod demo`: the main job end to end on embedded data, on a CPU, in a few minutes.

1. build a small synthetic anti-UAV set (no download) and train srtod-yolov8n-p2 on it briefly with the stock
   ultralytics trainer, then predict on a synthetic swarm video;
2. predict with the released SR-TOD weights (trained on real Halmstad frames) on two real drone clips shipped with
   the package, one thermal and one visible, saving each annotated video with the difference map beside each frame;
3. save one frame of each video, prediction and difference map side by side, as a picture.
"""

from __future__ import annotations

from pathlib import Path

import cv2

__all__ = ("CLIPS", "RELEASED", "run_demo")

CLIPS = Path(__file__).resolve().parent / "assets" / "clips"
RELEASED = "srtod-yolov8n-p2-halmstad.pt"


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
    epochs: int = 5,
    imgsz: int = 320,
    train: int = 300,
    val: int = 60,
    seed: int = 0,
    vid_stride: int = 1,
) -> dict:
    """Run the demo; return the paths it wrote (`vid_stride` > 1 predicts every n-th frame of the videos)."""
    from ultralytics import YOLO

    from .data.synth import build_dataset
    from .weights import resolve_weights

    out = Path(out).resolve()
    data = out / "droneswarms-synth"
    if not (data / "stats.json").is_file():
        # Native size = network size, so drones keep their DroneSwarms-like 2 to 16 px.
        build_dataset(data, train=train, val=val, seed=seed, width=imgsz, height=imgsz * 4 // 5, video_frames=90)

    model = YOLO("srtod-yolov8n-p2.yaml")
    model.train(
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
    )
    paths = {"weights (synthetic, brief)": out / "train" / "weights" / "best.pt"}
    trained = YOLO(paths["weights (synthetic, brief)"])
    paths.update(
        _predict_clip(trained, data / "videos" / "swarm.mp4", out, "predict_synthetic", imgsz, 0.15, vid_stride)
    )

    if resolve_weights(RELEASED):
        released = YOLO(RELEASED)
        for clip in sorted(CLIPS.glob("*.mp4")):
            paths.update(_predict_clip(released, clip, out, f"predict_{clip.stem}", imgsz, 0.25, vid_stride))
    else:
        print(f"\nsrtod demo: the released weights '{RELEASED}' are not installed; skipped the real clips")
    print("\nsrtod demo wrote:")
    for name, path in paths.items():
        print(f"  {name:34s} {path}")
    return paths
