"""`python -m bench.child module:function OUT [ARGS_JSON]`: call the function with the
arguments, write its result to OUT as JSON. How every benchmark gets a fresh process."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    target, out = argv[0], Path(argv[1])
    args = json.loads(argv[2]) if len(argv) > 2 else []
    module, name = target.split(":")
    result = getattr(importlib.import_module(module), name)(*args)
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
