"""The README's Install section sends users only to what exists: no PyPI install of a name never published there."""

import re

from conftest import REPO


def install_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Install\n") : text.index("\n## ", text.index("## Install\n") + 1)]


def test_no_install_command_fetches_srtod_yolo_from_pypi():
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", install_section(), re.S):
        commands += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    pip = [c for c in commands if c.startswith("pip install")]
    assert pip, "the Install section has no pip command"
    for command in pip:
        # A requirement named srtod-yolo must come with the place it is fetched from (a git URL); else pip asks PyPI.
        for quoted, bare in re.findall(r"'([^']*)'|(\S+)", command.removeprefix("pip install")):
            req = quoted or bare
            if re.match(r"srtod[-_]yolo\b", req) and not req.startswith("srtod_yolo-"):
                assert " @ git+" in req, f"'{command}' would fetch srtod-yolo from PyPI"


def test_every_make_target_the_install_section_names_exists():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", install_section(), re.M):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is not a Makefile target"
    assert "make dist" in install_section() and "dist/srtod_yolo-" in install_section()
