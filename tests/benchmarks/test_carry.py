import subprocess

import pytest
import torch

from benchmarks.carry import main


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_run(results, seed, finished, checkpoint, epochs=0):
    run = results / "accuracy-v9" / "synth" / "fuse" / f"seed{seed}"
    (run / "train" / "weights").mkdir(parents=True)
    if checkpoint:
        torch.save({"epoch": epochs - 1, "optimizer": {}}, run / "train" / "weights" / "last.pt")
    (run / "train" / "results.csv").write_text("epoch,time\n" + "".join(f"{e},{e}\n" for e in range(1, epochs + 1)))
    if finished:
        (run / "result.json").write_text("{}")
    return run / "train" / "weights" / "last.pt"


def test_unfinished_checkpoints_are_staged_past_gitignore_with_their_records_and_finished_ones_untracked(
    tmp_path, capsys, monkeypatch
):
    repo = tmp_path
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("results/accuracy*/**/weights/\n")
    results = repo / "results"
    running = make_run(results, 0, finished=False, checkpoint=True, epochs=17)
    done_tracked = make_run(results, 1, finished=True, checkpoint=True)
    done_untracked = make_run(results, 2, finished=True, checkpoint=True)
    make_run(results, 3, finished=False, checkpoint=False)  # not started: nothing to carry, nothing lost
    make_run(results, 4, finished=False, checkpoint=False, epochs=5)  # its checkpoint is not here: it starts again
    (running.parents[1] / "args.yaml").write_text(f"data: {repo}/results/data.yaml\n")
    git(repo, "add", ".gitignore")
    git(repo, "add", "-f", str(done_tracked))

    assert main(["--results", str(results), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "carry      17" in out and "accuracy-v9/synth/fuse/seed0" in out and "drop" in out
    assert "unfinished accuracy-v9/synth/fuse/seed4 (5 epochs in its results.csv): it starts again from epoch 0" in out
    staged = [".gitignore", "results/accuracy-v9/synth/fuse/seed1/train/weights/last.pt"]
    assert git(repo, "diff", "--cached", "--name-only").split() == staged  # the dry run changed nothing

    monkeypatch.chdir(results / "accuracy-v9")  # a relative --results, from a folder inside the repository
    assert main(["--results", ".."]) == 0
    train = "results/accuracy-v9/synth/fuse/seed0/train"
    expected = [".gitignore", f"{train}/args.yaml", f"{train}/results.csv", f"{train}/weights/last.pt"]
    assert sorted(git(repo, "ls-files").split()) == expected  # the CSV lists the epochs the checkpoint holds
    assert done_tracked.is_file() and done_untracked.is_file()  # untracked, not deleted
    assert (running.parents[1] / "args.yaml").read_text() == "data: results/data.yaml\n"  # as records are committed
    git(repo, "-c", "user.email=a@b", "-c", "user.name=t", "commit", "-qm", "carry")

    (running.parents[2] / "result.json").write_text("{}")  # the run finished: its checkpoint leaves the index
    main(["--results", str(results)])
    assert "weights/last.pt" not in git(repo, "ls-files") and running.is_file()
    assert main(["--results", str(results)]) == 0 and "nothing to carry" in capsys.readouterr().out


def test_a_checkpoint_caught_half_written_is_not_carried(tmp_path):
    git(tmp_path, "init", "-q")
    weights = make_run(tmp_path / "results", 0, finished=False, checkpoint=True, epochs=3)
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(SystemExit, match="last.pt' does not load .*run this again after the epoch"):
        main(["--results", str(tmp_path / "results")])
    assert git(tmp_path, "diff", "--cached", "--name-only") == ""
