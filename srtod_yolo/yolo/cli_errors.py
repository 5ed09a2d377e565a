"""Short error messages for a user's mistake on the `yolo` and `srtod` commands.

A misspelled file, model or dataset name on the command line ends in a 30- to 40-line traceback through
ultralytics' internals, with the message that says what to do on its last line. For the two commands (never for
Python code that imports ultralytics), an error that is the user's input is printed as its message alone:

- any error whose chain (`__cause__` / `__context__`) holds a `FileNotFoundError`: a path or name that does not
  exist, including ultralytics' "Dataset ... error" that wraps one (its message already quotes the inner one);
- a `ValueError`, `RuntimeError` or `FileExistsError` raised by srtod-yolo's own code, which raises them only to
  refuse bad input (16-bit frames, a bad argument, an unsupported ultralytics version) with the fix in the message;
- a `srtod_yolo.errors.MissingPackageError`: an optional package a feature needs (TensorRT, SAHI, TrackEval), named
  with its install command (a failed import inside srtod-yolo is a plain `ModuleNotFoundError`, a bug, and keeps
  its traceback);
- a `ValueError`, `TypeError` or `SyntaxError` raised by one of ultralytics' argument checks (`ULTRALYTICS_CHECKS`:
  `conf=1.5`, `imgsz=six40`, `batch=abc`, an unknown argument, `device=cuda:0` on a machine without CUDA) whose
  message names the argument (`'key=value'`, or "is not a valid YOLO argument"): a caller's bug inside those
  functions (a TypeError from a builtin) names none and keeps its traceback.

Anything else (a bug, an interrupt) keeps Python's full traceback, and `SRTOD_YOLO_TRACEBACK=1` keeps it for all.

Whatever the error, the run folders the failed command created and left empty (ultralytics makes `runs/detect/val`
before it checks the data) are removed, so that a failed try does not push the next run to `val2`.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from ..errors import MissingPackageError

COMMANDS = frozenset({"yolo", "ultralytics", "srtod"})  # console scripts whose errors are shortened
SWITCH = "SRTOD_YOLO_TRACEBACK"  # =1: full tracebacks always
OWN_TYPES = (ValueError, RuntimeError, FileExistsError)  # what srtod-yolo raises to refuse bad input
PACKAGE = Path(__file__).resolve().parents[1]  # srtod_yolo/
# ultralytics functions that only check the user's arguments, and what they raise when one is wrong.
ULTRALYTICS_CHECKS = frozenset({"check_cfg", "check_dict_alignment", "check_imgsz", "select_device"})
ULTRALYTICS_CHECK_TYPES = (ValueError, TypeError, SyntaxError)
NAMES_AN_ARGUMENT = re.compile(r"'\w+=|is not a valid YOLO argument")  # how those checks' messages name it


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
    if code is None or code.co_name not in ULTRALYTICS_CHECKS or "ultralytics" not in Path(code.co_filename).parts:
        return False
    return NAMES_AN_ARGUMENT.search(str(error)) is not None


def is_user_error(error: BaseException) -> bool:
    """Whether `error` is a mistake in the user's input, to be shown as its message alone (see the module doc)."""
    if any(isinstance(e, FileNotFoundError) for e in _chain(error)):
        return True
    if isinstance(error, MissingPackageError) or (isinstance(error, OWN_TYPES) and _raised_in_package(error)):
        return True
    return isinstance(error, ULTRALYTICS_CHECK_TYPES) and _raised_by_ultralytics_check(error)


def short_message(error: BaseException) -> str:
    """The lines printed instead of the traceback."""
    return f"{type(error).__name__}: {error}\n(the full traceback: run the command again with {SWITCH}=1)\n"


STARTED = time.time()  # when this process imported the module: folders made since are this command's


def remove_empty_run_folders(since: float, argv: list[str] | None = None) -> list[Path]:
    """Remove the empty run folders that a failed `yolo` command (`argv`, default `sys.argv[1:]`) made since `since`.

    The folders are the command's own: named as ultralytics names its run (`name=`, else the mode: `val`, `val-2`,
    ...), in ultralytics' runs_dir (`runs/<task>/[<project>/]<name>`) or in an absolute `project=`, made at or after
    `since` (epoch seconds) and empty. Another command's run, even one started meanwhile under another name, is not
    touched. Returns the removed folders. Never raises: it runs while an error is being reported.
    """
    removed = []
    try:
        from ultralytics.cfg import MODES
        from ultralytics.utils import SETTINGS

        tokens = sys.argv[1:] if argv is None else argv
        args = dict(token.partition("=")[::2] for token in tokens if "=" in token)
        words = [token for token in tokens if "=" not in token]
        name = args.get("name") or next((w for w in words if w in MODES), None)
        if not name:
            return removed
        own = re.compile(re.escape(name) + r"-?\d*")
        roots = [Path(SETTINGS["runs_dir"])]
        if args.get("project") and Path(args["project"]).is_absolute():
            roots.append(Path(args["project"]))
        for root in roots:
            for pattern in (f"*/*/{name}*", f"*/{name}*", f"{name}*"):
                for folder in root.glob(pattern):
                    if not (own.fullmatch(folder.name) and folder.is_dir()):
                        continue
                    if folder.stat().st_ctime >= since - 1 and not any(folder.iterdir()):
                        folder.rmdir()
                        removed.append(folder)
        project = roots[1] if len(roots) > 1 else None  # an absolute project= the command made and left empty
        new = project is not None and project.is_dir() and project.stat().st_ctime >= since - 1
        if removed and new and not any(project.iterdir()):
            project.rmdir()
            removed.append(project)
    except Exception:  # noqa: BLE001 (reporting the error matters more than tidying up)
        pass
    return removed


def excepthook(kind, error, tb, fallback=None) -> None:
    """`sys.excepthook` for the commands: the message alone for a user error, else `fallback` (Python's)."""
    remove_empty_run_folders(STARTED)
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
