"""The second security and fault review's probes, run against `isnad serve` of two versions side
by side: the figure each HIGH and MEDIUM finding was measured by, then and now.

    python benchmarks/upload_faults.py --old 6c9223f          # that revision, then this tree
    python benchmarks/upload_faults.py --only P1,P2            # some probes

Each version runs from its own git worktree (``--old``) or this checkout, with this checkout's
virtual environment; every store, model folder copy and disk is made fresh under a temporary
folder. P5 mounts a small tmpfs (root only). Prints one Markdown row per probe and version.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from builders import make_pdf  # noqa: E402

USERS = "amal:secret-1,omar:secret-2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tree: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_")}
    env.update(PYTHONPATH=str(tree), ISNAD_DATA_DIR=str(data), ISNAD_MODEL_DIR=os.environ.get("ISNAD_MODEL_DIR", ""),
               ISNAD_AUTH=USERS, ISNAD_SEED="0", ISNAD_UPLOADS_PER_MINUTE="100", **extra)
    if not env["ISNAD_MODEL_DIR"]:
        env.pop("ISNAD_MODEL_DIR")
    return env


@contextlib.contextmanager
def serving(tree: Path, data: Path, log: Path, **extra: str):
    port = _free_port()
    env = _env(tree, data, **extra)
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], env=env, cwd=tree,
                                stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {proc.returncode}; see {log}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/api/health", auth=("amal", "secret-1"), timeout=5).status_code in (200, 503):
                        break
                time.sleep(0.3)
            yield base, proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _client(base: str, user: str = "amal", password: str = "secret-1", **kw) -> httpx.Client:
    return httpx.Client(base_url=base, auth=(user, password), timeout=kw.pop("timeout", 300), **kw)


def _upload(client: httpx.Client, name: str, body: bytes, **params) -> httpx.Response:
    return client.post("/api/articles", params={"filename": name, **params}, content=body)


def _wait(client: httpx.Client, job: dict, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while job.get("state") in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        r = client.get(f"/api/jobs/{job['id']}")
        if r.status_code != 200:
            return {"state": f"HTTP {r.status_code}"}
        job = r.json()
    return job


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- the probes ---------------------------------------------------------------------------------------
def p1_dots(tree: Path, work: Path) -> str:
    """HIGH 1: a 12 KB Markdown file (12,000 dots, then a letter) while health is polled."""
    with serving(tree, work / "d", work / "log") as (base, _):
        c = _client(base)
        started = time.monotonic()
        job = _upload(c, "dots.md", ("t\n" + "." * 12_000 + "x\nنهاية.").encode()).json()
        slowest = 0.0
        while job.get("state") in ("queued", "running"):
            t = time.monotonic()
            c.get("/api/health")
            slowest = max(slowest, time.monotonic() - t)
            job = c.get(f"/api/jobs/{job['id']}").json()
        return f"health's slowest answer {slowest:.1f} s; job {job['state']} in {time.monotonic() - started:.1f} s"


def p2_empty_records(tree: Path, work: Path) -> str:
    """HIGH 2: a 6 MB JSON of 1.5M empty records: the server's memory and the job's size."""
    with serving(tree, work / "d", work / "log") as (base, proc):
        c = _client(base)
        before = _rss_mb(proc.pid)
        peak = [before]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_mb(proc.pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        job = _wait(c, _upload(c, "empty.json", ("[" + ",".join(["{}"] * 1_500_000) + "]").encode()).json())
        stop.set()
        watcher.join()
        size = len(c.get(f"/api/jobs/{job['id']}").content)
        time.sleep(2)
        return (f"RSS {before:.0f} → peak {peak[0]:.0f} → after {_rss_mb(proc.pid):.0f} MB; "
                f"job {job['state']}, its JSON {size / 1e6:.2f} MB")


def p3_forwarded_for(tree: Path, work: Path) -> str:
    """MEDIUM 3: 30 wrong passwords, each claiming another X-Forwarded-For, then the right one."""
    with serving(tree, work / "d", work / "log") as (base, _):
        codes = [httpx.get(f"{base}/api/health", auth=("amal", "wrong"), headers={"X-Forwarded-For": f"10.0.{i}.1"}).status_code
                 for i in range(30)]
        right = httpx.get(f"{base}/api/health", auth=("amal", "secret-1"), headers={"X-Forwarded-For": "10.9.9.9"}).status_code
        return f"{codes.count(401)} of 30 guesses judged (the rest 429); the right password then: {right}"


def p4_big_pdf_and_a_small_upload(tree: Path, work: Path) -> str:
    """MEDIUM 4: a 20,000-page PDF from one user, then another user's 100-byte text."""
    pdf = make_pdf([[f"Page {i}."] for i in range(20_000)], title="Huge")
    with serving(tree, work / "d", work / "log") as (base, _):
        a, b = _client(base), _client(base, "omar", "secret-2")
        started = time.monotonic()
        big = _upload(a, "huge.pdf", pdf).json()
        small = _upload(b, "small.txt", "خبر\nجملة قصيرة عن الطقس اليوم.".encode()).json()
        small = _wait(b, small)
        small_s = time.monotonic() - started
        big = _wait(a, big)
        why = (big.get("errors") or [""])[0][:60]
        return f"the small upload done after {small_s:.0f} s; the PDF {big['state']} after {time.monotonic() - started:.0f} s ({why})"


