"""A binary file where a text file belongs (a video for a label CSV, an image for a list): the message names the file
and what it should hold, whichever reader meets it."""

import shutil
from pathlib import Path

import pytest

from srtod_yolo.data.convert import convert_coco, convert_visdrone
from srtod_yolo.data.convert.halmstad import read_clip_list, read_label_csv
from srtod_yolo.data.ignore import read_ignore_regions
from srtod_yolo.data.text import read_text
from srtod_yolo.metrics.tracking import read_ground_truth, read_mot

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xa7\xff\xfe" * 8  # not UTF-8


def _binary(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BINARY)
    return path


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (read_label_csv, "a Halmstad label CSV"),
        (read_clip_list, "clip names one a line"),
        (lambda p: read_ignore_regions(p, 640, 512), "an ignore-region file"),
        (read_mot, "a MOTChallenge file"),
        (read_ground_truth, "a MOTChallenge gt.txt"),
        (lambda p: convert_coco(p, p.parent, p.parent / "out", "train"), "a COCO annotation json"),
    ],
)
def test_each_reader_names_the_file_and_what_it_expected(tmp_path, read, expected):
    path = _binary(tmp_path / "frame_0001.png")
    message = rf"frame_0001\.png: not a text file \(byte 0 is not utf-8\); expected {expected}"
    with pytest.raises(ValueError, match=message):
        read(path)


def test_a_binary_visdrone_annotation_is_named_by_the_converter(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "visdrone", raw)
    shutil.rmtree(raw / "VisDrone2019-DET-val")
    annotation = next((raw / "VisDrone2019-DET-train" / "annotations").glob("*.txt"))
    _binary(annotation)
    with pytest.raises(ValueError, match=rf"{annotation.name}: not a text file .*; expected a VisDrone annotation"):
        convert_visdrone(raw, tmp_path / "out")


def test_text_reads_as_before_and_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffframe,label\n".encode())
    assert read_text(path, "x") == "frame,label\n"
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        read_text(tmp_path / "nothing.csv", "x")
