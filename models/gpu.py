"""What this llama.cpp build can offload to, asked without loading a model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Shared libraries llama-cpp-python ships per backend (ggml splits backends into libraries).
_BACKEND_LIBS = {
    "CUDA": "ggml-cuda",
    "Metal": "ggml-metal",
    "Vulkan": "ggml-vulkan",
    "ROCm/HIP": "ggml-hip",
    "SYCL": "ggml-sycl",
    "OpenCL": "ggml-opencl",
}


@lru_cache(maxsize=1)
def gpu_offload_supported() -> bool:
    try:
        import llama_cpp
    except ImportError:
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


@lru_cache(maxsize=1)
def gpu_backends() -> tuple[str, ...]:
    """Names of the GPU backends compiled into the installed llama.cpp."""
    try:
        import llama_cpp
    except ImportError:
        return ()
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    names = {p.name for p in lib_dir.glob("*")} if lib_dir.is_dir() else set()
    found = tuple(
        backend for backend, stem in _BACKEND_LIBS.items() if any(stem in n for n in names)
    )
    if found:
        return found
    # Static builds put every backend in one library; the system info string names them.
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return tuple(b for b in _BACKEND_LIBS if b.split("/")[0].upper() + " " in info.upper())
