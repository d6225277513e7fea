"""Run every benchmark script in this folder and print their tables.

python -m benchmarks            full runs (minutes)
python -m benchmarks --smoke    a few seconds each, as CI runs them
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

BENCHMARKS = Path(__file__).parent


def main() -> int:
    """Run each bench_*.py with the same arguments; fail if any fails."""
    failed = []
    for script in sorted(BENCHMARKS.glob("bench_*.py")):
        print(f"\n=== {script.stem}", flush=True)
        module = f"benchmarks.{script.stem}"
        if subprocess.run(
            [sys.executable, "-m", module, *sys.argv[1:]], check=False
        ).returncode:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
