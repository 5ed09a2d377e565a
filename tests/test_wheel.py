"""The wheel `make dist` builds installs into a fresh venv, and `yolo predict` with the released weights works there.

The fresh venv sees this environment's installed dependencies through a `.pth` line (so nothing is downloaded) but
not the checkout: what it imports of srtod-yolo is the wheel's own content (code, cfg YAMLs, weights, the `.pth`
hook that arms ultralytics).
"""

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import cv2
import pytest
from conftest import REPO

CLIP = REPO / "srtod_yolo" / "assets" / "clips" / "IR_DRONE_025.mp4"  # a real CC0 thermal clip shipped with the demo
# What pip writes as ultralytics' `yolo` console script; the fresh venv gets it from ultralytics' entry point.
YOLO_SCRIPT = "#!{python}\nimport sys\nfrom ultralytics.cfg import entrypoint\nsys.exit(entrypoint())\n"
CHECK = """
import json, srtod_yolo, ultralytics
from srtod_yolo.weights import released_weights, resolve_weights
from srtod_yolo.yolo.hooks import _state, config_dirs
from srtod_yolo.data.convert.halmstad import read_clip_list
weights = resolve_weights("srtod-yolov8n-p2-halmstad.pt")
released = sorted(released_weights())
configs = [str(d) for d in config_dirs()]
hooks = _state["installed"]
print(json.dumps({"package": srtod_yolo.__file__, "hooks": hooks, "weights": weights, "configs": configs,
                  "released": released, "val_clips": len(read_clip_list("halmstad-drone-val-clips.txt"))}))
"""


def build_wheel(out: Path) -> Path:
    """Build the wheel as `make dist` does (hatchling from this environment, no download)."""
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"the wheel build failed (is hatchling, of the [dev] extra, installed?):\n{proc.stderr}"
    )
    (wheel,) = out.glob("srtod_yolo-*-py3-none-any.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_predicts_from_another_directory(tmp_path, env):
    wheel = build_wheel(tmp_path / "dist")
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies only: a path line in a .pth adds that folder but runs none of its own .pth files (so not the
    # editable install of the checkout that this environment may hold).
    (site / "_installed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    clean = {k: v for k, v in env.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", f"{wheel}[sahi]"]
    proc = subprocess.run(install, capture_output=True, text=True, env=clean, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yolo = fresh / "bin" / "yolo"
    yolo.write_text(YOLO_SCRIPT.format(python=python))
    yolo.chmod(0o755)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ok, frame = cv2.VideoCapture(str(CLIP)).read()
    assert ok
    cv2.imwrite(str(elsewhere / "frame.png"), frame)

    def in_fresh(*args: str) -> str:
        proc = subprocess.run(args, cwd=elsewhere, env=clean, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    found = json.loads(in_fresh(str(python), "-c", CHECK).strip().splitlines()[-1])
    inside = str(site) + os.sep
    assert found["package"].startswith(inside), found  # the wheel's code, not the checkout's
    assert found["hooks"]  # armed by the wheel's .pth file when ultralytics was imported
    assert found["weights"] == str(site / "srtod_yolo" / "weights" / "srtod-yolov8n-p2-halmstad.pt")
    assert found["released"] == sorted(p.name for p in (REPO / "weights").glob("*.pt"))  # every checkpoint ships
    assert all(d.startswith(inside) and any(Path(d).glob("*.yaml")) for d in found["configs"]), found
    assert found["val_clips"] == 124  # the Halmstad val clip list ships beside the dataset YAMLs
    out = in_fresh(str(yolo), "predict", "model=srtod-yolov8n-p2-halmstad.pt", "source=frame.png", "save=False")
    assert f"image 1/1 {elsewhere / 'frame.png'}: 256x320 1 drone" in out, out
    info = in_fresh(str(fresh / "bin" / "srtod"), "info")  # the wheel's own console script
    assert "srtod-yolo" in info and "srtod-yolov8n-p2-halmstad.pt" in info  # and it lists the released weights
