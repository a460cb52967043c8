"""The `isnad` command as a user runs it: a real process, real files, a real store."""
import json
import subprocess
import sys

from builders import make_encrypted_pdf
from conftest import cli_env

ISNAD = [sys.executable, "-m", "ui.cli"]


def run(settings, *args, check_rc=None):
    proc = subprocess.run([*ISNAD, *args], env=cli_env(settings), capture_output=True, text=True, timeout=300)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr
    return proc


def test_ingest_list_remove_ask(settings, fixture_dir):
    out = run(settings, "ingest", str(fixture_dir), check_rc=0)
    assert "ingested 7 articles (7 new or changed, 0 unchanged)" in out.stdout
    assert "chunks/s" in out.stdout

    again = run(settings, "ingest", str(fixture_dir), check_rc=0)
    assert "(0 new or changed, 7 unchanged)" in again.stdout

    listed = json.loads(run(settings, "list", "--json", check_rc=0).stdout)
    assert {a["id"] for a in listed} >= {"wire-001", "wire-002", "wire-101", "wire-102"}
    assert len(listed) == 7

    assert "removed wire-002" in run(settings, "remove", "wire-002", check_rc=0).stdout
    missing = run(settings, "remove", "wire-002", check_rc=1)
    assert "no article with id 'wire-002'" in missing.stderr

    answer = json.loads(run(settings, "ask", "ما اسم القطار فائق السرعة الذي يربط طنجة بالدار البيضاء؟", "--json", check_rc=0).stdout)
    assert not answer["abstained"]
    assert "البراق" in answer["answer"]
    assert answer["citations"][0]["article_id"] == "wire-001"

    plain = run(settings, "ask", "كم تبلغ قدرة محطة نور؟", check_rc=0).stdout
    assert "٥٨٠ ميغاواط" in plain and "[1] محطة نور ورزازات" in plain


def test_ingest_exits_non_zero_naming_each_bad_file(settings, tmp_path, fixture_dir):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(make_encrypted_pdf([["x"]], "pw"))
    unknown = tmp_path / "notes.docx"
    unknown.write_bytes(b"x")
    proc = run(settings, "ingest", "--quiet", str(fixture_dir / "wire.json"), str(locked), str(unknown), str(tmp_path / "gone.txt"), check_rc=1)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    assert any("locked.pdf: encrypted PDF" in e for e in errors)
    assert any("notes.docx: unsupported file type" in e for e in errors)
    assert any("gone.txt: no such file" in e for e in errors)
    assert "ingested 2 articles" in proc.stdout and "3 failed" in proc.stdout
    listed = json.loads(run(settings, "list", "--json", check_rc=0).stdout)
    assert sorted(a["id"] for a in listed) == ["wire-001", "wire-002"]


def test_bad_settings_are_one_line_errors(settings):
    env = cli_env(settings) | {"ISNAD_CHUNK_SIZE": "lots"}
    proc = subprocess.run([*ISNAD, "list"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "isnad: error: ISNAD_CHUNK_SIZE='lots' is not a whole number"
