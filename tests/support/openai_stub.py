"""A tiny OpenAI-compatible HTTP stub on 127.0.0.1 for tests: records every request body and
answers from a queue of (status, JSON body) pairs, so tests can check what ``ChatOpenAI`` really
sends and how real HTTP errors are classified."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: str = "ok", *, tool: tuple[str, dict[str, Any]] | None = None) -> dict:
    """A chat-completions response body (plain text, or one tool call)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool is not None:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": tool[0], "arguments": json.dumps(tool[1])},
                }
            ],
        }
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "stub-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


@dataclass
class OpenAIStub:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # of each request, in order
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    default: tuple[int, dict[str, Any]] = (200, completion())

    def queue(self, status: int, body: dict[str, Any]) -> None:
        self.replies.append((status, body))


@contextmanager
def running_stub() -> Iterator[OpenAIStub]:
    """Serve a stub until the block ends."""
    stub = OpenAIStub(base_url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                stub.requests.append(body)
                stub.headers.append({k.lower(): v for k, v in self.headers.items()})
                status, reply = stub.replies.pop(0) if stub.replies else stub.default
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
