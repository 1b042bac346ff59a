"""Shared helpers of the LLM-arm tests (prompts, agents, CLI): the real ``free`` graph store
(MeSH 2024 + Disease Ontology + Semantic Network from the data directory), built once per test
process, and real NCBI-disease seed sentences.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.settings import data_dir

_lock = threading.Lock()
_store_path: Path | None = None

NCBI_TRAIN = Path("ner/ncbi_disease/original/NCBItrainset_corpus.txt")
NCBI_DEV = Path("ner/ncbi_disease/original/NCBIdevelopset_corpus.txt")
NCBI_LABELS = ("CompositeMention", "DiseaseClass", "Modifier", "SpecificDisease")
#: "However, only half of those who were homozygous had clinical features of hemochromatosis, ..."
HEMOCHROMATOSIS_SEED = "10471457:15"


def free_store_path() -> Path:
    """An embedded store of the ``free`` preset, built on first use and removed at exit."""
    global _store_path
    with _lock:
        if _store_path is None:
            from hilgen_graph.graph.backends import build_free_store

            tmp = Path(tempfile.mkdtemp(prefix="hilgen-llmgen-kg-"))
            atexit.register(shutil.rmtree, tmp, True)
            build_free_store(tmp / "store")
            _store_path = tmp / "store"
        return _store_path


def ncbi_train_path() -> Path:
    return data_dir() / NCBI_TRAIN


@lru_cache(maxsize=1)
def ncbi_sentences() -> dict[str, Sentence]:
    return {s.id: s for s in load_corpus(ncbi_train_path()).sentences}


def ncbi_sentence(sentence_id: str) -> Sentence:
    return ncbi_sentences()[sentence_id]


# --- a scripted stand-in for an LLM ---------------------------------------------------------------
SEED_RE = re.compile(r"^Seed sentence: (.*)$", re.M)
TARGET_RE = re.compile(r'(?:The seed mention|The seed sentence mentions) "(.*?)" \((\w+)\)')
ENTITY_RE = re.compile(r'^- "(.*?)" \((\w+)\)$', re.M)
CONCEPT_RE = re.compile(r'^- "(.*?)" \|', re.M)
N_RE = re.compile(r"[Ww]rite (\d+) new sentences")
SENTENCE_RE = re.compile(r"^Sentence: (.*)$", re.M)
REPLACE_RE = re.compile(r"^Replace: (.*) -> (.*)$", re.M)
ABOUT_RE = re.compile(r'^Sentences about "(.*)":$', re.M)
MARKED_N_RE = re.compile(r"(?:Rewrite the sentence|Write) (\d+) ")


def marked_arguments(prompt: str) -> dict[str, Any]:
    """Arguments a well-behaved small model would give a marked template: the seed rewritten
    with the new name written [[name]] (rewrite), or new sentences about the name."""
    n = int(MARKED_N_RE.search(prompt).group(1))  # type: ignore[union-attr]
    about = ABOUT_RE.search(prompt)
    if about:
        name = about.group(1)
        frames = (
            "Patients with [[{}]] were followed in a cohort study.",
            "Early diagnosis of [[{}]] improves the outcome.",
            "The cause of [[{}]] remains unknown in most families.",
        )
        return {"sentences": [frames[i % len(frames)].format(name) for i in range(n)]}
    seed = SENTENCE_RE.findall(prompt)[-1]
    target, name = REPLACE_RE.findall(prompt)[-1]
    rewritten = seed.replace(target, f"[[{name}]]", 1)
    starts = ("Notably, ", "In this cohort, ", "As reported, ")
    return {
        "sentences": [
            starts[i % len(starts)] + rewritten[:1].lower() + rewritten[1:] for i in range(n)
        ]
    }


def fake_arguments(prompt: str, tool: str) -> dict[str, Any]:
    """Arguments a well-behaved grounded model would give the structured-output tool ``tool``:
    each listed concept put in place of the seed mention, the seed's other mentions kept."""
    if tool == "Annotation":  # two-step, second call: label the words the first call used
        sentence = SENTENCE_RE.search(prompt)
        text = sentence.group(1) if sentence else ""
        found = [w for w in ("iron overload", "hemochromatosis") if w in text.lower()]
        return {
            "entities": [
                {"text": text[text.lower().index(w) :][: len(w)], "label": "SpecificDisease"}
                for w in found
            ]
        }
    if tool == "MarkedBatch":
        return marked_arguments(prompt)
    seed, target, n = SEED_RE.search(prompt), TARGET_RE.search(prompt), N_RE.search(prompt)
    if not (seed and target and n):
        raise ValueError(f"not a generation prompt: {prompt[:200]!r}")
    concepts = CONCEPT_RE.findall(prompt) or ["iron overload"]
    others = [(t, lab) for t, lab in ENTITY_RE.findall(prompt) if t != target.group(1)]
    out = []
    for i in range(int(n.group(1))):
        name = concepts[i % len(concepts)]
        # a rewrite, not the KG arm's pure substitution (which the funnel rejects)
        text = "Notably, " + seed.group(1).replace(target.group(1), name, 1)
        ents = [{"text": name, "label": target.group(2)}]
        ents += [{"text": t, "label": lab} for t, lab in others if t in text]
        out.append({"text": text, "entities": ents})
    if tool == "PlainBatch":
        return {"sentences": [s["text"] for s in out]}
    return {"sentences": out}


class _Handler(BaseHTTPRequestHandler):
    calls: list[str]

    def log_message(self, *args: object) -> None:  # quiet
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = "\n".join(str(m.get("content") or "") for m in body["messages"])
        tool = body["tools"][0]["function"]["name"]
        self.server.calls.append(tool)  # type: ignore[attr-defined]
        args = fake_arguments(prompt, tool)
        reply = {
            "id": f"chatcmpl-fake{len(self.server.calls)}",  # type: ignore[attr-defined]
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": tool, "arguments": json.dumps(args)},
                            }
                        ],
                    },
                }
            ],
            "usage": {
                "prompt_tokens": len(prompt) // 4,
                "completion_tokens": 50,
                "total_tokens": 0,
            },
        }
        data = json.dumps(reply).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fake_openai_server() -> Iterator[tuple[str, list[str]]]:
    """An OpenAI-compatible endpoint on 127.0.0.1 answering with :func:`fake_arguments`;
    yields (base_url, list of tool names called)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.calls  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
