"""Reading the text files a user names (labels, manifests, tracks) with an error that says which file and what kind."""

from __future__ import annotations

from pathlib import Path

__all__ = ("read_text",)


def read_text(path: str | Path, expected: str, encoding: str = "utf-8-sig") -> str:
    """The whole text of `path`; a byte-order mark at its start is dropped (`utf-8-sig`).

    Args:
        path (str | Path): A file the user gave (a label CSV, a MOTChallenge file, a list of clips, ...).
        expected (str): What it should hold, for the message, e.g. "a MOTChallenge file (frame,id,x,y,w,h,...)".
        encoding (str): Its text encoding.

    Raises:
        FileNotFoundError: The file is missing (the message names it).
        ValueError: The file is not text in `encoding`, e.g. a video or an image given by mistake: the message names
            the file and what was expected, instead of the codec's byte position alone.
    """
    path = Path(path)
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a text file (byte {e.start} is not {e.encoding}); expected {expected}") from None
