"""``arshif replica [--port P]``: serve the replica of both sites on 127.0.0.1 — ``rt_arabic`` on P,
``elbalad`` on P+1 (0: any free ports) — printing ``SITE BASE_URL`` per site, until SIGINT/SIGTERM.
``--layout 2`` serves every page in the redesigned markup (what a redesign of the real sites looks like);
``--fault`` injects hostile answers (jobs/replica/faults.py)."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8800, help="port of rt_arabic; elbalad gets the next one")
    parser.add_argument("--layout", type=int, choices=(1, 2), default=1,
                        help="page markup: 1 as the sites are known (default), 2 a redesign with other markup")
    parser.add_argument("--fault", action="append", default=[], metavar="QUERY",
                        help="inject a fault, e.g. 'kind=stall&path=/news/*&share=0.5&seconds=3&site=elbalad' "
                             "(kinds and parameters: jobs/replica/faults.py); repeatable")


def main(args: argparse.Namespace) -> int:
    from jobs.replica.server import run

    return run(args.port, args.fault, args.layout)
