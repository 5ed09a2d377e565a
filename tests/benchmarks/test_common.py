import shlex
import subprocess
from pathlib import Path

from benchmarks.common import command_line


def test_a_recorded_command_names_no_folder_of_this_machine(tmp_path):
    root = tmp_path / "checkout"
    args = ["--out", f"{root}/benchmarks/results/x", f"--data={root}/data/set", "--work", "/scratch/i14/deploy", "-v"]
    command = command_line(args, "benchmarks.latency_deploy", root=root)
    assert command == (
        "python -m benchmarks.latency_deploy --out benchmarks/results/x --data=data/set"
        ' --work "${TMPDIR:-/tmp}/deploy" -v'
    )
    assert str(tmp_path) not in command and "/scratch" not in command


def test_a_recorded_command_keeps_what_a_shell_needs_quoted(tmp_path):
    command = command_line(["--name", "two words", f"{tmp_path}/a b/c"], "benchmarks.x", root=tmp_path)
    assert shlex.split(command) == ["python", "-m", "benchmarks.x", "--name", "two words", "a b/c"]


def test_a_scratch_folder_in_a_recorded_command_is_a_folder_a_shell_can_make(tmp_path):
    command = command_line(["--work", "/somewhere/we$ird `name`"], "benchmarks.x", root=tmp_path)
    made = subprocess.run(
        ["bash", "-c", f'set -- {command.split(" --work ")[1]}; echo "$1"'],
        env={"TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(made).parent == tmp_path and "$" not in made and "`" not in made


def test_the_module_is_read_from_the_script_that_started_the_process(monkeypatch, tmp_path):
    script = tmp_path / "benchmarks" / "tracking.py"
    monkeypatch.setattr("sys.argv", [str(script), "--out", str(tmp_path / "r.json")])
    assert command_line(root=tmp_path) == "python -m benchmarks.tracking --out r.json"
