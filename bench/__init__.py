"""Benchmarks for the maturity bot: `python -m bench` (full) and `python -m bench --quick` (CI smoke mode).

Figures (targets for a 2-core machine), each measured side by side with its baseline in the same run:

1. interactions.py: click -> next prompt latency (p50/p95/p99) and clicks per second at 1, 8 and 32
   concurrent clients, the real App over HTTP (production mode: ack first, work in bolt's thread pool)
   against the simulated Slack; baseline a bare slack_bolt App that only acks. Targets: p95 <= 100 ms at 8
   clients; throughput >= 0.5x the bare app's. SQLite and PostgreSQL.
2. summary.py: Summaries.compute for 5,000 members x 13 areas against one hand-written GROUP BY (the
   floor): <= 100 ms and <= 2x the floor; the chart <= 1 s warm; no memory growth across 100 summaries.
3. kickoff.py: kick-off at the rate limit, a placeholder (not yet measured).
4. footprint.py: `python -m bot` start-up to ready <= 2 s, idle RSS <= 120 MB, matplotlib not loaded.

Options: --db sqlite|postgres|both (default both when PostgreSQL answers, else sqlite with a note),
--quick, --json FILE, --only SECTION. The exit code is 0 when every benchmark ran, whatever the figures;
the table and the "Targets missed" list say how they compare with the targets.
"""
