"""The command line's wall time and peak memory, for one or more checkouts side by side.

    python benchmarks/cli_speed.py [--runs 5] CHECKOUT [CHECKOUT ...]

Each checkout's code runs (``python -m ui.cli`` with the checkout first on ``PYTHONPATH``, this
venv's packages) against a store of its own, seeded by one warm-up ``ask``; the model folder is
shared, so no row pays for a conversion. Rows: ``--help``, ``list``, ``ask`` with no app
running, then ``list`` and ``ask`` while ``isnad serve`` holds the store (the version before
the CLI could use a running app's API exits 2 there). Median wall seconds and the largest
peak RSS of the runs (the child's ``ru_maxrss``).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "من ترأس الحوار الإستراتيجي بين المغرب ومكتب الأمم المتحدة؟"
ROWS = [("--help", ["--help"]), ("list", ["list"]), ("ask", ["ask", QUESTION])]


def run(checkout: Path, env: dict, args: list[str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=checkout, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode


def measure(checkout: Path, env: dict, args: list[str], runs: int) -> str:
    results = [run(checkout, env, args) for _ in range(runs)]
    codes = {code for _, _, code in results}
    wall = statistics.median(w for w, _, _ in results)
    rss = max(r for _, r, _ in results)
    return f"{wall:.2f} s, {rss:.0f} MB" + ("" if codes == {0} else f" (exit {'/'.join(map(str, sorted(codes)))})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    table: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        models = os.environ.get("ISNAD_MODEL_DIR") or str(Path(tmp) / "models")
        for checkout in args.checkouts:
            label = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                                   text=True).stdout.strip() or checkout.name
            base = {k: v for k, v in os.environ.items() if not k.startswith("ISNAD_")}
            env = {**base, "PYTHONPATH": str(checkout.resolve()), "ISNAD_DATA_DIR": str(Path(tmp) / label),
                   "ISNAD_MODEL_DIR": models, "HF_HUB_OFFLINE": "1"}
            run(checkout, env, ["ask", QUESTION])  # seed the store, build the model once
            column = table.setdefault(label, {})
            for name, cli_args in ROWS:
                column[name] = measure(checkout, env, cli_args, args.runs)
            port = free_port()
            app = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=checkout,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    with socket.socket() as s:
                        if s.connect_ex(("127.0.0.1", port)) == 0:
                            break
                    time.sleep(0.2)
                time.sleep(2)  # the note the CLI looks for is written once the app listens
                for name, cli_args in ROWS[1:]:
                    column[f"{name}, app running"] = measure(checkout, env, cli_args, args.runs)
            finally:
                app.terminate()
                app.wait(timeout=30)
    labels = list(table)
    print(f"| command | {' | '.join(labels)} |")
    print(f"|---|{'---|' * len(labels)}")
    for row in table[labels[0]]:
        print(f"| `isnad {row}` | {' | '.join(table[label].get(row, '') for label in labels)} |")


if __name__ == "__main__":
    main()
