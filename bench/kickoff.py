"""Figure 3: kick-off at the rate limit. PLACEHOLDER, deliberately not measured yet.

The sending path (kick-offs through the outbox and its pacing) is being reworked by another engineer; this
figure will be filled in once that settles. Until then `kickoff_at_rate_limit` only says so, and the table
shows the row as not yet measured.
"""

from __future__ import annotations

from bench.common import Row


def kickoff_at_rate_limit(*_args, **_kwargs) -> list[Row]:
    """PLACEHOLDER: measure how long a round's kick-off takes for many members at Slack's rate limit.

    Not implemented on purpose (see the module docstring). Prints "not yet measured" and returns one row
    saying the same, so the table and --json keep a place for the figure.
    """
    print("  kick-off at the rate limit: not yet measured")
    return [Row(figure="kick-off at the rate limit (placeholder)", target="", measured="not yet measured",
                baseline="", ratio="", met=None, data={"measured": False})]