def _mount(folder: Path, mb: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m", "tmpfs", str(folder)]).returncode == 0


def _fill(folder: Path) -> Path:
    filler = folder / "filler.bin"
    with open(filler, "ab") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * (1 << 20))
            f.flush()
    return filler


def p5_full_disk(tree: Path, work: Path) -> str:
    """MEDIUM 5: a full disk: an upload, feedback, health; then kill -9 and start again."""
    disk = work / "disk"
    if not _mount(disk, 64):
        return "(no tmpfs here)"
    try:
        data = disk / "d"
        floor = {"ISNAD_MIN_FREE_MB": "1"}  # under the small disk's size: the disk really fills
        with serving(tree, data, work / "log", **floor) as (base, proc):
            c = _client(base)
            _fill(disk)
            try:
                up = _upload(c, "n.txt", "خبر\nجملة عن الطقس.".encode()).status_code
            except httpx.HTTPError as err:
                up = type(err).__name__
            fb = c.post("/api/feedback", json={"rating": "up", "question": "q", "answer": "a"})
            health = c.get("/api/health")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            with serving(tree, data, work / "log", **floor) as (base, _):
                again = "starts again"
        except RuntimeError:
            said = [line for line in (work / "log").read_text(errors="ignore").splitlines() if line.strip()][-1:]
            again = f"does not start again, saying: {said[0][:160] if said else '(nothing)'}"
        return (f"upload {up}, feedback {fb.status_code}, health {health.status_code} "
                f"({health.json().get('status')}); after kill -9: {again}")
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def _paragraphs(folder: Path, n: int) -> None:
    data = json.loads((ROOT / "tests/data/xquad/xquad.ar.json").read_text(encoding="utf-8"))
    paragraphs = [p["context"].strip() for doc in data["data"] for p in doc["paragraphs"]][:n]
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(paragraphs):
        (folder / f"p{i:03d}.txt").write_text(text, encoding="utf-8")


def _cli(tree: Path, data: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], env=_env(tree, data), cwd=tree, **popen)


