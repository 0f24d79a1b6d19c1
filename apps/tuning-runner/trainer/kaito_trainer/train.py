"""Training: model + LoRA (or 4/8-bit QLoRA), transformers' Trainer, progress events, SIGTERM
checkpoints, and the adapter written with `save_pretrained`."""

import datetime
import os
import signal

from . import events, exits
from .data import FALLBACK_CHAT_TEMPLATE, build
from .errors import ConfigError, TrainerFailure

SENTINEL = "fine_tuning_completed.txt"


class Termination:
    """SIGTERM sets the flag; the callback checkpoints at the next step boundary and stops."""

    def __init__(self):
        self.requested = False
        self.training = False
        self.checkpoint = None

    def save_checkpoint(self, output_dir, step, model, is_world_process_zero):
        """Saves the adapter trained so far (once) and reports it."""
        if self.checkpoint is not None:
            return
        self.checkpoint = os.path.join(output_dir, f"checkpoint-{step}")
        if is_world_process_zero and model is not None:
            model.save_pretrained(self.checkpoint)
            events.emit("terminated", step=step, checkpoint=self.checkpoint)

    def install(self):
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum, frame):
        self.requested = True
        if not self.training:
            # Nothing to checkpoint yet (loading the model or the data): stop now.
            events.emit("terminated", step=0, checkpoint=None)
            raise SystemExit(exits.TERMINATED)


def _torch_dtype(name):
    import torch

    if name in (None, "auto"):
        return name
    return getattr(torch, name)


def _chat_template(value):
    if not value:
        return None
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as f:
            return f.read()
    return value.replace("\\n", "\n")


def _progress_callback(termination):
    from transformers import TrainerCallback

    class KaitoProgress(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            termination.training = True
            if state.is_world_process_zero:
                events.emit("started", max_steps=state.max_steps, epochs=args.num_train_epochs)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs or ("loss" not in logs and "eval_loss" not in logs):
                return
            events.emit(
                "progress",
                step=state.global_step,
                max_steps=state.max_steps,
                epoch=state.epoch,
                loss=logs.get("loss"),
                eval_loss=logs.get("eval_loss"),
                learning_rate=logs.get("learning_rate"),
                grad_norm=logs.get("grad_norm"),
            )

        def on_step_end(self, args, state, control, model=None, **kwargs):
            # Also at the last step, where the Trainer has already set should_training_stop.
            if termination.requested:
                termination.save_checkpoint(args.output_dir, state.global_step, model, state.is_world_process_zero)
                control.should_training_stop = True
            return control

    return KaitoProgress()


def run(plan, termination):
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    cuda = torch.cuda.is_available()
    if plan.method == "qlora" and not cuda:
        raise ConfigError("method qlora needs a CUDA GPU (bitsandbytes 4/8-bit); this machine has none")
    if cuda and "LOCAL_RANK" in os.environ:
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))

    model_cfg = dict(plan.model)
    path = model_cfg.pop("pretrained_model_name_or_path")
    template = _chat_template(model_cfg.pop("chat_template", None))
    dtype = _torch_dtype(model_cfg.pop("torch_dtype", None))
    device_map = model_cfg.pop("device_map", None)
    load = {k: model_cfg[k] for k in ("local_files_only", "trust_remote_code", "revision") if k in model_cfg}

    tokenizer = transformers.AutoTokenizer.from_pretrained(path, **load)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if template:
        tokenizer.chat_template = template
    elif plan.dataset_format != "text" and not tokenizer.chat_template:
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE

    model_kwargs = dict(load)
    if dtype is not None:
        model_kwargs["torch_dtype"] = dtype
    if cuda and device_map is not None:
        model_kwargs["device_map"] = {"": int(os.environ["LOCAL_RANK"])} if "LOCAL_RANK" in os.environ else device_map
    if plan.method == "qlora":
        q = dict(plan.quantization)
        if isinstance(q.get("bnb_4bit_compute_dtype"), str):
            q["bnb_4bit_compute_dtype"] = _torch_dtype(q["bnb_4bit_compute_dtype"])
        model_kwargs["quantization_config"] = transformers.BitsAndBytesConfig(**q)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, **model_kwargs)
    model.config.use_cache = False

    train_set, eval_set = build(plan, tokenizer)

    training = dict(plan.training)
    training.setdefault("logging_steps", 10)
    training.setdefault("report_to", "none")
    training.setdefault("disable_tqdm", True)
    training.setdefault("remove_unused_columns", False)
    training.setdefault("learning_rate", 2e-5)
    training.setdefault("bf16", bool(cuda and torch.cuda.is_bf16_supported()))
    training.setdefault("gradient_checkpointing", bool(cuda))
    if not cuda:
        training["use_cpu"] = True
    try:
        args = transformers.TrainingArguments(**training)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"TrainingArguments: {err}") from err

    if plan.method == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=args.gradient_checkpointing)
    elif args.gradient_checkpointing:
        model.enable_input_require_grads()
    lora = dict(plan.lora)
    lora.setdefault("task_type", "CAUSAL_LM")
    try:
        model = get_peft_model(model, LoraConfig(**lora))
    except (ValueError, TypeError) as err:
        raise ConfigError(f"LoraConfig: {err}") from err
    trainable, total = model.get_nb_trainable_parameters()
    events.emit("model", trainable_params=trainable, total_params=total, examples=len(train_set), device="cuda" if cuda else "cpu")

    collator = transformers.DataCollatorForLanguageModeling(
        tokenizer, mlm=False, pad_to_multiple_of=plan.collator.get("pad_to_multiple_of")
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=collator,
        callbacks=[_progress_callback(termination)],
    )
    result = trainer.train()
    if termination.requested:
        # SIGTERM after the last step's callback (final evaluation, teardown): checkpoint now.
        termination.save_checkpoint(args.output_dir, result.global_step, trainer.model, trainer.is_world_process_zero())
        return exits.TERMINATED
    termination.training = False

    if trainer.is_world_process_zero():
        os.makedirs(plan.output_dir, exist_ok=True)
        trainer.model.save_pretrained(plan.output_dir, safe_serialization=True)
        with open(os.path.join(plan.output_dir, SENTINEL), "w", encoding="utf-8") as f:
            f.write(f"Fine-Tuning completed at {datetime.datetime.now().isoformat()}\n")
        events.emit(
            "saved",
            output_dir=plan.output_dir,
            step=result.global_step,
            train_loss=result.training_loss,
        )
    return exits.OK


def is_out_of_memory(err):
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(err, oom):
        return True
    return isinstance(err, RuntimeError) and "out of memory" in str(err).lower()


__all__ = ["Termination", "TrainerFailure", "run", "is_out_of_memory", "SENTINEL"]
