"""The README's examples are run as written: the Python block against a fresh seeded store,
the command lines and curl lines against the store `make run` serves."""
import json
import re
import shutil
import subprocess
import zipfile
import sys
from pathlib import Path

from conftest import clean_env

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_python_example_runs_as_written(tmp_path):
    (block,) = [b for b in code_blocks("python") if "from qa import Assistant" in b]
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "note.txt").write_text("عنوان\nنص قصير عن الرباط.", encoding="utf-8")
    (tmp_path / "dump.json").write_text(json.dumps([{"content": "افتتح في الرباط متحف جديد للفن الحديث.", "title": "متحف"}],
                                                   ensure_ascii=False), encoding="utf-8")
    env = clean_env()
    env["ISNAD_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ناصر بوريطة" in out and "[1]" in out
    assert "sources" in out and "delta" in out and "answer" in out
    assert "من ترأس الحوار؟" in out  # the condensed follow-up carries the first question
    assert not (tmp_path / "data").exists()  # the demo article went to a throwaway store, not the user's


def test_widget_snippet_has_the_documented_shape():
    (snippet,) = [b for b in code_blocks("html") if "widget.js" in b]
    assert re.fullmatch(r'<script src="https://[^"]+/widget\.js" data-title="[^"]+" data-lang="ar" defer></script>\n', snippet)


ROOT = Path(__file__).resolve().parents[1]


def shell_lines(prefixes: tuple[str, ...]) -> list[str]:
    """The README's shell lines starting with one of ``prefixes``, continuation lines joined."""
    lines = []
    for block in code_blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith(prefixes):
                lines.append(line)
    return lines


def run_line(line: str, cwd: Path, env: dict, port: int, article_id: str) -> subprocess.CompletedProcess:
    line = line.replace("ARTICLE_ID", article_id)
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_cli_lines_run_as_printed_against_the_store_make_run_serves(tmp_path):
    """`make run` as printed (on a free port), then the README's `isnad` lines from a
    shell whose PATH has the venv, with no ISNAD_DATA_DIR: while the app runs, the command line
    goes through its HTTP API; after it stops, the same store is opened directly. Left out:
    the `eval`/`calibrate` lines (they read the full sets in ../shared; tests/test_eval.py runs
    `isnad eval` on the slices in tests/data) and `isnad serve` itself (what `make run` runs). The
    curl lines run against a live app in tests/test_browser.py."""
    from builders import make_pdf
    from conftest import FIXTURES, free_port, stop, wait_for_port

    work = tmp_path / "work"
    (work / "articles").mkdir(parents=True)
    shutil.copy(FIXTURES / "desert-solar.ar.md", work / "articles")
    shutil.copy(FIXTURES / "festival.ar.html", work / "today.html")
    shutil.copy(FIXTURES / "wire.jsonl", work / "feed.jsonl")
    (work / "report.pdf").write_bytes(make_pdf([["Port report", "The port of Tangier handled a record 10.2 million containers."]]))
    # A day of a newsroom's archive, zipped, and a dump with its own field names (written here).
    day = [{"source": "okaz", "date_extracted": "2015-08-02 10:00:00", "title": "مصنع جديد", "url": "https://okaz.example/1",
            "content": "افتتح في بريدة مصنع جديد للتمور يعمل فيه ثلاثمئة موظف."},
           {"source": "was", "date_extracted": "2015-08-03 09:00:00", "title": "حملة التطعيم", "url": "https://spa.example/2",
            "content": "أطلقت وزارة الصحة حملة وطنية للتطعيم تستهدف مليوني طفل."}]
    with zipfile.ZipFile(work / "2015-08-11.zip", "w") as archive:
        archive.writestr("2015-08-11.json", json.dumps(day, ensure_ascii=False))
    (work / "dump.json").write_text(json.dumps([{"nass": "افتتحت في تبوك مكتبة عامة تضم عشرين ألف كتاب.", "tarikh": "4 أغسطس 2015"}],
                                               ensure_ascii=False), encoding="utf-8")
    env = clean_env()
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), PATH=f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}",
               HF_HUB_OFFLINE="1")
    port = free_port()
    with open(tmp_path / "make-run.log", "wb") as log:
        app = subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "run", f"VENV={Path(sys.executable).parent.parent}"],
                               env={**env, "ISNAD_PORT": str(port), "ISNAD_MAX_FILE_MB": "1"}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=300, proc=app)
        (first,) = shell_lines((".venv/bin/isnad",))  # run from the checkout, as printed
        out = run_line(first, ROOT, env, port, "")
        assert out.returncode == 0 and "[1]" in out.stdout and "going through its HTTP API" in out.stderr, out.stderr
        cli = [line for line in shell_lines(("isnad ",)) if "../shared" not in line and "isnad serve" not in line]
        listed = {}
        for line in cli:
            if line.startswith("isnad remove"):
                article_id = next(i for i, title in listed.items() if "Port report" in title)
            else:
                article_id = ""
            out = run_line(line, work, env, port, article_id)
            if line.startswith("isnad reindex"):  # the one command that needs the store to itself
                assert out.returncode == 2 and "in use by" in out.stderr, out.stderr
                continue
            assert out.returncode == 0, f"{line}\n{out.stderr}"
            assert "going through its HTTP API" in out.stderr
            if line.startswith("isnad list"):
                listed = dict(row.split("\t")[::3] for row in out.stdout.splitlines())
                # the seed, the md, the html, the pdf, the two jsonl records, the zip's two, the dump's one
                assert len(listed) == 9
            if "--json" in line:
                assert json.loads(out.stdout)["status"] in ("answered", "tentative")
        # A file the app refuses (over its ISNAD_MAX_FILE_MB) is one error line; the rest still go.
        (work / "big.txt").write_text("عنوان\n" + "نص " * 400_000, encoding="utf-8")
        out = run_line("isnad ingest big.txt articles/", work, env, port, "")
        assert out.returncode == 1 and "error: big.txt:" in out.stderr and "upload limit" in out.stderr, out.stderr
        assert "1 articles (0 new or changed, 1 unchanged)" in out.stdout, out.stdout
    finally:
        stop(app)
    assert "ready: open http://127.0.0.1:" in (tmp_path / "make-run.log").read_text(encoding="utf-8")
    # The app has stopped: the same store, opened by the command line itself.
    for line in ("isnad list", "isnad reindex", 'isnad ask "من ترأس الحوار؟"'):
        out = run_line(line, work, env, port, "")
        assert out.returncode == 0 and "HTTP API" not in out.stderr, f"{line}\n{out.stderr}"
    assert "Port report" not in run_line("isnad list", work, env, port, "").stdout  # removed through the app