def p7_kill_reindex(tree: Path, work: Path) -> str:
    """MEDIUM 7: kill -9 six seconds into `isnad reindex` of 60 articles, then start the app."""
    data = work / "d"
    _paragraphs(work / "x", 60)
    assert _cli(tree, data, "ingest", "--quiet", str(work / "x"), stdout=subprocess.DEVNULL).wait() == 0
    proc = _cli(tree, data, "reindex", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(6)
    proc.kill()
    proc.wait()
    with serving(tree, data, work / "log") as (base, _):
        articles = _client(base).get("/api/articles").json()
        health = _client(base).get("/api/health").json()
    return f"after the restart: {len(articles)} articles listed, {health.get('chunks')} chunks stored"


def p9_restart(tree: Path, work: Path) -> str:
    """MEDIUM 9: one running upload and three queued, then SIGTERM and a restart."""
    data = work / "d"
    big = [{"id": f"big-{i}", "text": f"جملة رقم {i} عن الأمطار في المدن الساحلية هذا الأسبوع. " * 10} for i in range(40)]
    with serving(tree, data, work / "log") as (base, proc):
        c = _client(base)
        jobs = [_upload(c, "big.json", json.dumps(big).encode()).json()]
        jobs += [_upload(c, f"n{i}.json", json.dumps([{"id": f"n{i}", "text": f"خبر رقم {i}."}]).encode()).json()
                 for i in range(3)]
        proc.terminate()
        proc.wait(timeout=60)
    with serving(tree, data, work / "log") as (base, _):
        c = _client(base)
        done = [_wait(c, c.get(f"/api/jobs/{j['id']}").json() if c.get(f"/api/jobs/{j['id']}").status_code == 200
                      else {"state": "404"}) for j in jobs]
        return f"{sum(j['state'] == 'done' for j in done)} of 4 accepted uploads ingested after the restart"


def p10_id_collision(tree: Path, work: Path) -> str:
    """MEDIUM 10: a second upload whose record id is the first upload's."""
    with serving(tree, work / "d", work / "log") as (base, _):
        c = _client(base)
        _wait(c, _upload(c, "a.json", json.dumps([{"id": "x1", "text": "النص الأول عن الموضوع."}]).encode()).json())
        second = _wait(c, _upload(c, "b.json", json.dumps([{"id": "x1", "text": "نص آخر يحل محله."}]).encode()).json())
        text = c.get("/api/articles/x1").json()["text"]
        kept = "the first text kept" if "الأول" in text else "the first text replaced"
        return f"job {second['state']}, {kept}"


def p11_two_processes(tree: Path, work: Path) -> str:
    """MEDIUM 11: two commands started at once on a fresh model folder."""
    env_base = {"ISNAD_MODEL_DIR": str(work / "models")}
    procs = []
    for i in range(2):  # each with a data dir of its own: only the model folder is shared
        env = {**_env(tree, work / f"d{i}"), **env_base}
        procs.append(subprocess.Popen([sys.executable, "-m", "ui.cli", "ask", "ما الخبر؟"], env=env, cwd=tree,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=1200)[1] for p in procs]
    codes = [p.returncode for p in procs]
    waited = any("waiting for another isnad process" in o for o in outs)
    failed = [o.strip().splitlines()[-1][:140] for p, o in zip(procs, outs) if p.returncode and o.strip()]
    return (f"exit codes {codes}{'; the second said it waits' if waited else ''}"
            f"{'; ' + failed[0] if failed else ''}")


PROBES = {"P1": p1_dots, "P2": p2_empty_records, "P3": p3_forwarded_for, "P4": p4_big_pdf_and_a_small_upload,
          "P5": p5_full_disk, "P7": p7_kill_reindex, "P9": p9_restart, "P10": p10_id_collision,
          "P11": p11_two_processes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", help="also run the version at this git revision (a worktree of it)")
    parser.add_argument("--only", help="comma-separated probes (P1 … P11)")
    args = parser.parse_args()
    trees = [("this tree", ROOT)]
    if args.old:
        old = Path(tempfile.mkdtemp()) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.old], check=True,
                       capture_output=True)
        trees.insert(0, (args.old, old))
    chosen = args.only.split(",") if args.only else list(PROBES)
    print("| probe | version | figure |\n|---|---|---|", flush=True)
    try:
        for name in chosen:
            probe = PROBES[name]
            for label, tree in trees:
                work = Path(tempfile.mkdtemp(prefix=f"isnad-{name}-"))
                started = time.monotonic()
                try:
                    figure = probe(tree, work)
                except Exception as err:  # noqa: BLE001 - a version that breaks is a figure too
                    figure = f"failed: {type(err).__name__}: {str(err)[:120]}"
                print(f"| {name}: {probe.__doc__.split(':', 1)[1].strip()} | {label} | {figure} "
                      f"({time.monotonic() - started:.0f} s) |", flush=True)
    finally:
        if args.old:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], capture_output=True)


if __name__ == "__main__":
    main()
