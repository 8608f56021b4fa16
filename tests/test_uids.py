"""Sandbox uids are claimed so that no two holders, in one process or many, share one."""
import subprocess
import sys

from autograder import uids


def test_claims_never_share_a_uid_and_free_on_release(tmp_path):
    a = uids.claim(tmp_path, first=70000, count=3)
    b = uids.claim(tmp_path, first=70000, count=3)
    assert {a.uid, b.uid} == {70000, 70001}
    a.release()
    with uids.claim(tmp_path, first=70000, count=3) as c:
        assert c.uid == 70000
    b.release()


def test_a_uid_held_by_another_process_is_skipped_and_freed_when_it_dies(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from autograder import uids\n"
                               f"lease = uids.claim({str(tmp_path)!r}, first=70000, count=3)\n"
                               "print(lease.uid, flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        held = int(holder.stdout.readline())
        with uids.claim(tmp_path, first=70000, count=3) as mine:
            assert mine.uid != held
    finally:
        holder.kill()
        holder.wait()
    with uids.claim(tmp_path, first=70000, count=1) as again:  # the dead holder's lock is gone
        assert again.uid == held == 70000
