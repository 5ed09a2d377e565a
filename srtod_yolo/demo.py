"""`make demo` / `srtod demo`: the main job end to end on embedded data, on a CPU, in a few minutes.

1. build a small synthetic anti-UAV set (no download);
2. train srtod-yolov8n-p2 briefly with the stock ultralytics trainer;
3. predict on a swarm video, saving the annotated video with the SR-TOD difference map beside each frame;
4. save one frame's difference map as a picture.
"""

from __future__ import annotations

from pathlib import Path

import cv2

__all__ = ("run_demo",)


def run_demo(
    out: str = "demo", epochs: int = 6, imgsz: int = 320, train: int = 400, val: int = 80, seed: int = 0
) -> dict:
    """Run the demo; return the paths it wrote."""
    from ultralytics import YOLO

    from .data.synth import build_dataset
    from .viz import difference_overlay, side_by_side

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
    weights = out / "train" / "weights" / "best.pt"

    video = data / "videos" / "swarm.mp4"
    model = YOLO(weights)
    picture, best = out / "difference_map.png", (-1, None)
    for result in model.predict(
        source=str(video),
        imgsz=imgsz,
        conf=0.15,
        save=True,
        save_diff=True,
        project=str(out),
        name="predict",
        exist_ok=True,
        stream=True,
        verbose=False,
    ):
        difference = getattr(result, "difference", None)
        if difference is not None and len(result.boxes) > best[0]:
            best = (len(result.boxes), (result.plot(), difference, result.orig_img))
    if best[1] is not None:
        plotted, difference, frame = best[1]
        threshold = float(model.model.srtod_layers[0].threshold.value.detach())
        panel = side_by_side(plotted, difference_overlay(frame, difference, threshold))
        panel = cv2.resize(panel, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)  # tiny drones, bigger picture
        cv2.imwrite(str(picture), panel)
    videos = sorted((out / "predict").glob("swarm.*"))
    paths = {"weights": weights, "video": videos[0] if videos else None, "difference_map": picture}
    print("\nsrtod demo wrote:")
    for name, path in paths.items():
        print(f"  {name:15s} {path}")
    return paths
