"""The machinery of ``arshif serve`` (the command itself is ``jobs/serve.py``): the sites' schedules
(``schedule``), the crawl of one site as a child process with its time limit (``runner``), the past runs read
from the run reports (``history``) and their lag figures (``lag``), the Prometheus metrics (``metrics``).
``arshif status`` reads the same history, lag and schedules.

May import ``crawler`` and third-party libraries; never a command module of ``jobs/`` (nor ``jobs.cli``)."""
