"""The README's examples are run as written: the Python block against a fresh seeded store."""
import re
import subprocess
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
    env = clean_env()
    env["ISNAD_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ناصر بوريطة" in out and "[1]" in out
    assert "sources" in out and "delta" in out and "answer" in out
    assert "من ترأس الحوار؟" in out  # the condensed follow-up carries the first question


def test_widget_snippet_has_the_documented_shape():
    (snippet,) = [b for b in code_blocks("html") if "widget.js" in b]
    assert re.fullmatch(r'<script src="https://[^"]+/widget\.js" data-title="[^"]+" data-lang="ar" defer></script>\n', snippet)
