import json
import os
import sys

import pytest

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TRAINER_DIR not in sys.path:
    sys.path.insert(0, TRAINER_DIR)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from kaito_trainer.tiny import build

    return build(str(tmp_path_factory.mktemp("tiny-model")))


def chat_rows(n):
    return [
        {
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."},
            ]
        }
        for i in range(n)
    ]


@pytest.fixture
def make_config(tmp_path, tiny_model):
    """Writes a runner-style trainer config (and its dataset) and returns its path."""

    def make(rows=None, fmt="messages", method="lora", training=None, lora=None, model=None, **extra):
        data = tmp_path / "dataset.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in (rows if rows is not None else chat_rows(16))))
        config = {
            "method": method,
            "dataset_file": str(data),
            "dataset_format": fmt,
            "ModelConfig": {"pretrained_model_name_or_path": tiny_model, "local_files_only": True, "torch_dtype": "float32", **(model or {})},
            "QuantizationConfig": {"load_in_4bit": method == "qlora"},
            "LoraConfig": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"], **(lora or {})},
            "TrainingArguments": {
                "output_dir": str(tmp_path / "results"),
                "max_steps": 3,
                "per_device_train_batch_size": 4,
                "learning_rate": 0.01,
                "logging_steps": 1,
                "save_strategy": "no",
                **(training or {}),
            },
            "DatasetConfig": {"shuffle_dataset": True, "train_test_split": 1},
            "DataCollator": {"mlm": True},
            **extra,
        }
        path = tmp_path / "trainer-config.json"
        path.write_text(json.dumps(config))
        return str(path)

    return make
