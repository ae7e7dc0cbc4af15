"""`make bench`: run the benchmarks and write bench/results/latest.json.

python -m bench [--seconds 8] [--skip-reminders] [--json PATH] [--quick]
                [--only paid,latency] [--rounds 3]

With DATABASE_URL and REDIS_URL set, the flash-sale benchmark runs on the
production setup (bench/flash.py); otherwise the SQLite one (bench/registration.py).
`--quick` (CI): the flash-sale benchmark alone, briefly; exit 1 on any error,
oversold seat or double effect.
"""

import argparse
import json
import os
import re
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
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="flash sale: rounds of the targets compared with the minimal view, "
        "interleaved, medians kept (3; 1 with --quick)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="flash sale: measure these parts only, comma-separated "
        "(page, paid, free, race, webhooks, confirmations, latency)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get(
        "REDIS_URL"
    ):
        return flash_main(args)
    if args.quick:
        print("--quick needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2

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


def flash_main(args: argparse.Namespace) -> int:
    """Run the flash-sale benchmark; 1 on an error, an oversold seat or a double."""
    from bench import flash

    report: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    report["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    print(f"flash sale benchmark (load average {report['load_average_before']})")
    with tempfile.TemporaryDirectory(prefix="tessera-flash-") as workdir:
        try:
            only = frozenset(filter(None, args.only.split(",")))
            unknown = only - set(flash.SECTIONS)
            if unknown:
                print(f"unknown parts: {', '.join(sorted(unknown))}", file=sys.stderr)
                return 2
            report["flash"] = flash.run(
                workdir=Path(workdir), quick=args.quick, only=only, rounds=args.rounds
            )
        except flash.Failed as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
    print(compact_json(report["flash"]["checks"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.json}")
    return 0


def compact_json(value: object) -> str:
    """Indented JSON with each flat object (a race run, say) on one line."""
    return re.sub(
        r"\{\n\s*([^{}\[\]]*?)\n\s*\}",
        lambda flat: "{" + re.sub(r",\n\s*", ", ", flat.group(1)) + "}",
        json.dumps(value, indent=2),
    )


if __name__ == "__main__":
    raise SystemExit(main())
