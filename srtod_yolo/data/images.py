"""High-bit-depth frames (radiometric thermal cameras write 16-bit PNG/TIFF): detect them, bring them to 8 bits.

OpenCV and ultralytics read a 16-bit image as 8-bit by keeping its high byte. A thermal frame whose raw counts span,
say, 7,000 to 8,000 then becomes a flat image of grey level 27 to 31, and a drone a few counts warmer than the sky
vanishes without any warning. srtod-yolo refuses such frames with a message, whatever they arrive in, and `to_8bit`
converts them the way thermal cameras do for display: a per-frame percentile stretch (automatic gain control).

What counts as 8-bit, by container (the rule `yolo predict/track/val` and sliced inference apply):

- files: PNG, TIFF, PGM/PPM and JPEG 2000 with more than 8 bits per sample (16-bit, or float TIFF) are refused
  (`check_8bit`, from the header; JPEG 2000 is decoded); JPEG, BMP and WebP hold 8 bits; AVIF/HEIC decoders
  deliver 8 bits.
- numpy arrays: `uint8` is what ultralytics takes. A float array is taken on ultralytics' 0-255 scale when its values
  lie in [0, 255]; one normalised to [0, 1] (maximum above 0, at most 1), one outside [0, 255], and every other
  integer type (uint16, int16, int32, ...) are refused (`check_frame`).
- PIL images: the 8-bit modes (1, L, P, LA, PA, RGB, RGBA, CMYK, YCbCr, ...) are converted to RGB by PIL as usual;
  the modes I;16, I;16B, I;16L, I;16N, I (32-bit integer) and F (32-bit float) are refused.
- torch tensors (B, C, H, W): float in [0, 1] as ultralytics expects, or on the 0-255 scale (uint8, or float up to
  255, which ultralytics divides by 255); other integer types and values outside [0, 255] are refused.
- videos and streams: OpenCV decodes them to 8-bit BGR. A grey video of more than 8 bits per pixel (e.g. FFV1
  gray16le from a radiometric camera) is refused (`video_pixel_depth`); colour video of 10 or 12 bits keeps its top
  8 bits, the usual display conversion (the predictor says so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = (
    "HighBitDepthError",
    "bit_depth",
    "check_8bit",
    "check_frame",
    "check_video",
    "native_imgsz",
    "to_8bit",
    "video_pixel_depth",
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PIL_DEPTH = {"I;16": 16, "I;16B": 16, "I;16L": 16, "I;16N": 16, "I": 32, "F": 32}
_NETPBM = {".pgm", ".ppm", ".pnm", ".pbm"}
_JPEG2000 = {".jp2", ".j2k", ".jpx", ".jpf", ".jpeg2000"}
FIX = (
    "Convert it first with srtod_yolo.data.images.to_8bit(frame) (a per-frame percentile stretch, as thermal "
    "cameras do for display)"
)


class HighBitDepthError(ValueError):
    """An image has more than 8 bits per channel, which ultralytics would silently cut to its high byte."""


def _netpbm_depth(head: bytes) -> int:
    """Bits per sample of a PGM/PPM file from its header (maxval above 255: 16 bits)."""
    tokens = []
    for line in head.split(b"\n"):
        tokens += line.split(b"#")[0].split()
        if len(tokens) >= 4:
            break
    if len(tokens) >= 4 and tokens[0] in (b"P2", b"P3", b"P5", b"P6") and tokens[3].isdigit():
        return 16 if int(tokens[3]) > 255 else 8
    return 8


def bit_depth(path: str | Path) -> int:
    """Bits per sample of an image file, from its header (8 for ordinary images; 8 if the format is unknown).

    PNG: the IHDR bit depth. TIFF: the largest BitsPerSample (32 for float samples). PGM/PPM: 16 if maxval > 255.
    JPEG 2000: the depth OpenCV decodes it to. Other formats (JPEG, BMP, WebP, ...) hold 8 bits.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(_PNG_SIGNATURE) and len(head) >= 25:
        return head[24]  # IHDR bit depth: 1, 2, 4, 8 or 16
    suffix = path.suffix.lower()
    if suffix in _NETPBM:
        return _netpbm_depth(head)
    if suffix in {".tif", ".tiff"}:
        from PIL import Image

        try:
            with Image.open(path) as im:
                bits = getattr(im, "tag_v2", {}).get(258)  # BitsPerSample, per sample: 16-bit RGB opens as 'RGB'
                bits = max(bits) if isinstance(bits, (tuple, list)) and bits else bits
                return max(int(bits or 8), _PIL_DEPTH.get(im.mode, 8))
        except (OSError, ValueError):
            return 8  # unreadable: the loader reports it as a corrupt image
    if suffix in _JPEG2000:
        import cv2

        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
        return 8 if image is None else image.dtype.itemsize * 8
    return 8


