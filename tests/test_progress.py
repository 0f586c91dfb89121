"""The walk-through's order rules: framework order, one prompt at a time, skipped areas come back once."""

from __future__ import annotations

from framework.progress import Progress, PromptState, progress_bar

AREAS = ["a", "b", "c"]


def test_first_area_comes_first_and_blocks_the_next_until_answered():
    assert Progress(AREAS).next_area() == "a"
    waiting = Progress(AREAS, prompts={"a": PromptState("a", posts=1, open=True)})
    assert waiting.waiting() == "a"
    assert waiting.next_area() is None
    assert waiting.next_area(resuming=True) is None  # resuming never posts a second prompt
    answered = Progress(AREAS, answered=frozenset({"a"}), prompts={"a": PromptState("a", posts=1)})
    assert answered.next_area() == "b"


def test_skipped_areas_come_back_once_after_the_others_then_only_on_resume():
    skipped_once = {"a": PromptState("a", posts=1, skips=1)}
    assert Progress(AREAS, prompts=skipped_once).next_area() == "b"
    after_others = Progress(
        AREAS,
        answered=frozenset({"b", "c"}),
        prompts={**skipped_once, "b": PromptState("b", posts=1), "c": PromptState("c", posts=1)},
    )
    assert after_others.next_area() == "a"
    skipped_twice = Progress(
        AREAS,
        answered=frozenset({"b", "c"}),
        prompts={
            "a": PromptState("a", posts=2, skips=2),
            "b": PromptState("b", posts=1),
            "c": PromptState("c", posts=1),
        },
    )
    assert skipped_twice.next_area() is None
    assert skipped_twice.next_area(resuming=True) == "a"
    assert skipped_twice.skipped == ["a"]


def test_progress_counts_and_bar():
    done = Progress(AREAS, answered=frozenset(AREAS))
    assert (done.done, done.total, done.complete) == (3, 3, True)
    assert progress_bar(3, 13) == "▰▰▰" + "▱" * 10
    assert progress_bar(13, 13) == "▰" * 13
