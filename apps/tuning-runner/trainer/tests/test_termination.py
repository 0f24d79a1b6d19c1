"""SIGTERM checkpoints, driven through the progress callback directly (no signals, no timing)."""

import json
import os
from types import SimpleNamespace

from transformers import TrainerControl, TrainerState

from kaito_trainer.events import parse
from kaito_trainer.train import Termination, _progress_callback


class FakeModel:
    def __init__(self):
        self.saved = []

    def save_pretrained(self, path):
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "adapter_model.safetensors"), "wb") as f:
            f.write(b"x")
        self.saved.append(path)


def test_sigterm_during_the_last_step_still_saves_a_checkpoint(tmp_path, capsys):
    termination = Termination()
    termination.training = True
    termination.requested = True
    callback = _progress_callback(termination)
    # At the last step the Trainer's own flow callback has already asked training to stop.
    control = TrainerControl(should_training_stop=True)
    state = TrainerState(global_step=3, max_steps=3)
    model = FakeModel()
    callback.on_step_end(SimpleNamespace(output_dir=str(tmp_path)), state, control, model=model)
    assert model.saved == [str(tmp_path / "checkpoint-3")]
    [terminated] = [e for e in map(parse, capsys.readouterr().out.splitlines()) if e and e["event"] == "terminated"]
    assert terminated["checkpoint"] == str(tmp_path / "checkpoint-3")
    assert control.should_training_stop


def test_a_checkpoint_is_saved_once(tmp_path, capsys):
    termination = Termination()
    termination.training = True
    termination.requested = True
    callback = _progress_callback(termination)
    model = FakeModel()
    args = SimpleNamespace(output_dir=str(tmp_path))
    callback.on_step_end(args, TrainerState(global_step=2, max_steps=9), TrainerControl(), model=model)
    callback.on_step_end(args, TrainerState(global_step=3, max_steps=9), TrainerControl(should_training_stop=True), model=model)
    assert model.saved == [str(tmp_path / "checkpoint-2")]
    events = [e for e in map(parse, capsys.readouterr().out.splitlines()) if e and e["event"] == "terminated"]
    assert [json.dumps(e["checkpoint"]) for e in events] == [json.dumps(str(tmp_path / "checkpoint-2"))]
