"""Who may do what. Facilitators run rounds; members answer only for themselves."""

from __future__ import annotations

from storage.models import Round


def is_facilitator(round_: Round, user_id: str) -> bool:
    """The member who started the round facilitates it."""
    return round_.started_by == user_id
