"""Atomic writes and the run folder: a failure never leaves half a file or half a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from svcov.errors import OutputError
from svcov.files import (
    PARTIAL_MARKER,
    RunFolder,
    RunLock,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    check_replaceable,
    plain_name_problem,
    sha256_file,
)


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "first")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary left behind


def test_temporary_name_keeps_the_suffix(tmp_path):
    with atomic_path(tmp_path / "layers.gpkg") as tmp:
        assert tmp.name.endswith("layers.gpkg") and tmp.parent == tmp_path
        tmp.write_bytes(b"x")


def test_unwritable_parent_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="无法创建输出文件夹"), atomic_path(blocker / "sub" / "a.txt"):
        pass


def test_run_folder_commit_and_failure(tmp_path):
    final = tmp_path / "run"
    with RunFolder(final) as folder:
        atomic_write_text(folder.path("tables/x.csv"), "a,b\n")
        folder.add_input("config", __file__)
        folder.write_manifest({"k": 1})
        folder.commit()
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["config"][0]["sha256"] == sha256_file(__file__)
    assert manifest["outputs"] == [{"path": "tables/x.csv", "bytes": 4, "sha256": sha256_file(final / "tables/x.csv")}]
    assert manifest["versions"]["geopandas"] != "not installed"
    with pytest.raises(RuntimeError), RunFolder(final) as folder:
        atomic_write_text(folder.path("tables/y.csv"), "partial")
        raise RuntimeError("stage failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .partial folder left
    assert sorted(p.name for p in (final / "tables").iterdir()) == ["x.csv"]  # previous run untouched


def test_outputs_get_normal_permissions(tmp_path):
    import stat

    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "shared.txt", "x")
        with RunFolder(tmp_path / "run") as folder:
            folder.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755


# --- a run never deletes a user's files (issue 10) -------------------------------------------------------------


def _svcov_run(final, files=("report.docx", "tables/x.csv")):
    """A finished run folder as svcov writes it."""
    with RunFolder(final) as folder:
        for name in files:
            atomic_write_text(folder.path(name), f"svcov wrote {name}")
        folder.write_manifest({})
        folder.commit()
    return final


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_svcov_did_not_write_is_never_replaced(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"four years of work")
    with pytest.raises(OutputError, match=r"不是 svcov 写的运行文件夹.*--out"):
        RunFolder(mine)
    assert _tree(mine) == {"thesis.docx": b"four years of work"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]            # no lock or partial left


def test_a_file_added_or_changed_in_a_run_folder_stops_the_replacement(tmp_path):
    final = _svcov_run(tmp_path / "run")
    (final / "my_notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="my_notes.txt"):
        RunFolder(final)
    (final / "my_notes.txt").unlink()
    (final / "report.docx").write_text("edited in Word", encoding="utf-8")
    with pytest.raises(OutputError, match="report.docx"):
        RunFolder(final)
    assert (final / "report.docx").read_text(encoding="utf-8") == "edited in Word"


def test_a_run_folder_as_svcov_wrote_it_is_replaced(tmp_path):
    final = _svcov_run(tmp_path / "run")
    (final / "Thumbs.db").write_bytes(b"windows thumbnail cache")                 # not the user's work
    _svcov_run(final, files=("map.html",))
    assert sorted(_tree(final)) == ["manifest.json", "map.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_empty_folder_file_link_and_root(tmp_path):
    (tmp_path / "empty").mkdir()
    _svcov_run(tmp_path / "empty")
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="是一个文件"):
        RunFolder(tmp_path / "a_file")
    if hasattr(os, "symlink"):
        (tmp_path / "link").symlink_to(tmp_path / "empty", target_is_directory=True)
        with pytest.raises(OutputError, match="链接"):
            check_replaceable(tmp_path / "link")
    with pytest.raises(OutputError, match="根目录"):
        RunFolder(Path(tmp_path.anchor))


def test_dot_and_dot_dot_name_the_folders_they_mean(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.xlsx").write_bytes(b"register")
    monkeypatch.chdir(work)
    for name in (".", "..", "./", "sub/.."):
        with pytest.raises(OutputError, match="不会替换"):
            RunFolder(Path(name))
    assert _tree(tmp_path) == {"work/data.xlsx": b"register"}


@pytest.mark.parametrize("name", [".", "..", "", "a/b", "a\\b", "CON", "con.txt", "Lpt1", "nul", "name.", "name ",
                                  ".hidden", "a:b", "a*b", "tab\there", "x" * 101])
def test_run_names_that_are_not_plain_names(name):
    assert plain_name_problem(name) is not None


@pytest.mark.parametrize("name", ["songjiang", "松江区_2023", "songjiang.v2", "run-1", "console", "com10"])
def test_plain_run_names(name):
    assert plain_name_problem(name) is None


def _python(code: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_a_killed_run_leaves_nothing_the_next_run_does_not_clean(tmp_path):
    final = _svcov_run(tmp_path / "run")
    before = _tree(final)
    for attempt in range(2):                                      # two runs killed while writing
        done = _python(f"""
            import os
            from svcov.files import RunFolder, atomic_write_text
            folder = RunFolder({str(final)!r})
            atomic_write_text(folder.path("map.html"), "half")
            os._exit(9)                                           # no clean-up runs: as SIGKILL / TerminateProcess
        """)
        assert done.returncode == 9, done.stderr
        left = sorted(p.name for p in tmp_path.iterdir())
        assert len([n for n in left if n.endswith(".partial")]) == 1 and ".run.lock" in left
        assert ("已删除中断的运行留下的临时文件夹" in done.stderr) == (attempt == 1)   # the 2nd cleaned the 1st's
    assert _tree(final) == before                                  # the previous results are untouched
    with RunFolder(final) as folder:
        assert len(folder.recovered) == 1 and "已删除" in folder.recovered[0]
        folder.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _kill_during_swap(final, *, after_renames: int) -> None:
    """Kill a run in its final swap after ``after_renames`` renames (2: before it deletes the previous results)."""
    done = _python(f"""
        import os
        from svcov import files
        folder = files.RunFolder({str(final)!r})
        files.atomic_write_text(folder.path("map.html"), "new")
        folder.write_manifest({{}})
        real, count = os.replace, [0]
        def replace(a, b):
            if count[0] == {after_renames}:
                os._exit(9)
            count[0] += 1
            real(a, b)
        files.os.replace = replace
        files.shutil.rmtree = lambda *a, **k: os._exit(9)
        folder.commit()
    """)
    assert done.returncode == 9, done.stderr


def test_a_swap_killed_between_its_renames_is_undone_or_finished(tmp_path):
    final = _svcov_run(tmp_path / "run")
    before = _tree(final)
    _kill_during_swap(final, after_renames=1)                     # previous results only in .run.old-…
    assert not final.exists() and any(".old-" in p.name for p in tmp_path.iterdir())
    with RunFolder(final) as folder:
        assert any("完成了上次被中断的替换" in line for line in folder.recovered)
        assert _tree(final)["map.html"] == b"new"                   # the interrupted run's complete results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    _svcov_run(final)
    before = _tree(final)
    (tmp_path / ".run.0123abcd.partial").mkdir()                  # an incomplete new folder: no manifest
    (tmp_path / ".run.0123abcd.partial" / PARTIAL_MARKER).write_text('{"tool": "svcov"}', encoding="utf-8")
    os.replace(final, tmp_path / ".run.old-0123abcd")
    with RunFolder(final) as folder:
        assert any("已把之前的结果恢复" in line for line in folder.recovered)
    assert _tree(final) == before and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_old_results_left_after_a_finished_swap_are_removed(tmp_path):
    final = _svcov_run(tmp_path / "run")
    _kill_during_swap(final, after_renames=2)      # both renames done, killed before the old folder is deleted
    assert any(".old-" in p.name for p in tmp_path.iterdir())
    with RunFolder(final) as folder:
        assert any("旧结果" in line for line in folder.recovered)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_leftovers_that_are_not_provably_svcovs_are_kept(tmp_path):
    final = _svcov_run(tmp_path / "run")
    lookalike = tmp_path / ".run.0123abcd.partial"                # a user's folder with a partial-like name
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("mine", encoding="utf-8")
    with RunFolder(final) as folder:
        folder.commit()
    assert (lookalike / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_two_runs_into_one_folder_the_second_is_refused(tmp_path):
    final = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from svcov.files import RunFolder
        folder = RunFolder({str(final)!r})
        print("locked", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=rf"另一个 svcov 运行 \(PID {holder.pid}.*正在写"):
            RunFolder(final)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with RunFolder(final) as folder:                              # the lock of a process that is gone is stale
        folder.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_lock_of_a_reused_pid_or_of_another_computer(tmp_path):
    lock = RunLock(tmp_path / "run")
    lock.path.write_text(json.dumps({"tool": "svcov", "pid": os.getpid(), "host": __import__("socket").gethostname(),
                                     "process_started": 1000.0, "token": "x"}), encoding="utf-8")
    assert lock.acquire()                              # this PID's process started long after the lock: stale
    lock.release()
    lock.path.write_text(json.dumps({"tool": "svcov", "pid": 1, "host": "another-pc", "token": "y"}),
                         encoding="utf-8")
    with pytest.raises(OutputError, match="another-pc"):
        RunLock(tmp_path / "run").acquire()
    assert RunLock(tmp_path / "run").acquire(raise_if_busy=False) is False


def test_a_lock_that_is_not_json_is_busy_while_fresh_and_stale_when_old(tmp_path):
    lock = RunLock(tmp_path / "run")
    lock.path.write_text("{half", encoding="utf-8")
    with pytest.raises(OutputError, match="PID \\?"):
        lock.acquire()
    old = lock.path.stat().st_mtime - 3600
    os.utime(lock.path, (old, old))
    assert lock.acquire() and json.loads(lock.path.read_text(encoding="utf-8"))["token"] == lock.token
    lock.release()
    assert not lock.path.exists()


def test_a_lock_taken_by_another_run_a_moment_ago_is_put_back(tmp_path):
    lock = RunLock(tmp_path / "run")
    lock.path.write_text(json.dumps({"tool": "svcov", "pid": 1, "token": "theirs"}), encoding="utf-8")
    lock._take_over_stale({"tool": "svcov", "pid": 999999, "token": "the stale one we read"})
    assert json.loads(lock.path.read_text(encoding="utf-8"))["token"] == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.lock"]


def test_a_run_whose_lock_was_removed_does_not_replace_the_folder(tmp_path):
    final = _svcov_run(tmp_path / "run")
    before = _tree(final)
    with pytest.raises(OutputError, match="已被删除或被另一个运行占用"), RunFolder(final) as folder:
        atomic_write_text(folder.path("map.html"), "new")
        folder.lock.path.unlink()                                 # e.g. a user deleted it by hand
        folder.commit()
    assert _tree(final) == before and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_failed_swap_puts_the_previous_results_back(tmp_path, monkeypatch):
    from svcov import files

    final = _svcov_run(tmp_path / "run")
    before = _tree(final)
    real, calls = os.replace, []

    def replace(a, b):
        calls.append((a, b))
        if len(calls) == 2:                                       # the new folder cannot be moved in
            raise PermissionError(13, "Access is denied", str(a))
        real(a, b)

    with pytest.raises(OutputError, match="无法替换输出文件夹.*Excel/Word"), RunFolder(final) as folder:
        atomic_write_text(folder.path("map.html"), "new")
        monkeypatch.setattr(files.os, "replace", replace)
        folder.commit()
    monkeypatch.undo()
    assert _tree(final) == before and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_old_results_the_user_added_files_to_are_kept(tmp_path):
    final = _svcov_run(tmp_path / "run")
    old = tmp_path / ".run.old-0123abcd"
    os.replace(_svcov_run(tmp_path / "earlier"), old)
    (old / "mine.txt").write_text("mine", encoding="utf-8")
    with RunFolder(final) as folder:
        assert any(line.startswith("保留") for line in folder.recovered)
    assert (old / "mine.txt").read_text(encoding="utf-8") == "mine"


def test_unwritable_places_are_output_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="无法创建输出文件夹"):
        RunFolder(blocker / "sub" / "run")
    assert atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
