"""The HTTP API of the CPU stand-in, on the standard library's threading HTTP server.

Endpoints (what the controller's probes and the seed's requests use):
- GET  /health                the probe path of both runtimes (catalog/runtimes.json): 200 once loaded
- GET  /v1/models             OpenAI: the served model, and under vLLM each adapter (parent = base)
- POST /v1/chat/completions   OpenAI chat completions (`stream: true` as server-sent events)
- POST /chat                  Kaito's transformers runtime (up to v0.8): {"prompt"} or {"messages"},
                              optional generate_kwargs; answers {"Result": text}
- GET  /                      {"message": "Server is running"}
Every answer carries `kaito_ts` (what answered, which adapters) and the header
`X-Kaito-Ts-Standin`, so nobody mistakes it for the GPU image.
"""

import json
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .args import ArgsError, parse_args
from .engine import RequestError
from .log import log

DEFAULT_MAX_TOKENS = 64
# Kaito's legacy /chat GenerateKwargs defaults
CHAT_DEFAULTS = {"max_length": 200, "do_sample": True, "temperature": 1.0, "top_k": 10, "top_p": 1.0}


class Api:
    """Request handling, apart from the HTTP plumbing (so tests can call it directly too)."""

    def __init__(self, engine, clock=time.time):
        self.engine = engine
        self.clock = clock

    def _meta(self, adapters):
        return {**self.engine.describe(), "adapters": adapters}

    def models(self):
        return 200, {"object": "list", "data": self.engine.model_cards(int(self.clock()))}

    def chat_completions(self, body):
        if not isinstance(body, dict):
            raise RequestError("expected a JSON object, e.g. {\"model\": \"...\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}")
        model = body.get("model")
        if model is not None and not isinstance(model, str):
            raise RequestError("model: expected a string (GET /v1/models lists them)")
        model = model or self.engine.served_model_name
        adapters = self.engine.adapters_for(model)
        prompt = self.engine.chat_prompt(body.get("messages"))
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
        g = self.engine.generate(model, prompt, max_tokens, temperature=body.get("temperature", 1.0), top_p=body.get("top_p", 1.0), seed=body.get("seed"))
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(self.clock()),
            "model": model,
            "system_fingerprint": "kaito-ts-cpu-standin",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": g.text}, "logprobs": None, "finish_reason": g.finish_reason}],
            "usage": {"prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens, "total_tokens": g.prompt_tokens + g.completion_tokens},
            "kaito_ts": self._meta(adapters),
        }

    def chat(self, body):
        """Kaito's legacy /chat: `prompt` (text generation) or `messages` (conversation)."""
        if not isinstance(body, dict):
            raise RequestError("expected a JSON object, e.g. {\"prompt\": \"Tell me a joke\"}", status=422)
        prompt, messages = body.get("prompt"), body.get("messages")
        if prompt is None and messages is None:
            raise RequestError("Text generation parameter prompt required", status=400)
        if prompt is not None and not isinstance(prompt, str):
            raise RequestError("prompt: expected a string", status=422)
        kwargs = {**CHAT_DEFAULTS, **(body.get("generate_kwargs") or {})}
        model = body.get("model") or self.engine.default_model()
        adapters = self.engine.adapters_for(model)
        text = prompt if prompt is not None else self.engine.chat_prompt(messages)
        n_prompt = len(self.engine.tokenizer(text)["input_ids"])
        if "max_new_tokens" in kwargs:
            max_new = kwargs["max_new_tokens"]
        else:  # max_length counts the prompt too (transformers' meaning)
            max_new = max(1, int(kwargs["max_length"]) - n_prompt)
        max_new = min(max_new, max(1, self.engine.max_len - n_prompt))
        temperature = kwargs["temperature"] if kwargs.get("do_sample", True) else 0
        g = self.engine.generate(model, text, max_new, temperature=temperature, top_p=kwargs.get("top_p"), top_k=kwargs.get("top_k"), seed=kwargs.get("seed"))
        full = body.get("return_full_text", True) and prompt is not None
        return {"Result": (text + g.text) if full else g.text, "model": model, "kaito_ts": self._meta(adapters)}


