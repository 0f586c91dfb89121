"""The simulated team: seeded names and plausible answers.

Everything comes from `random.Random` seeded with the run's seed, so the same seed always gives the same
team and the same answers. Answers are plausible rather than uniform: the team has an overall tendency,
each area its own level around it and its own spread (some areas the team agrees on, some it does not),
and each member leans a little up or down. Some members skip an area and answer it when it comes back,
some add a comment, some change an answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from framework.models import Framework

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kiran",
    "Laura",
    "Marcus",
    "Nadia",
    "Owen",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Tom",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bethan",
    "Callum",
    "Dana",
    "Erin",
    "Fraser",
    "Gita",
    "Hugh",
    "Imogen",
    "Jack",
    "Leah",
]
SURNAMES = [
    "Ahmed",
    "Baker",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nolan",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Shah",
    "Taylor",
    "Usman",
    "Walsh",
    "Wright",
    "Young",
    "Begum",
    "Campbell",
    "Doyle",
    "Ellis",
    "Foster",
    "Gill",
    "Hart",
    "Kaur",
    "Murray",
]
COMMENTS = [
    "We do this well on the big contracts, much less on the small ones.",
    "Depends a lot on which directorate you ask.",
    "Better than last year, but it still relies on one or two people.",
    "We have the policy; I'm not sure it's followed consistently.",
    "Leadership talks about it, but it rarely shapes decisions.",
    "This came up at the last team meeting: worth a proper discussion.",
    "Hard to judge: I only see part of this.",
]

YOU_ID = "U0YOU"


@dataclass
class Person:
    id: str
    name: str  # the Slack handle: @name
    real_name: str
    levels: dict[str, int]  # the final answer per area
    skip: str | None = None  # skips this area once, answers it when it comes back
    comment: tuple[str, str] | None = None  # (area id, text): answers this area through the comment form
    change: tuple[str, int] | None = None  # (area id, first level): answers, then changes to the final level


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def make_team(framework: Framework, members: int, seed: int) -> tuple[Person, list[Person]]:
    """You (the facilitator) and `members` teammates, with their answers, all from the seed."""
    rng = random.Random(f"maturity-sandbox:{seed}")
    top = len(framework.levels)
    # The team's overall tendency sits in the lower middle of the scale (few teams are "Innovator").
    base = rng.uniform(0.3, 0.62) * (top - 1) + 1
    # A few areas the team disagrees about (a wide spread of views); on the others it mostly agrees.
    contested = set(rng.sample(framework.area_ids, min(len(framework.area_ids), rng.randint(2, 4))))
    tendency, spread = {}, {}
    for area_id in framework.area_ids:
        tendency[area_id] = base + rng.gauss(0, 0.6)
        spread[area_id] = rng.uniform(0.8, 1.2) if area_id in contested else rng.uniform(0.12, 0.28)

    def answers() -> dict[str, int]:
        lean = rng.gauss(0, 0.15)  # each member leans a little up or down
        return {a: _clamp(tendency[a] + lean + rng.gauss(0, spread[a]), 1, top) for a in framework.area_ids}

    you = Person(YOU_ID, "you", "You", answers())
    firsts = rng.sample(FIRST_NAMES, min(members, len(FIRST_NAMES)))
    lasts = rng.sample(SURNAMES, min(members, len(SURNAMES)))
    team = []
    for i in range(members):
        first = firsts[i % len(firsts)] + ("" if i < len(firsts) else str(i // len(firsts) + 1))
        last = lasts[i % len(lasts)]
        person = Person(f"U{i + 1:03d}SBX", f"{first.lower()}.{last.lower()}", f"{first} {last}", answers())
        areas = framework.area_ids
        if rng.random() < 0.35:
            person.skip = rng.choice(areas[:-1])
        if rng.random() < 0.4:
            area = rng.choice([a for a in areas if a != person.skip])
            person.comment = (area, rng.choice(COMMENTS))
        if rng.random() < 0.25:
            area = rng.choice([a for a in areas if a != person.skip and (not person.comment or a != person.comment[0])])
            final = person.levels[area]
            person.change = (area, final + 1 if final < top else final - 1)
        team.append(person)
    return you, team


def targets_for(framework: Framework, seed: int) -> dict[str, int]:
    """The facilitator's targets in --auto: mostly the middle of the scale, a notch higher in a few areas."""
    rng = random.Random(f"maturity-sandbox-targets:{seed}")
    middle = (len(framework.levels) + 1) // 2
    return {a: min(len(framework.levels), middle + (1 if rng.random() < 0.3 else 0)) for a in framework.area_ids}
