"""The `download:` steps of the dataset YAMLs, offline: the downloader hands over fixture archives laid out as
the real ones, and the test proves unzip + convert + layout, and that `yolo`'s dataset resolution gets a usable
dataset from them."""

import json
import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from conftest import REPO, run

import srtod_yolo.data.download as dl

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIDEOS_TOP = "Drone-detection-dataset-442d0c6750708cc221636f7a1fd31cbd8cb0aeb8"
LABELS_TOP = "Drone-detection-dataset-154cc2339030017c4ec233e57f9b2b90d2d806e3"


def zip_tree(zip_path: Path, trees: dict[str, Path]) -> Path:
    """A zip holding each source folder under its archive name ({arcname: folder})."""
    with zipfile.ZipFile(zip_path, "w") as z:
        for top, folder in trees.items():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    z.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return zip_path


def visdrone_archives(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    src = FIXTURES / "visdrone"
    trees = {"train": "VisDrone2019-DET-train", "val": "VisDrone2019-DET-val", "test": "VisDrone2019-DET-test-dev"}
    sources = {"train": src / trees["train"], "val": src / trees["val"], "test": src / trees["val"]}
    return {dl.VISDRONE_URLS[s]: zip_tree(folder / f"{trees[s]}.zip", {trees[s]: sources[s]}) for s in trees}


def fake_downloader(archives: dict[str, Path], requested: list):
    """Stands in for ultralytics' `download`: copies the archive of each URL, then lets ultralytics unzip it."""
    from ultralytics.utils.downloads import safe_download

    def download(url, dir=None, unzip=True, delete=False, **kwargs):
        for u in [url] if isinstance(url, str) else url:
            requested.append(u)
            target = Path(dir) / u.rsplit("/", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(archives[u], target)
            safe_download(target, dir=dir, unzip=unzip, delete=delete)

    return download


def test_visdrone_download_unzips_converts_and_lays_out(tmp_path, monkeypatch):
    requested = []
    monkeypatch.setattr(dl, "download", fake_downloader(visdrone_archives(tmp_path / "zips"), requested))
    summaries = dl.download_visdrone(tmp_path / "visdrone2019")
    root = tmp_path / "visdrone2019"
    assert requested == [
        "https://github.com/ultralytics/assets/releases/download/v0.0.0/VisDrone2019-DET-train.zip",
        "https://github.com/ultralytics/assets/releases/download/v0.0.0/VisDrone2019-DET-val.zip",
        "https://github.com/ultralytics/assets/releases/download/v0.0.0/VisDrone2019-DET-test-dev.zip",
    ]
    # raw/ removed; coco_ids.json keeps VisDrone's category ids for saved json (issue 15)
    assert sorted(p.name for p in root.iterdir()) == ["coco_ids.json", "data.yaml", "ignore", "images", "labels"]
    assert (root / "labels/test/0000001_02999_d_0000005.txt").read_text() == "9 0.300000 0.468750 0.100000 0.062500\n"
    assert (root / "ignore/train/0000002_00005_d_0000014.txt").read_text().count("\n") == 3
    image = root / "images/train/0000002_00005_d_0000014.jpg"
    assert image.is_file() and not image.is_symlink()  # moved in, not linked to a folder that is gone
    assert summaries["train"]["boxes"] == 3


def halmstad_archives(folder: Path, fork_has_videos: bool) -> dict[str, Path]:
    data = folder / "Data"
    for name, frames in (("Video_IR/IR_DRONE_001", 6), ("Video_IR/IR_DRONE_002", 2), ("Video_V/V_DRONE_003", 3)):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        w, h = (64, 48) if "IR" in name else (80, 64)
        writer = cv2.VideoWriter(str(data / f"{name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
        for i in range(frames):
            writer.write(np.full((h, w, 3), 40 * i, np.uint8))
        writer.release()
    fork = folder / "fork"
    shutil.copytree(FIXTURES / "halmstad", fork)
    if fork_has_videos:
        shutil.copytree(data, fork / "Data")
    else:  # Git LFS pointers where the clips would be
        pointer = fork / "Data" / "Video_IR" / "IR_DRONE_001.mp4"
        pointer.parent.mkdir(parents=True)
        pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 123\n")
    return {
        dl.HALMSTAD_VIDEOS_URL: zip_tree(folder / "videos.zip", {f"{VIDEOS_TOP}/Data": data}),
        dl.HALMSTAD_LABELS_URL: zip_tree(folder / "labels.zip", {LABELS_TOP: fork}),
    }


@pytest.mark.parametrize("fork_has_videos", [False, True])
def test_halmstad_download_unzips_converts_and_lays_out(tmp_path, monkeypatch, fork_has_videos):
    requested = []
    archives = halmstad_archives(tmp_path / "src", fork_has_videos)
    monkeypatch.setattr(dl, "download", fake_downloader(archives, requested))
    summaries = dl.download_halmstad(tmp_path / "halmstad-drone", stride=2, val_every=2)
    root = tmp_path / "halmstad-drone"
    expected = [dl.HALMSTAD_LABELS_URL] + ([] if fork_has_videos else [dl.HALMSTAD_VIDEOS_URL])
    assert requested == expected
    assert sorted(p.name for p in root.iterdir()) == ["data.yaml", "images", "labels"]  # raw/ removed
    assert sorted(p.name for p in (root / "images/train").iterdir())[:3] == [
        "IR_DRONE_001_00000.png",
        "IR_DRONE_001_00002.png",
        "IR_DRONE_001_00004.png",
    ]
    assert (root / "labels/val/IR_DRONE_002_00000.txt").read_text() == "0 0.062500 0.083333 0.125000 0.166667\n"
    assert summaries["train"]["clips"] == ["IR_DRONE_001", "V_DRONE_003"]


def test_halmstad_yaml_download_splits_by_the_shipped_val_clips(tmp_path, monkeypatch):
    from srtod_yolo.data.convert.halmstad import read_clip_list

    archives = halmstad_archives(tmp_path / "src", fork_has_videos=True)
    monkeypatch.setattr(dl, "download", fake_downloader(archives, []))
    listing = tmp_path / "val.txt"
    listing.write_text("IR_DRONE_001\n")
    summaries = dl.download_halmstad(tmp_path / "own", stride=2, val_clips=listing)
    assert summaries["val"]["clips"] == ["IR_DRONE_001"] and summaries["train"]["clips"] == [
        "IR_DRONE_002",
        "V_DRONE_003",
    ]
    # what `yolo val data=halmstad-drone.yaml` runs when the set is missing (ultralytics execs the YAML's download)
    script = yaml.safe_load((REPO / "cfg" / "datasets" / "halmstad-drone.yaml").read_text())["download"]
    logged = []
    monkeypatch.setattr(dl, "_report", lambda name, summaries: logged.append(summaries) or summaries)
    exec(script, {"yaml": {"path": tmp_path / "halmstad-drone"}})
    (summaries,) = logged
    # none of the fixture's clips is a shipped val clip: all go to train, and the 124 listed ones are counted as absent
    assert summaries["train"]["clips"] == ["IR_DRONE_001", "IR_DRONE_002", "V_DRONE_003"]
    shipped = read_clip_list("halmstad-drone-val-clips.txt")
    assert summaries["val"]["skipped"] == {"listed val clips not in the videos": len(shipped)} and len(shipped) == 124
    requested = []
    monkeypatch.setattr(dl, "download", fake_downloader(archives, requested))
    with pytest.raises(ValueError, match="not a Halmstad clip name"):  # a bad list fails before any download
        listing.write_text("drone-1\n")
        dl.download_halmstad(tmp_path / "bad", val_clips=listing)
    assert requested == [] and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("step", ["download_halmstad", "download_visdrone"])
def test_a_failed_download_says_what_to_do_and_leaves_nothing_half_made(tmp_path, monkeypatch, step):
    from srtod_yolo.errors import DatasetDownloadError

    def offline(url, dir=None, **kwargs):  # as ultralytics' download fails offline, after creating its folder
        Path(dir).mkdir(parents=True, exist_ok=True)
        (Path(dir) / "partial.zip").write_bytes(b"PK")
        raise ConnectionError(f"Download failure for {url}. Environment may be offline.")

    monkeypatch.setattr(dl, "download", offline)
    root = tmp_path / "datasets" / "some-set"
    with pytest.raises(DatasetDownloadError) as caught:
        getattr(dl, step)(root)
    message = str(caught.value)
    assert "could not be downloaded" in message and "may be offline" in message
    assert ("srtod convert dataset=halmstad" if "halmstad" in step else "srtod convert dataset=visdrone") in message
    urls = [dl.HALMSTAD_LABELS_URL] if "halmstad" in step else list(dl.VISDRONE_URLS.values())
    assert all(url in message for url in urls)
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, ConnectionError)
    assert not root.exists() and not (tmp_path / "datasets").exists()  # raw/, root and the datasets dir it made
    assert tmp_path.is_dir()  # what was there before stays

    root.mkdir(parents=True)
    (root / "kept.txt").write_text("the user's")  # a root holding something else keeps it
    with pytest.raises(DatasetDownloadError):
        getattr(dl, step)(root)
    assert sorted(p.name for p in root.iterdir()) == ["kept.txt"]


def test_droneswarms_and_aitod_convert_what_the_user_placed_or_say_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv(dl.DRONESWARMS_ENV, raising=False)
    monkeypatch.delenv(dl.AITOD_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match=r"hiyuur\.github\.io.*unpack it to '.*droneswarms/raw'.*SRTOD_DRONE"):
        dl.prepare_droneswarms(tmp_path / "droneswarms")
    with pytest.raises(FileNotFoundError, match=r"jwwangchn/AI-TOD.*at '.*aitod/raw' or set SRTOD_AITOD_RAW"):
        dl.prepare_aitod(tmp_path / "aitod")
    shutil.copytree(FIXTURES / "droneswarms", tmp_path / "droneswarms" / "raw")
    assert dl.prepare_droneswarms(tmp_path / "droneswarms")["val"]["boxes"] == 1
    assert (tmp_path / "droneswarms/images/train/0001.jpg").is_symlink()
    monkeypatch.setenv(dl.AITOD_ENV, str(FIXTURES / "aitod"))
    assert dl.prepare_aitod(tmp_path / "aitod")["train"]["boxes"] == 3
    assert (tmp_path / "aitod/labels/test/1047__600_0.txt").is_file()


def test_dataset_yamls_name_their_download_step():
    for name, function in {
        "visdrone2019": "download_visdrone",
        "halmstad-drone": "download_halmstad",
        "droneswarms": "prepare_droneswarms",
        "aitod": "prepare_aitod",
    }.items():
        data = yaml.safe_load((REPO / "cfg" / "datasets" / f"{name}.yaml").read_text())
        assert data["path"] == name and {"train", "val", "names"} <= set(data)
        assert f"from srtod_yolo.data.download import {function}" in data["download"]
        assert callable(getattr(dl, function))


RESOLVE = """
import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]).parent)]  # test_download and its conftest
import srtod_yolo.data.download as dl
from test_download import fake_downloader, visdrone_archives
dl.download = fake_downloader(visdrone_archives(Path(sys.argv[2])), [])
from ultralytics.data.utils import check_det_dataset
data = check_det_dataset("visdrone2019.yaml")
print(json.dumps({k: str(data[k]) for k in ("path", "train", "val", "test", "nc")} | {"names": data["names"]}))
"""


@pytest.mark.slow
def test_yolo_dataset_resolution_downloads_and_converts_visdrone(tmp_path, env):
    env = {**env, "YOLO_CONFIG_DIR": str(tmp_path / "config")}
    run(["yolo", "settings", f"datasets_dir={tmp_path / 'datasets'}"], cwd=tmp_path, env=env)
    script = tmp_path / "resolve.py"
    script.write_text(RESOLVE)
    out = run(["python", str(script), str(Path(__file__).parent), str(tmp_path / "zips")], cwd=tmp_path, env=env)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    root = tmp_path / "datasets" / "visdrone2019"
    assert Path(data["path"]) == root and data["nc"] == "10" and data["names"]["9"] == "motor"
    for split in ("train", "val", "test"):
        assert Path(data[split]) == root / "images" / split
        assert any(Path(data[split]).glob("*.jpg")), split
    assert (root / "labels" / "val" / "0000001_02999_d_0000005.txt").is_file()
