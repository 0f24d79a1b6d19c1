import json

import pytest

from kaito_trainer.config import load, plan_from
from kaito_trainer.errors import ConfigError


def test_a_valid_config_becomes_a_plan(make_config):
    plan = load(make_config())
    assert plan.method == "lora"
    assert plan.max_length == 1024
    assert plan.lora["r"] == 4


def test_max_length_is_taken_out_of_the_training_arguments(make_config):
    plan = load(make_config(training={"max_length": 64}))
    assert plan.max_length == 64
    assert "max_length" not in plan.training


def test_an_unknown_training_argument_is_named_with_the_library_version(make_config):
    with pytest.raises(ConfigError, match=r"^TrainingArguments\.warmup_stepz: unknown field for transformers \d+\.\d+\.\d+ TrainingArguments$"):
        load(make_config(training={"warmup_stepz": 5}))


def test_an_unknown_lora_field_is_named(make_config):
    with pytest.raises(ConfigError, match=r"^LoraConfig\.rank: unknown field for peft \d+\.\d+\.\d+ LoraConfig$"):
        load(make_config(lora={"rank": 8}))


def test_an_unknown_model_field_is_named(make_config):
    with pytest.raises(ConfigError, match=r"^ModelConfig\.quantize: unknown field for the trainer's ModelConfig$"):
        load(make_config(model={"quantize": True}))


def test_qlora_without_4_or_8_bit_is_rejected(make_config, tmp_path):
    path = make_config(method="qlora")
    config = json.loads(open(path).read())
    config["QuantizationConfig"] = {"load_in_4bit": False}
    with pytest.raises(ConfigError, match="method qlora needs load_in_4bit or load_in_8bit"):
        plan_from(config)


def test_packing_is_refused(make_config):
    with pytest.raises(ConfigError, match="packing is not supported"):
        load(make_config(training={"packing": True}))


def test_an_unreadable_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the trainer config"):
        load(str(tmp_path / "missing.json"))
