import json

from kaito_trainer import events


def test_an_event_is_one_prefixed_json_line(capsys):
    events.emit("progress", step=3, loss=1.5, skipped=None)
    line = capsys.readouterr().out
    assert line.startswith("KAITO_EVENT ") and line.endswith("\n")
    record = json.loads(line[len("KAITO_EVENT "):])
    assert {k: record[k] for k in ("event", "step", "loss")} == {"event": "progress", "step": 3, "loss": 1.5}
    assert "skipped" not in record


def test_non_finite_numbers_become_null(capsys):
    events.emit("progress", loss=float("nan"))
    assert json.loads(capsys.readouterr().out[len("KAITO_EVENT "):])["loss"] is None


def test_other_lines_are_not_events():
    assert events.parse("{'loss': 1.0}") is None
    assert events.parse("KAITO_EVENT [1]") is None
