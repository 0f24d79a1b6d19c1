import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from kaito_cpu_inference.args import parse_args
from kaito_cpu_inference.engine import Engine, adapter_weight, find_adapters
from kaito_cpu_inference.server import serve

IMAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def call(base, path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method="GET" if body is None else "POST")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            raw = res.read().decode()
            return res.status, (json.loads(raw) if res.headers.get("Content-Type") == "application/json" else raw), res.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode()), err.headers


def start(args, adapters_dir, env):
    engine = Engine(args, adapters_dir=adapters_dir, env=env)
    httpd = serve(engine, "127.0.0.1", 0)
    return engine, httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def vllm(tiny_model, adapters):
    args = parse_args("vllm", ["--model=org/big-model", "--served-model-name=phi-3", "--enable-lora", "--port=0"])
    engine, httpd, base = start(args, adapters, {"KAITO_CPU_STANDIN_MODEL": tiny_model})
    yield base
    httpd.shutdown()


def greedy(messages, model=None, max_tokens=12):
    body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0}
    if model is not None:
        body["model"] = model
    return body


HELLO = [{"role": "user", "content": "What is the capital of France?"}]


def test_finds_only_folders_with_an_adapter_config(adapters):
    assert [n for n, _ in find_adapters(adapters)] == ["tuned-a", "tuned-b"]
    assert find_adapters(os.path.join(adapters, "missing")) == []


def test_health_answers_once_loaded_and_says_it_is_a_stand_in(vllm):
    status, body, headers = call(vllm, "/health")
    assert (status, body, headers["X-Kaito-Ts-Standin"]) == (200, {"status": "Healthy"}, "cpu")


def test_vllm_lists_the_served_model_and_each_adapter_with_its_parent(vllm):
    status, body, _ = call(vllm, "/v1/models")
    assert status == 200
    assert [(m["id"], m["parent"]) for m in body["data"]] == [("phi-3", None), ("tuned-a", "phi-3"), ("tuned-b", "phi-3")]


def test_chat_completions_with_an_adapter_answers_in_openai_shape_and_names_the_adapter(vllm):
    status, body, _ = call(vllm, "/v1/chat/completions", greedy(HELLO, model="tuned-a"))
    assert status == 200, body
    assert body["object"] == "chat.completion" and body["model"] == "tuned-a"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length")
    # the stand-in model's random tokens are kept to readable text
    assert choice["message"]["content"] and all(c.isprintable() or c in " \n" for c in choice["message"]["content"])
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    assert 0 < body["usage"]["completion_tokens"] <= 12
    assert body["kaito_ts"]["adapters"] == ["tuned-a"]
    assert "CPU stand-in for Kaito's vLLM inference image" in body["kaito_ts"]["standin"]
    assert body["kaito_ts"]["stands_in_for"] == "org/big-model"


def test_the_adapter_changes_the_answer_and_each_adapter_is_its_own_model(vllm):
    answers = {m: call(vllm, "/v1/chat/completions", greedy(HELLO, model=m, max_tokens=16))[1]["choices"][0]["message"]["content"] for m in ("phi-3", "tuned-a", "tuned-b")}
    assert len(set(answers.values())) == 3, answers
    again = call(vllm, "/v1/chat/completions", greedy(HELLO, model="tuned-a", max_tokens=16))[1]["choices"][0]["message"]["content"]
    assert again == answers["tuned-a"]


def test_the_base_model_answers_without_adapters(vllm):
    body = call(vllm, "/v1/chat/completions", greedy(HELLO))[1]
    assert (body["model"], body["kaito_ts"]["adapters"]) == ("phi-3", [])


