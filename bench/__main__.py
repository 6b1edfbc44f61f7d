"""`python -m bench [names...]`: run the registered benchmarks (all by default), each in a
fresh process, write bench/results.json and print a table."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench import BENCHMARKS
from bench.core import ROOT, run_isolated

RESULTS = ROOT / "bench" / "results.json"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of the measured code; the median is the value (default 3)")
    parser.add_argument("--reference-sample", type=int, default=60,
                        help="time this many of a reference's repetitions and scale to all of them; "
                             "0 times them all (default 60)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the records (default %(default)s)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    options = parser.parse_args(argv)
    if options.list:
        for name, target in BENCHMARKS.items():
            print(f"{name}  {target}")
        return 0
    unknown = [n for n in options.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are: {', '.join(BENCHMARKS)}")
    os.environ["BENCH_REPEAT"] = str(options.repeat)
    os.environ["BENCH_REFERENCE_SAMPLE"] = str(options.reference_sample)

    print(f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start",
          flush=True)
    records: list[dict[str, Any]] = []
    failed = []
    for name in options.names or list(BENCHMARKS):
        print(f"running {name} …", flush=True)
        started = time.perf_counter()
        try:
            records += run_isolated(BENCHMARKS[name])
        except subprocess.CalledProcessError as error:
            failed.append(name)
            print(f"{name} failed (exit {error.returncode})", file=sys.stderr)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)

    with open(options.out, "w", encoding="utf-8") as out:
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    print()
    print(table(records))
    print(f"\nwritten to {os.path.relpath(options.out)}")
    missed = [r["name"] for r in records if r.get("met") is False]
    if missed:
        print("missed targets: " + ", ".join(missed))
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 1 if options.strict and missed else 0


def _figure(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def _target(record: dict[str, Any]) -> str:
    target = record.get("target")
    if not target:
        return ""
    op = {"<=": "≤", ">=": "≥"}.get(target["op"], "<")
    limit = target["limit"] if target["of"] == "ratio" else _figure(target["limit"], record["unit"])
    return f"{target['of']} {op} {limit}  {'ok' if record['met'] else 'MISSED'}"


def table(records: list[dict[str, Any]]) -> str:
    """The records as a table, notes numbered under it."""
    header = ("benchmark", "value", "reference (same run)", "ref. value", "ratio", "target")
    rows, notes = [], []
    for r in records:
        reference = r["reference"] or "–"
        if r.get("note"):
            notes.append(r["note"])
            reference += f" [{len(notes)}]"
        rows.append((r["name"], _figure(r["value"], r["unit"]), reference, _figure(r["reference_value"], r["unit"]),
                     "–" if r["ratio"] is None else f"{r['ratio']:.3f}", _target(r)))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 3, 4}
    lines = []
    for i, row in enumerate([header, *rows]):
        lines.append("  ".join(cell.rjust(w) if c in right else cell.ljust(w)
                               for c, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += [f"[{n}] {note}" for n, note in enumerate(notes, start=1)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