def check_8bit(path: str | Path) -> None:
    """Raise `HighBitDepthError` naming the file and the fix if an image has more than 8 bits per channel."""
    depth = bit_depth(path)
    if depth > 8:
        raise HighBitDepthError(
            f"'{path}' is a {depth}-bit image (a radiometric thermal frame?). ultralytics reads it as 8-bit by keeping "
            "only the high byte, which flattens a thermal frame and hides tiny targets. Convert it first, e.g. "
            "`srtod_yolo.data.images.to_8bit(cv2.imread(path, cv2.IMREAD_UNCHANGED))` (a per-frame percentile "
            "stretch, as thermal cameras do for display), and save the result as an 8-bit PNG."
        )


def _value_range(values) -> tuple[float, float]:
    """(min, max) of an array or tensor, as Python floats (0, 0 when empty)."""
    if values.size == 0 if isinstance(values, np.ndarray) else values.numel() == 0:
        return 0.0, 0.0
    return float(values.min()), float(values.max())


def check_frame(frame, name: str = "the source") -> None:
    """Raise `HighBitDepthError` naming the frame and the fix unless it is an 8-bit frame by this module's rule.

    Args:
        frame: A numpy array (H, W[, C]), a PIL image or a torch tensor ([B,] C, H, W), as given to `predict`.
        name (str): How the message names it, e.g. 'source[2]'.

    Anything else (file names, URLs, stream addresses) is left to `check_8bit` and `check_video`.
    """
    import sys

    kind = type(frame).__module__.split(".")[0]
    if isinstance(frame, np.ndarray):
        dtype = frame.dtype
        if dtype == np.uint8:
            return
        if dtype.kind == "f":
            low, high = _value_range(frame)
            normalised = low >= 0 and 0 < high <= 1
            if low >= 0 and high <= 255 and not normalised:
                return  # ultralytics' 0-255 scale
            if normalised:
                what, fix = "normalised to [0, 1]", "Multiply it by 255 and cast it to uint8"
            else:
                what, fix = f"with values from {low:g} to {high:g}", FIX
            raise HighBitDepthError(
                f"{name} is a {dtype} array {what}; ultralytics reads numpy frames on the 0-255 scale, so it would "
                f"see a wrong image. {fix}."
            )
        raise HighBitDepthError(
            f"{name} is a {dtype} array; ultralytics keeps only the high byte of frames deeper than 8 bits (or "
            f"misreads signed ones). {FIX}, or cast frames already on the 0-255 scale to uint8."
        )
    if kind == "PIL" and hasattr(frame, "mode"):
        if frame.mode in _PIL_DEPTH:
            raise HighBitDepthError(
                f"{name} is a PIL image of mode '{frame.mode}' ({_PIL_DEPTH[frame.mode]}-bit); ultralytics would cut "
                f"it to its high byte or clip it at 255. {FIX}: to_8bit(numpy.asarray(image))."
            )
        return
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(frame, torch.Tensor):
        low, high = _value_range(frame.detach())
        wide_int = not frame.is_floating_point() and frame.dtype is not torch.uint8
        if wide_int or low < 0 or high > 255:
            raise HighBitDepthError(
                f"{name} is a {frame.dtype} tensor with values from {low:g} to {high:g}; ultralytics takes tensors "
                f"in [0, 1] (or 0-255, which it divides by 255). {FIX}, then torch.from_numpy(frame).permute(2, 0, 1)"
                "[None] / 255."
            )


