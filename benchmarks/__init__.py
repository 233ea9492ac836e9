"""Benchmarks that print markdown tables; `--out` also writes them under benchmarks/results/."""

import json
import os


def emit(table, out=None, figures=None):
    """Print `table`; with `out`, write it there and `figures` (if any) beside it as .json."""
    print(table)
    if out:
        with open(out, "w") as f:
            f.write(table + "\n")
        if figures is not None:
            with open(os.path.splitext(out)[0] + ".json", "w") as f:
                json.dump(figures, f, indent=2)
