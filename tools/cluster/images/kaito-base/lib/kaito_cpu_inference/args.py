"""The command lines the workspace controller renders for Kaito's inference image, parsed.

The stand-in runs with the same argv as the real image, so the Workspace's pod spec is the one a
GPU cluster gets (packages/presets/src/render.ts, catalog/runtimes.json):

- vLLM:         python3 /workspace/vllm/inference_api.py --download-dir=/workspace/weights
                --model=<hf repo> --served-model-name=<preset> --port=5000 --dtype=... ...
- transformers: accelerate launch ... /workspace/tfs/inference_api.py
                --pretrained_model_name_or_path=<hf repo> --torch_dtype=... --device_map=auto ...

Flags that only matter on a GPU (memory utilisation, parallelism, dtype: the CPU computes in
float32) are accepted and reported as ignored, never refused: vLLM and Kaito's transformers
server take many more flags than the controller renders, and a user's inference config may add any.
"""

import argparse
from dataclasses import dataclass, field
from typing import List, Optional

RUNTIMES = ("vllm", "transformers")
DEFAULT_PORT = 5000


class ArgsError(ValueError):
    """A command line the stand-in cannot serve; the message names the flag and what it expects."""


@dataclass
class ServeArgs:
    runtime: str
    model: str
    served_model_name: str
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    download_dir: Optional[str] = None
    revision: Optional[str] = None
    trust_remote_code: bool = False
    enable_lora: bool = False
    max_model_len: Optional[int] = None
    combination_type: str = "svd"
    ignored: List[str] = field(default_factory=list)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit 2; callers want one clear line
        raise ArgsError(message)


def _vllm_parser():
    p = _Parser(prog="inference_api.py (vLLM, CPU stand-in)", add_help=False, allow_abbrev=False)
    p.add_argument("--model", required=True)
    p.add_argument("--served-model-name", nargs="+")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--download-dir")
    p.add_argument("--revision")
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--enable-lora", action="store_true")
    p.add_argument("--max-model-len", type=int)
    return p


def _transformers_parser():
    p = _Parser(prog="inference_api.py (transformers, CPU stand-in)", add_help=False, allow_abbrev=False)
    p.add_argument("--pretrained_model_name_or_path", default="/workspace/tfs/weights")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--revision")
    p.add_argument("--trust_remote_code", action="store_true")
    p.add_argument("--combination_type", default="svd")
    return p


def parse_args(runtime, argv):
    """ServeArgs from the rendered argv (without the program); ArgsError on a malformed one."""
    if runtime not in RUNTIMES:
        raise ArgsError(f"runtime: expected one of {', '.join(RUNTIMES)}, got {runtime!r}")
    if runtime == "vllm":
        known, rest = _vllm_parser().parse_known_args(argv)
        names = known.served_model_name or [known.model]
        args = ServeArgs(
            runtime=runtime,
            model=known.model,
            served_model_name=names[0],
            port=known.port,
            host=known.host,
            download_dir=known.download_dir,
            revision=known.revision,
            trust_remote_code=known.trust_remote_code,
            enable_lora=known.enable_lora,
            max_model_len=known.max_model_len,
        )
    else:
        known, rest = _transformers_parser().parse_known_args(argv)
        args = ServeArgs(
            runtime=runtime,
            model=known.pretrained_model_name_or_path,
            served_model_name=known.pretrained_model_name_or_path,
            port=known.port,
            host=known.host,
            revision=known.revision,
            trust_remote_code=known.trust_remote_code,
            combination_type=known.combination_type,
        )
    if not 0 <= args.port <= 65535:
        raise ArgsError(f"--port: expected a TCP port (0-65535), got {args.port}")
    args.ignored = list(rest)
    return args