def video_pixel_depth(capture) -> tuple[int, int]:
    """(bits per sample, channels) of an opened `cv2.VideoCapture`'s decoded pixel format; (8, 3) if unknown.

    OpenCV reports the codec's pixel format as a FourCC; FFmpeg's raw formats deeper than 8 bits carry the depth in
    its last byte: 'Y1' 0 16 is gray16le, 'Y3' 11 10 is yuv420p10le.
    """
    import cv2

    tag = int(capture.get(cv2.CAP_PROP_CODEC_PIXEL_FORMAT)) & 0xFFFFFFFF
    code = bytes((tag >> 8 * i) & 0xFF for i in range(4))
    if code[2] < 32 and 8 < code[3] <= 32:  # a non-printable third byte: FFmpeg's depth-carrying tags
        return code[3], 1 if code[:2] == b"Y1" else 3
    return 8, 3


def check_video(capture, name: str) -> int:
    """Raise `HighBitDepthError` for a grey video deeper than 8 bits; else return its bits per sample.

    OpenCV decodes such a video (a radiometric thermal recording, e.g. FFV1 gray16le) to 8 bits by keeping the high
    byte, which flattens it. Colour video of 10 or 12 bits is returned as such: its top 8 bits are its display form.
    """
    bits, channels = video_pixel_depth(capture)
    if bits > 8 and channels == 1:
        raise HighBitDepthError(
            f"'{name}' is a {bits}-bit grey video (a radiometric thermal recording?); OpenCV decodes it to 8 bits by "
            "keeping the high byte, which flattens it and hides tiny targets. Read its frames with "
            "cv2.VideoCapture(path) after cap.set(cv2.CAP_PROP_CONVERT_RGB, 0), convert each with "
            "srtod_yolo.data.images.to_8bit(frame) and predict on the converted frames (or save an 8-bit video)."
        )
    return bits


def to_8bit(image: np.ndarray, low: float = 0.5, high: float = 99.5, channels: int = 3) -> np.ndarray:
    """Stretch a high-bit-depth frame to uint8 between two percentiles of its values (automatic gain control).

    Args:
        image (np.ndarray): Frame (H, W) or (H, W, C) of any numeric dtype, e.g. uint16 raw thermal counts.
        low (float): Percentile mapped to 0.
        high (float): Percentile mapped to 255.
        channels (int): Channels of the result: 3 (a grey frame in three identical channels, what an RGB model
            takes) or 1.

    Returns:
        (np.ndarray): uint8 frame (H, W, channels).

    Example:
        >>> raw = np.array([[7000, 7500], [7600, 8000]], np.uint16)
        >>> to_8bit(raw, 0, 100)[..., 0].tolist()
        [[0, 128], [153, 255]]
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f"to_8bit needs 0 <= low < high <= 100 percentiles, got {low}, {high}")
    if channels not in (1, 3):
        raise ValueError(f"to_8bit makes 1- or 3-channel frames, got channels={channels}")
    frame = np.asarray(image, np.float64)
    if frame.ndim == 3 and frame.shape[2] > 1:
        frame = frame.mean(2)  # thermal sensors have one band; a multi-band frame becomes its mean intensity
    frame = frame.reshape(frame.shape[:2])
    lo, hi = np.percentile(frame, [low, high])
    scaled = np.clip((frame - lo) / max(hi - lo, 1e-12) * 255, 0, 255)
    out = np.round(scaled).astype(np.uint8)[..., None]
    return np.repeat(out, channels, axis=2)


def native_imgsz(video: Path, stride: int = 32) -> int:
    """The inference size that keeps a clip's pixels at native scale: its frame's long side, up to a stride multiple.

    Raises:
        OSError: OpenCV cannot open the video or reports no frame size.
    """
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise OSError(f"OpenCV cannot open the video '{video}'")
        side = int(max(cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    if side <= 0:
        raise OSError(f"'{video}' reports no frame size")
    return -(-side // stride) * stride
