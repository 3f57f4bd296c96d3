"""``arshif replica [--port P]``: serve the replica of both sites on 127.0.0.1 — ``rt_arabic`` on P,
``elbalad`` on P+1 (0: any free ports) — printing ``SITE BASE_URL`` per site, until SIGINT/SIGTERM; it keeps
connections open between requests (HTTP/1.1), as the real sites do.
``--layout 2`` serves every page in the redesigned markup (what a redesign of the real sites looks like),
``--layout 3`` the other markup public scrapers know (RT's newer ``main-article__*`` pages beside the older ones);
``--fault`` injects hostile answers (replica/faults.py); ``--articles N`` serves N articles per site
(up to 100,000), generated on demand; ``--discovery real`` serves feeds, sitemaps, listings and robots.txt in
the shapes the real sites have them (replica/real_discovery.py)."""
from __future__ import annotations

import argparse

from replica.arguments import add_size_argument
from replica.server import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8800,
                        help="port of rt_arabic; elbalad gets the next one (default: %(default)s; 0: any free ports)")
    parser.add_argument("--layout", type=int, choices=(1, 2, 3), default=1,
                        help="page markup: 1 as the sites are known (default), 2 a redesign with other markup, "
                             "3 both markups public scrapers know (RT's newer main-article__* pages among the older)")
    parser.add_argument("--fault", action="append", default=[], metavar="QUERY",
                        help="inject a fault, e.g. 'kind=stall&path=/news/*&share=0.5&seconds=3&site=elbalad' "
                             "(kinds and parameters: replica/faults.py); repeatable")
    parser.add_argument("--discovery", choices=("replica", "real"), default="replica",
                        help="discovery shapes: ours (default), or the real sites' (RT's sitemap index of yearly "
                             "parts with a ~15 MB current part, El Balad's sitemaps named only in robots.txt)")
    add_size_argument(parser)


def main(args: argparse.Namespace) -> int:
    return run(args.port, args.fault, args.layout, args.articles, args.discovery)
