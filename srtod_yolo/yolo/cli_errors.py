"""Short error messages for a user's mistake on the `yolo` and `srtod` commands.

A misspelled file, model or dataset name on the command line ends in a 30- to 40-line traceback through
ultralytics' internals, with the message that says what to do on its last line. For the two commands (never for
Python code that imports ultralytics), an error that is the user's input is printed as its message alone:

- any error whose chain (`__cause__` / `__context__`) holds a `FileNotFoundError`: a path or name that does not
  exist, including ultralytics' "Dataset ... error" that wraps one (its message already quotes the inner one);
- a `ValueError`, `RuntimeError`, `FileExistsError` or `ModuleNotFoundError` raised by srtod-yolo's own code, which
  raises them only to refuse bad input (16-bit frames, a bad argument, an unsupported ultralytics version) or to name
  a missing optional package (TensorRT, SAHI) with the fix in the message;
- a `ValueError`, `TypeError` or `SyntaxError` raised by one of ultralytics' argument checks (`ULTRALYTICS_CHECKS`:
  `conf=1.5`, `imgsz=six40`, `batch=abc`, an unknown argument, `device=cuda:0` on a machine without CUDA), whose
  messages already name the argument and its valid values.

Anything else (a bug, an interrupt) keeps Python's full traceback, and `SRTOD_YOLO_TRACEBACK=1` keeps it for all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMMANDS = frozenset({"yolo", "ultralytics", "srtod"})  # console scripts whose errors are shortened
SWITCH = "SRTOD_YOLO_TRACEBACK"  # =1: full tracebacks always
# What srtod-yolo raises to refuse bad input or name a missing optional package (an import that fails inside the
# package ends in importlib's frames, not srtod-yolo's, so it keeps its traceback).
OWN_TYPES = (ValueError, RuntimeError, FileExistsError, ModuleNotFoundError)
PACKAGE = Path(__file__).resolve().parents[1]  # srtod_yolo/
# ultralytics functions that only check the user's arguments, and what they raise when one is wrong.
ULTRALYTICS_CHECKS = frozenset({"check_cfg", "check_dict_alignment", "check_imgsz", "select_device"})
ULTRALYTICS_CHECK_TYPES = (ValueError, TypeError, SyntaxError)


def _chain(error: BaseException) -> list[BaseException]:
    seen, out = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        out.append(error)
        error = error.__cause__ or error.__context__
    return out


def _raising_code(error: BaseException):
    """The code object of the frame that raised `error` (the innermost of its traceback), or None."""
    tb = error.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code


def _raised_in_package(error: BaseException) -> bool:
    code = _raising_code(error)
    return code is not None and Path(code.co_filename).resolve().is_relative_to(PACKAGE)


def _raised_by_ultralytics_check(error: BaseException) -> bool:
    code = _raising_code(error)
    return code is not None and code.co_name in ULTRALYTICS_CHECKS and "ultralytics" in Path(code.co_filename).parts


def is_user_error(error: BaseException) -> bool:
    """Whether `error` is a mistake in the user's input, to be shown as its message alone (see the module doc)."""
    if any(isinstance(e, FileNotFoundError) for e in _chain(error)):
        return True
    if isinstance(error, OWN_TYPES) and _raised_in_package(error):
        return True
    return isinstance(error, ULTRALYTICS_CHECK_TYPES) and _raised_by_ultralytics_check(error)


def short_message(error: BaseException) -> str:
    """The lines printed instead of the traceback."""
    return f"{type(error).__name__}: {error}\n(the full traceback: run the command again with {SWITCH}=1)\n"


def excepthook(kind, error, tb, fallback=None) -> None:
    """`sys.excepthook` for the commands: the message alone for a user error, else `fallback` (Python's)."""
    if os.environ.get(SWITCH, "0") != "1" and isinstance(error, Exception) and is_user_error(error):
        sys.stderr.write(short_message(error))
        return
    (fallback or sys.__excepthook__)(kind, error, tb)


def install_excepthook(program: str | None = None) -> bool:
    """Shorten user errors if this process is one of `COMMANDS` (by `sys.argv[0]`); return whether it did.

    A process that has its own `sys.excepthook` already (an IDE, IPython) keeps it.
    """
    name = Path(program if program is not None else (sys.argv[0] if sys.argv else "")).name
    if name not in COMMANDS or sys.excepthook is not sys.__excepthook__:
        return False
    fallback = sys.excepthook
    sys.excepthook = lambda kind, error, tb: excepthook(kind, error, tb, fallback)
    return True
