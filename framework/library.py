"""The deployment's frameworks: the built-in NPS 2018 draft, MATURITY_FRAMEWORK's file, and every framework file
in MATURITY_FRAMEWORKS_DIR, each known by its id. A facilitator chooses one per round; `default` is the one a
round runs when nobody chose.

Loading is all or nothing, like a single framework file: a bad file in the folder stops start-up with every
problem of every file (file, field, reason), rather than leaving a framework silently missing until a
facilitator asks for it in the middle of a season. Two files with the same id are an error naming both, since
a round records only the id and version it ran. The one exception is MATURITY_FRAMEWORK's file: the operator
chose it, so it replaces the built-in framework when it has the built-in's id (a council's own corrected copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .loader import DEFAULT_FRAMEWORK_PATH, FRAMEWORK_SUFFIXES, FrameworkError, Problem, read_framework
from .models import Framework

IN_MEMORY = Path("<in memory>")  # the source of a framework given to FrameworkLibrary directly (tests)


class UnknownFramework(KeyError):
    """No framework with this id in the library; the message lists the ids it has."""

    def __init__(self, framework_id: str, known: Iterable[str]):
        self.framework_id = framework_id
        self.known = list(known)
        super().__init__(framework_id)

    def __str__(self) -> str:
        return f"no framework with id {self.framework_id!r}: the frameworks are {', '.join(self.known)}"


class FrameworkLibrary:
    """Frameworks by id, the default first. Build one with `load_library`, or directly from frameworks."""

    def __init__(self, default: Framework, others: Iterable[Framework] = (), sources: Mapping[str, Path] | None = None):
        self.default = default
        self._by_id: dict[str, Framework] = {default.id: default}
        for framework in others:
            if framework.id in self._by_id:
                raise ValueError(f"two frameworks with the id {framework.id!r}")
            self._by_id[framework.id] = framework
        self._sources = dict(sources or {})

    def get(self, framework_id: str) -> Framework | None:
        return self._by_id.get(framework_id)

    def require(self, framework_id: str) -> Framework:
        framework = self._by_id.get(framework_id)
        if framework is None:
            raise UnknownFramework(framework_id, self.ids)
        return framework

    @property
    def frameworks(self) -> list[Framework]:
        """The default first, then the others by id."""
        others = sorted((f for f in self._by_id.values() if f.id != self.default.id), key=lambda f: f.id)
        return [self.default, *others]

    @property
    def ids(self) -> list[str]:
        return [framework.id for framework in self.frameworks]

    def source_of(self, framework_id: str) -> Path:
        """The file the framework came from (`IN_MEMORY` for one given directly)."""
        self.require(framework_id)
        return self._sources.get(framework_id, IN_MEMORY)

    def is_built_in(self, framework_id: str) -> bool:
        return self.source_of(framework_id) == DEFAULT_FRAMEWORK_PATH

    def __contains__(self, framework_id: object) -> bool:
        return framework_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)


def framework_files(folder: Path) -> list[Path]:
    """The framework files of a folder: *.yaml, *.yml and *.json directly in it (not in sub-folders), by
    name, leaving out hidden files (an editor's `.#draft.yaml`, macOS's `._name.yaml`)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in FRAMEWORK_SUFFIXES and not path.name.startswith(".") and path.is_file()
    )


def load_library(default_file: Path | None = None, folder: Path | None = None) -> FrameworkLibrary:
    """The built-in framework, `default_file`'s (MATURITY_FRAMEWORK: the default when given, replacing the
    built-in one if it has its id) and every framework file in `folder` (MATURITY_FRAMEWORKS_DIR).

    Raises FrameworkError listing every problem of every file, one per line: each file's own (as
    `load_framework` names them), a folder that is not there, and two files with the same id."""
    problems: list[Problem] = []
    loaded: list[tuple[Framework, Path]] = []

    def read(path: Path) -> None:
        framework, found = read_framework(path)
        problems.extend(found)
        if framework is not None:
            loaded.append((framework, path))

    default_path = Path(default_file) if default_file else DEFAULT_FRAMEWORK_PATH
    read(default_path)
    if default_file:
        read(DEFAULT_FRAMEWORK_PATH)
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            reason = "is not a folder" if folder.exists() else "the folder does not exist"
            problems.append(Problem(str(folder), "", reason))
        else:
            seen = {_same(default_path), _same(DEFAULT_FRAMEWORK_PATH)}
            for path in framework_files(folder):
                if _same(path) not in seen:
                    read(path)

    sources: dict[str, Path] = {}
    frameworks: list[Framework] = []
    for framework, path in loaded:
        if framework.id in sources:
            earlier = sources[framework.id]
            if earlier == default_path and path == DEFAULT_FRAMEWORK_PATH and default_file:
                continue  # MATURITY_FRAMEWORK's file replaces the built-in framework of the same id
            problems.append(Problem(str(path), "id", _clash(framework.id, earlier)))
            continue
        sources[framework.id] = path
        frameworks.append(framework)
    if problems:
        raise FrameworkError(problems=problems)
    default, *others = frameworks
    return FrameworkLibrary(default, others, sources)


def _clash(framework_id: str, earlier: Path) -> str:
    built_in = " (the built-in framework)" if earlier == DEFAULT_FRAMEWORK_PATH else ""
    advice = (
        "give this file its own id, or set MATURITY_FRAMEWORK to it to use it instead of the built-in one"
        if built_in
        else "give one of them another id"
    )
    return f"the id {framework_id!r} is also the id of {earlier}{built_in}: {advice}"


def _same(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path
