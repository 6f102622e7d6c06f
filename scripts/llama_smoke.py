"""Exit 0 when this llama.cpp build can evaluate a real model; run in a child process.

Some CPUs advertise AMX while the VM does not let programs use it: a llama.cpp built with
`-march=native` then dies with SIGSEGV on the first matrix multiply. We check before relying on it.
"""

from __future__ import annotations

import sys

from llama_cpp import Llama
from repofill.models.embedded import embedded_model_path

path = sys.argv[1] if len(sys.argv) > 1 else embedded_model_path()
if path is None:
    print("no model to test with (install repofill[default-model])")
    sys.exit(0)
llm = Llama(model_path=str(path), n_ctx=256, verbose=False)
llm.eval(llm.tokenize(b"def hello():\n    return", add_bos=True))
print("llama.cpp evaluates a model: ok")