def make_handler(api):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "kaito-ts-cpu-standin"

        def log_message(self, *_):  # the JSON log below instead of stderr lines
            pass

        def _send(self, status, payload, content_type="application/json"):
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Kaito-Ts-Standin", "cpu")
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                return json.loads(raw or b"null")
            except ValueError as err:
                raise RequestError(f"the body is not valid JSON: {err}") from None

        def _handle(self, method):
            started = time.monotonic()
            path = self.path.split("?", 1)[0]
            status = 500
            try:
                if method == "GET" and path == "/health":
                    status, payload = 200, {"status": "Healthy"}
                elif method == "GET" and path == "/":
                    status, payload = 200, {"message": "Server is running"}
                elif method == "GET" and path == "/v1/models":
                    status, payload = api.models()
                elif method == "POST" and path == "/v1/chat/completions":
                    body = self._body()
                    result = api.chat_completions(body)
                    if isinstance(body, dict) and body.get("stream"):
                        status = 200
                        return self._stream(result)
                    status, payload = 200, result
                elif method == "POST" and path == "/chat":
                    status, payload = 200, api.chat(self._body())
                else:
                    status, payload = 404, {"detail": "Not Found"}
                self._send(status, payload)
            except RequestError as err:
                status = err.status
                if path == "/chat":
                    self._send(status, {"detail": str(err)})
                else:
                    self._send(status, {"object": "error", "message": str(err), "type": "NotFoundError" if status == 404 else "BadRequestError", "param": None, "code": status})
            except Exception as err:  # noqa: BLE001 - answer 500 and log, never kill the server
                log("error", "request failed", path=path, error=f"{type(err).__name__}: {err}")
                self._send(500, {"object": "error", "message": f"{type(err).__name__}: {err}", "type": "InternalServerError", "param": None, "code": 500})
            finally:
                if path != "/health":
                    log("info", "request", method=method, path=path, status=status, ms=round((time.monotonic() - started) * 1000))

        def _stream(self, result):
            """The whole answer as OpenAI chunks (generation is not incremental here)."""
            base = {k: result[k] for k in ("id", "created", "model", "system_fingerprint")}
            text = result["choices"][0]["message"]["content"]
            chunks = [
                {"delta": {"role": "assistant", "content": ""}, "finish_reason": None},
                {"delta": {"content": text}, "finish_reason": None},
                {"delta": {}, "finish_reason": result["choices"][0]["finish_reason"]},
            ]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Kaito-Ts-Standin", "cpu")
            self.send_header("Connection", "close")
            self.end_headers()
            for c in chunks:
                event = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "logprobs": None, **c}], "kaito_ts": result["kaito_ts"]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

        def do_GET(self):  # noqa: N802 - BaseHTTPRequestHandler's names
            self._handle("GET")

        def do_POST(self):  # noqa: N802
            self._handle("POST")

    return Handler


def serve(engine, host, port):
    """Starts the server in a thread; returns it (server_address has the bound port)."""
    httpd = ThreadingHTTPServer((host, port), make_handler(Api(engine)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
    return httpd


def main(runtime, argv=None):
    """The image's inference_api.py: parse the rendered flags, load, serve until SIGTERM."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_args(runtime, argv)
    except ArgsError as err:
        sys.stderr.write(f"inference_api.py (CPU stand-in): {err}\n")
        return 2
    log(
        "info",
        f"starting the CPU stand-in for Kaito's {'vLLM' if runtime == 'vllm' else 'transformers'} inference image: transformers on the CPU, no GPU",
        runtime=runtime,
        model=args.model,
        served_model_name=args.served_model_name,
        port=args.port,
        ignored_flags=args.ignored or None,
    )
    from .engine import Engine

    try:
        engine = Engine(args)
    except ValueError as err:
        log("error", "cannot load the model", error=str(err))
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        httpd = serve(engine, args.host, args.port)
    except OSError as err:
        log("error", "cannot listen", host=args.host, port=args.port, error=str(err))
        return 1
    log("info", "serving", url=f"http://{args.host}:{httpd.server_address[1]}", endpoints=["/health", "/v1/models", "/v1/chat/completions", "/chat"])
    stop.wait()
    log("info", "stopping")
    httpd.shutdown()
    return 0
