"""The trainer as the runner runs it: a subprocess, events on stdout, exit codes."""

import json
import os
import signal
import subprocess
import sys
import time

from kaito_trainer import exits
from kaito_trainer.events import parse

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(config, *extra):
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "kaito_trainer", "--config", config, *extra],
        cwd=TRAINER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def events_of(stdout):
    return [e for e in (parse(line) for line in stdout.splitlines()) if e]


def safetensors_keys(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return [k for k in json.loads(f.read(n)) if k != "__metadata__"]


def test_a_lora_run_writes_the_adapter_and_reports_each_step(make_config, tmp_path):
    proc = start(make_config())
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == exits.OK, err
    events = events_of(out)
    steps = [e["step"] for e in events if e["event"] == "progress"]
    assert steps == [1, 2, 3]
    assert all(e["loss"] > 0 for e in events if e["event"] == "progress")
    results = tmp_path / "results"
    config = json.loads((results / "adapter_config.json").read_text())
    assert (config["peft_type"], config["r"], sorted(config["target_modules"])) == ("LORA", 4, ["q_proj", "v_proj"])
    keys = safetensors_keys(results / "adapter_model.safetensors")
    assert len(keys) == 8 and all(".lora_A." in k or ".lora_B." in k for k in keys)
    assert (results / "fine_tuning_completed.txt").read_text().startswith("Fine-Tuning completed at ")


def test_check_config_validates_without_training(make_config, tmp_path):
    proc = start(make_config(), "--check-config")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == exits.OK, err
    assert [e["event"] for e in events_of(out)] == ["config-ok"]
    assert not (tmp_path / "results").exists()


def test_check_config_needs_no_dataset_yet(make_config, tmp_path):
    path = make_config()
    config = json.loads(open(path).read())
    del config["dataset_file"], config["dataset_format"]
    with open(path, "w") as f:
        json.dump(config, f)
    proc = start(path, "--check-config")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == exits.OK, err
    assert [e["event"] for e in events_of(out)] == ["config-ok"]


def test_training_still_needs_the_dataset(make_config):
    path = make_config()
    config = json.loads(open(path).read())
    del config["dataset_file"], config["dataset_format"]
    with open(path, "w") as f:
        json.dump(config, f)
    proc = start(path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == exits.INVALID_CONFIG
    [error] = [e for e in events_of(out) if e["event"] == "error"]
    assert error["message"].startswith("dataset_file: required")


def test_a_bad_config_exits_3_with_an_error_event(make_config):
    proc = start(make_config(lora={"rank": 8}), "--check-config")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == exits.INVALID_CONFIG
    [error] = [e for e in events_of(out) if e["event"] == "error"]
    assert error["reason"] == "InvalidConfig"
    assert error["message"].startswith("LoraConfig.rank: unknown field")


def test_qlora_on_a_machine_without_cuda_is_a_config_error(make_config):
    proc = start(make_config(method="qlora"))
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == exits.INVALID_CONFIG
    [error] = [e for e in events_of(out) if e["event"] == "error"]
    assert error["message"] == "method qlora needs a CUDA GPU (bitsandbytes 4/8-bit); this machine has none"


def test_sigterm_during_training_saves_a_checkpoint_and_exits_8(make_config, tmp_path):
    proc = start(make_config(training={"max_steps": 100000}))
    seen = []
    for line in proc.stdout:
        event = parse(line)
        if event:
            seen.append(event)
            if event["event"] == "progress" and event["step"] >= 2:
                proc.send_signal(signal.SIGTERM)
                break
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == exits.TERMINATED
    [terminated] = [e for e in events_of(out) if e["event"] == "terminated"]
    assert os.path.isfile(os.path.join(terminated["checkpoint"], "adapter_model.safetensors"))
    assert not (tmp_path / "results" / "fine_tuning_completed.txt").exists()


def sigterm_is_caught(pid):
    """Whether the process has installed a SIGTERM handler (Linux: the SigCgt mask in /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def test_sigterm_before_training_exits_8_at_once(make_config):
    proc = start(make_config())
    # Signal once the handler is in place (before that, SIGTERM would just kill Python), while the
    # trainer is still importing torch and loading: no sleep that a slow machine could outrun.
    deadline = time.monotonic() + 60
    while not sigterm_is_caught(proc.pid):
        assert proc.poll() is None, "the trainer exited before installing its SIGTERM handler"
        assert time.monotonic() < deadline, "no SIGTERM handler after 60 s"
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == exits.TERMINATED
