"""``python -m replica [PORT]``: the same as ``arshif replica --port PORT`` (0 = ephemeral ports)."""
import sys

from replica.server import run

sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
