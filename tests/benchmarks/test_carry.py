import subprocess

from benchmarks.carry import main


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_run(results, seed, finished, checkpoint, epochs=0):
    run = results / "accuracy-v9" / "synth" / "fuse" / f"seed{seed}"
    (run / "train" / "weights").mkdir(parents=True)
    if checkpoint:
        (run / "train" / "weights" / "last.pt").write_bytes(b"x" * 1000)
    (run / "train" / "results.csv").write_text("epoch,time\n" + "".join(f"{e},{e}\n" for e in range(1, epochs + 1)))
    if finished:
        (run / "result.json").write_text("{}")
    return run / "train" / "weights" / "last.pt"


def test_unfinished_checkpoints_are_staged_past_gitignore_and_finished_ones_untracked_but_kept(tmp_path, capsys):
    repo = tmp_path
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("results/accuracy*/**/weights/\n")
    results = repo / "results"
    running = make_run(results, 0, finished=False, checkpoint=True, epochs=17)
    done_tracked = make_run(results, 1, finished=True, checkpoint=True)
    done_untracked = make_run(results, 2, finished=True, checkpoint=True)
    make_run(results, 3, finished=False, checkpoint=False)  # not started: nothing to carry
    git(repo, "add", ".gitignore")
    git(repo, "add", "-f", str(done_tracked))

    assert main(["--results", str(results), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "carry      17" in out and "accuracy-v9/synth/fuse/seed0" in out and "drop" in out
    staged = [".gitignore", "results/accuracy-v9/synth/fuse/seed1/train/weights/last.pt"]
    assert git(repo, "diff", "--cached", "--name-only").split() == staged  # the dry run changed nothing

    assert main(["--results", str(results)]) == 0
    assert git(repo, "ls-files").split() == [".gitignore", str(running.relative_to(repo))]
    assert done_tracked.is_file() and done_untracked.is_file()  # untracked, not deleted
    git(repo, "-c", "user.email=a@b", "-c", "user.name=t", "commit", "-qm", "carry")
    assert main(["--results", str(results)]) == 0
    assert "nothing to carry" not in capsys.readouterr().out  # the running one is still carried (staged again)

    (running.parents[2] / "result.json").write_text("{}")  # the run finished: its checkpoint leaves the index
    main(["--results", str(results)])
    assert git(repo, "ls-files").split() == [".gitignore"] and running.is_file()
    assert main(["--results", str(results)]) == 0 and "nothing to carry" in capsys.readouterr().out
