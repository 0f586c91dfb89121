"""The dependencies every listener needs, built once at start-up and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from framework.models import Framework
from storage.assessments import AssessmentStore

from .walkthrough import Walkthrough


@dataclass
class Services:
    framework: Framework
    engine: Engine
    store: AssessmentStore
    walkthrough: Walkthrough

    @classmethod
    def build(cls, framework: Framework, engine: Engine) -> Services:
        store = AssessmentStore(engine)
        return cls(framework=framework, engine=engine, store=store, walkthrough=Walkthrough(store, framework))