def test_eval_and_calibrate_lines_run_as_printed(tmp_path):
    """The README's `isnad eval` and `isnad calibrate` lines, as printed, from a folder beside
    which `../shared/data` holds small slices under the shared sets' names (the first three XQuAD
    articles, the ARCD slice as ARCD's halves and as AAQAD's file): the commands are the README's,
    the data a clone carries. `--write` goes to ISNAD_CALIBRATION, not the bundled file."""
    from conftest import DATA

    shared = tmp_path / "shared" / "data"
    for lang in ("ar", "en"):
        data = json.loads((DATA / f"xquad/xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = data["data"][:3]
        (shared / "xquad").mkdir(parents=True, exist_ok=True)
        (shared / "xquad" / f"xquad.{lang}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for name in ("arcd/arcd.json", "arcd/arcd-train.json", "arcd/arcd-test.json", "aaqad/AAQAD-v1.0_0.json"):
        (shared / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / "arcd/arcd.json", shared / name)
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env()
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), PATH=f"{ROOT / '.venv' / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}",
               HF_HUB_OFFLINE="1")
    lines = [line for line in shell_lines(("isnad eval", "isnad calibrate")) if "../shared" in line]
    assert len(lines) == 4
    for line in lines:
        writes = {"ISNAD_CALIBRATION": str(tmp_path / "calibration.json")} if "--write" in line else {}
        out = run_line(line, work, {**env, **writes}, 0, "")
        assert out.returncode == 0, f"{line}\n{out.stderr[-2000:]}"
        if "--json" in line:
            assert json.loads(out.stdout)["questions"] == 126
    assert json.loads((tmp_path / "calibration.json").read_text(encoding="utf-8"))["ranker"]["features"]
