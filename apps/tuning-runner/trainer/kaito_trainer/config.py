"""The runner's merged config → library objects, with unknown fields rejected by name.

The runner sends Kaito's six sections (ModelConfig, QuantizationConfig, LoraConfig,
TrainingArguments, DatasetConfig, DataCollator) plus `method`, `dataset_file` and
`dataset_format`. `--check-config` runs before the dataset exists, so there the two dataset
fields may be absent (`dataset_required=False`); when given they are still checked. LoraConfig, TrainingArguments and QuantizationConfig are checked against the
installed peft / transformers classes, so the message names the version that lacks a field.
"""

import dataclasses
import inspect
import json
import os

from .errors import ConfigError

MODEL_KEYS = {
    "pretrained_model_name_or_path",
    "local_files_only",
    "device_map",
    "torch_dtype",
    "trust_remote_code",
    "chat_template",
    "revision",
}
DATASET_KEYS = {
    "dataset_path",
    "dataset_extension",
    "shuffle_dataset",
    "shuffle_seed",
    "train_test_split",
    "context_column",
    "response_column",
    "messages_column",
}
COLLATOR_KEYS = {"mlm", "mlm_probability", "pad_to_multiple_of"}
# trl.SFTConfig fields Kaito's configs may carry; consumed here, not by TrainingArguments.
SFT_KEYS = {"max_length", "max_seq_length", "packing", "dataset_text_field", "dataset_kwargs"}
DTYPES = {"auto", "bfloat16", "float16", "float32"}


@dataclasses.dataclass
class Plan:
    method: str
    model: dict
    quantization: dict
    lora: dict
    training: dict
    max_length: int
    dataset: dict
    collator: dict
    dataset_file: str | None
    dataset_format: str | None

    @property
    def output_dir(self):
        return self.training["output_dir"]


def _check_keys(section, given, allowed, owner):
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        more = f" (and {len(unknown) - 1} more: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise ConfigError(f"{section}.{unknown[0]}: unknown field for {owner}{more}")


def _section(config, name):
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a mapping, got {type(value).__name__}")
    return dict(value)


def load(path, dataset_required=True):
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the trainer config {path}: {err}") from err
    return plan_from(config, dataset_required)


def plan_from(config, dataset_required=True):
    import peft
    import transformers

    method = config.get("method")
    if method not in ("lora", "qlora"):
        raise ConfigError(f"method: expected lora or qlora, got {method!r}")

    model = _section(config, "ModelConfig")
    _check_keys("ModelConfig", model, MODEL_KEYS, "the trainer's ModelConfig")
    if not model.get("pretrained_model_name_or_path"):
        raise ConfigError("ModelConfig.pretrained_model_name_or_path: required (the base model's directory)")
    dtype = model.get("torch_dtype")
    if dtype is not None and dtype not in DTYPES:
        raise ConfigError(f"ModelConfig.torch_dtype: expected one of {', '.join(sorted(DTYPES))}, got {dtype!r}")

    quantization = _section(config, "QuantizationConfig")
    bnb_params = set(inspect.signature(transformers.BitsAndBytesConfig.__init__).parameters) - {"self", "kwargs"}
    _check_keys("QuantizationConfig", quantization, bnb_params, f"transformers {transformers.__version__} BitsAndBytesConfig")
    quantized = bool(quantization.get("load_in_4bit") or quantization.get("load_in_8bit"))
    if method == "qlora" and not quantized:
        raise ConfigError("QuantizationConfig: method qlora needs load_in_4bit or load_in_8bit")
    if method == "lora" and quantized:
        raise ConfigError("QuantizationConfig: method lora cannot load the model in 4 or 8 bit")

    lora = _section(config, "LoraConfig")
    lora_fields = {f.name for f in dataclasses.fields(peft.LoraConfig) if f.init}
    _check_keys("LoraConfig", lora, lora_fields, f"peft {peft.__version__} LoraConfig")
    if env_targets := os.environ.get("DEFAULT_TARGET_MODULES"):
        lora.setdefault("target_modules", [t for t in env_targets.split(",") if t])

    training = _section(config, "TrainingArguments")
    ta_fields = {f.name for f in dataclasses.fields(transformers.TrainingArguments) if f.init}
    _check_keys("TrainingArguments", training, ta_fields | SFT_KEYS, f"transformers {transformers.__version__} TrainingArguments")
    max_length = training.pop("max_length", None) or training.pop("max_seq_length", None) or 1024
    if training.pop("packing", False):
        raise ConfigError("TrainingArguments.packing: packing is not supported by this trainer")
    for key in SFT_KEYS:
        training.pop(key, None)
    if not training.get("output_dir"):
        raise ConfigError("TrainingArguments.output_dir: required")
    if not isinstance(max_length, int) or max_length <= 0:
        raise ConfigError(f"TrainingArguments.max_length: expected a positive integer, got {max_length!r}")

    dataset = _section(config, "DatasetConfig")
    _check_keys("DatasetConfig", dataset, DATASET_KEYS, "the trainer's DatasetConfig")
    split = dataset.get("train_test_split", 1)
    if not isinstance(split, (int, float)) or not 0 < split <= 1:
        raise ConfigError(f"DatasetConfig.train_test_split: expected a number in (0, 1], got {split!r}")

    collator = _section(config, "DataCollator")
    _check_keys("DataCollator", collator, COLLATOR_KEYS, "DataCollatorForLanguageModeling")

    dataset_file = config.get("dataset_file")
    dataset_format = config.get("dataset_format")
    if not dataset_required and dataset_file is None and dataset_format is None:
        pass
    elif not dataset_file:
        raise ConfigError("dataset_file: required (the runner's normalised JSONL)")
    elif dataset_format not in ("messages", "prompt-completion", "text"):
        raise ConfigError(f"dataset_format: expected messages, prompt-completion or text, got {dataset_format!r}")

    return Plan(
        method=method,
        model=model,
        quantization=quantization,
        lora=lora,
        training=training,
        max_length=max_length,
        dataset=dataset,
        collator=collator,
        dataset_file=dataset_file,
        dataset_format=dataset_format,
    )
