"""Rounds, actions and the PDF's structure tree, as the report tests build and read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pikepdf

from storage.models import ActionItem, Round


def a_round(framework, *, status="closed", **names) -> Round:
    return Round(
        id=7,
        team_id="T1",
        channel_id="C1",
        framework_id=framework.id,
        framework_version=framework.version,
        area_count=len(framework.areas),
        started_by="U1",
        status=status,
        created_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        closed_at=datetime(2026, 3, 20, 17, tzinfo=UTC) if status == "closed" else None,
        **names,
    )


def an_action(i: int, area_id: str, text: str, *, status="open", round_id=6) -> ActionItem:
    return ActionItem(
        id=i,
        team_id="T1",
        channel_id="C1",
        area_id=area_id,
        text=text,
        owner_id=f"U{i:03d}",
        due_on=date(2026, 4, 1) + timedelta(days=i),
        aim_level=3,
        status=status,
        done_at=datetime(2026, 3, 10, tzinfo=UTC) if status == "done" else None,
        round_id=round_id,
        added_by="U1",
    )


def structure(element):
    """Every structure element under `element`, depth first: the tagged PDF's logical structure."""
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from structure(kid)
