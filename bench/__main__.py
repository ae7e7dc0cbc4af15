"""`make bench`: run the benchmarks and write bench/results/latest.json.

python -m bench [--seconds 8] [--skip-reminders] [--json PATH]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tessera benchmarks")
    parser.add_argument("--seconds", type=float, default=8.0, help="per target")
    parser.add_argument("--skip-reminders", action="store_true")
    parser.add_argument("--reminders", type=int, default=10_000, help="messages")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    from bench import registration

    report: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as workdir:
        result = registration.run(workdir=Path(workdir), seconds=args.seconds)
        registration.print_table(result)
        report["registration"] = result
        if not args.skip_reminders:
            from bench import reminders

            outcome = reminders.run(count=args.reminders)
            reminders.print_result(outcome)
            report["reminders"] = outcome
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
