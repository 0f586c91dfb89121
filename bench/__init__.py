"""Benchmarks for the maturity bot: `python -m bench` (full) and `python -m bench --quick` (CI smoke mode).

Figures (targets for a 2-core machine), each measured side by side with its baseline in the same run:

1. interactions.py: click -> next prompt latency (p50/p95/p99) and clicks per second at 1, 8 and 32
   concurrent clients, the real App over HTTP (production mode: ack first, work in listener threads)
   against the simulated Slack, beside a bare slack_bolt App that only acks and a floor app (floor.py) that
   does only what a click cannot avoid, all driven by the same clients (clients.py). Targets: p95 <= 100 ms
   at 8 clients and <= 250 ms at 32; throughput >= 0.5x the bare app's and >= the floor's / 1.3. Then per
   click the SQL statements, transactions and Slack calls before and after the next prompt (counts.py), and
   the kick-off burst: 50 members clicking Start within 5 s of `/maturity start`, p95 click -> first prompt
   <= 1 s at Slack's limits (burst.py). SQLite and PostgreSQL.
2. summary.py: Summaries.compute for 5,000 members x 13 areas against one hand-written GROUP BY (the
   floor): <= 100 ms and <= 2x the floor; the same summary with 1,000 open actions in the channel (their
   per-area counts included) <= 100 ms, beside the figure without; the chart <= 1 s warm; the leaders' PDF
   report of that round (with those actions) <= 2 s warm; no memory growth across 100 summaries.
3. kickoff.py: a 1,000-member kick-off at Slack's rate limits, <= 1.2x the limits' minimum, each member once.
4. footprint.py: `python -m bot` start-up to ready <= 2 s, idle RSS <= 120 MB, matplotlib not loaded.

Options: --db sqlite|postgres|both (default both when PostgreSQL answers, else sqlite with a note),
--quick, --json FILE, --only SECTION. The exit code is 0 when every benchmark ran, whatever the figures;
the table and the "Targets missed" list say how they compare with the targets.
"""