def test_streams_the_answer_as_server_sent_events(vllm):
    req = urllib.request.Request(vllm + "/v1/chat/completions", data=json.dumps({**greedy(HELLO, model="tuned-a"), "stream": True}).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=60) as res:
        assert res.headers["Content-Type"] == "text/event-stream"
        events = [line[len("data: "):] for line in res.read().decode().split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "tuned-a" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    whole = call(vllm, "/v1/chat/completions", greedy(HELLO, model="tuned-a"))[1]["choices"][0]["message"]["content"]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == whole


def test_seeds_chat_request_gets_kaitos_result_shape(vllm):
    status, body, _ = call(vllm, "/chat", {"prompt": "What is Kubernetes?", "generate_kwargs": {"max_length": 24, "do_sample": False}})
    assert status == 200, body
    assert body["Result"].startswith("What is Kubernetes?") and len(body["Result"]) > len("What is Kubernetes?")
    # two adapters under vLLM: a request that names no model gets the served (base) model
    assert body["model"] == "phi-3" and body["kaito_ts"]["adapters"] == []


@pytest.mark.parametrize(
    "path,body,status,message",
    [
        ("/v1/chat/completions", greedy(HELLO, model="nope"), 404, "The model `nope` does not exist."),
        ("/v1/chat/completions", {"messages": []}, 400, "messages: expected a non-empty list"),
        ("/v1/chat/completions", {"messages": [{"content": "x"}]}, 400, "messages[0]: expected an object with a string role"),
        ("/v1/chat/completions", {**greedy(HELLO), "max_tokens": 0}, 400, "max_tokens: expected a positive integer"),
        ("/v1/chat/completions", {**greedy(HELLO), "max_tokens": 100000}, 400, "maximum context length is 512 tokens"),
    ],
)
def test_openai_errors_say_what_to_change(vllm, path, body, status, message):
    got_status, got, _ = call(vllm, path, body)
    assert (got_status, got["object"], got["code"]) == (status, "error", status)
    assert message in got["message"]


def test_chat_without_a_prompt_is_refused_as_kaito_does(vllm):
    assert call(vllm, "/chat", {"generate_kwargs": {}})[:2] == (400, {"detail": "Text generation parameter prompt required"})


def test_unknown_paths_are_404(vllm):
    assert call(vllm, "/v1/embeddings", {"input": "x"})[0] == 404


def test_transformers_merges_the_adapters_weighted_by_their_env_vars(tiny_model, adapters):
    args = parse_args("transformers", [f"--pretrained_model_name_or_path={tiny_model}", "--combination_type=linear"])
    engine, httpd, base = start(args, adapters, {"tuned-a": "0.5", "tuned-b": "1.0"})
    try:
        assert [(a.name, a.weight) for a in engine.adapters] == [("tuned-a", 0.5), ("tuned-b", 1.0)]
        assert engine.model.active_adapters == ["combined_adapter"]
        assert [m["id"] for m in call(base, "/v1/models")[1]["data"]] == [tiny_model]
        body = call(base, "/v1/chat/completions", greedy(HELLO))[1]
        assert body["kaito_ts"]["adapters"] == ["tuned-a", "tuned-b"] and body["kaito_ts"]["stands_in_for"] is None
        chat = call(base, "/chat", {"prompt": "Hi", "generate_kwargs": {"max_length": 10, "do_sample": False}})[1]
        assert chat["Result"].startswith("Hi") and "transformers" in chat["kaito_ts"]["standin"]
    finally:
        httpd.shutdown()


def test_vllm_without_enable_lora_serves_the_base_model_only(tiny_model, adapters):
    engine = Engine(parse_args("vllm", [f"--model={tiny_model}"]), adapters_dir=adapters, env={})
    assert engine.adapters == [] and [m["id"] for m in engine.model_cards(0)] == [tiny_model]


@pytest.mark.parametrize("raw", ["strong", "1.5", "-0.1"])
def test_a_bad_strength_names_the_env_var(raw):
    with pytest.raises(ValueError, match=r"env tuned-a: expected the adapter's strength"):
        adapter_weight("tuned-a", {"tuned-a": raw})


def test_builds_the_tiny_model_in_the_download_dir_when_the_preset_cannot_be_downloaded(tmp_path):
    engine = Engine(parse_args("vllm", ["--model=microsoft/Phi-3-mini-128k-instruct", f"--download-dir={tmp_path}"]), adapters_dir=str(tmp_path / "none"), env={})
    assert engine.model_dir == str(tmp_path / "kaito-cpu-standin-tiny") and engine.stands_in
    assert "in place of microsoft/Phi-3-mini-128k-instruct" in engine.describe()["standin"]


def test_the_image_entrypoint_serves_until_sigterm(tiny_model, adapters, tmp_path):
    """bin/python3 /workspace/vllm/inference_api.py as the pod runs it (from this folder instead of /workspace)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KAITO_CPU_STANDIN_MODEL": tiny_model, "TRAINER_PYTHON": sys.executable}
    proc = subprocess.Popen(
        [os.path.join(IMAGE, "bin", "python3"), os.path.join(IMAGE, "vllm", "inference_api.py"), "--model=org/m", "--served-model-name=m", f"--port={port}", "--dtype=float16"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                if call(f"http://127.0.0.1:{port}", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.time() < deadline, proc.stdout.read().decode() if proc.poll() is not None else "no /health in 120 s"
            time.sleep(0.2)
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        lines = [json.loads(line) for line in proc.stdout.read().decode().splitlines() if line.startswith("{")]
        assert "CPU stand-in" in lines[0]["message"] and lines[0]["ignored_flags"] == ["--dtype=float16"]
        assert any(line["message"] == "serving" for line in lines)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_accelerate_stand_in_refuses_more_than_one_process():
    r = subprocess.run([os.path.join(IMAGE, "bin", "accelerate"), "launch", "--num_processes=2", "x.py"], capture_output=True, text=True)
    assert r.returncode == 2 and "--num_processes=2 is not supported" in r.stderr


def test_the_accelerate_stand_in_runs_the_script_with_the_adapters_strength_env(tmp_path):
    script = tmp_path / "show.py"
    script.write_text("import os, sys; print(os.environ.get('tuned-a'), sys.argv[1:])")
    env = {**os.environ, "TRAINER_PYTHON": sys.executable, "tuned-a": "0.5"}
    argv = [os.path.join(IMAGE, "bin", "accelerate"), "launch", "--num_processes=1", "--num_machines=1", "--machine_rank=0", "--gpu_ids=all", str(script), "--torch_dtype=float16"]
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout.strip()) == (0, "0.5 ['--torch_dtype=float16']"), r.stderr
