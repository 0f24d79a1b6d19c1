"""Kaito's /workspace/vllm/inference_api.py on the local cluster: the CPU stand-in (vllm runtime).

The process kubelet mounts this folder at /workspace/vllm (tools/cluster/kubelet-images.yaml,
`files`); the image's python3 (bin/python3 here) puts the stand-in's library on the path.
"""
import sys

from kaito_cpu_inference.server import main

if __name__ == "__main__":
    sys.exit(main("vllm"))
