"""The NPS 2018 draft framework file is the source's words, with only the extraction's layout repaired.

The source is tests/data/nps-2018-draft-source.txt (tab-separated cells from a PDF table extraction) and the
damage it carries is described in tests/data/nps-2018-draft-source-notes.md. These tests prove, for every piece
of framework text in framework/data/nps-2018-draft.yaml, that it is a whole cell of the source once the listed
repairs are applied: nothing reworded, nothing added, nothing cut short. A repair that changes the source's
letters (not only its layout) carries an editor's note saying what the source reads. Each descriptor is also
shown to sit in its own area's table and in its own level's column.

Both fixtures are byte-for-byte copies of the framework's source text and its extraction notes, carried in
the repository so that these tests need nothing beside it. A missing fixture is a failure, never a skip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from framework.models import SLUG_PATTERN, Framework

TESTS_DIR = Path(__file__).resolve().parent
FRAMEWORK_PATH = TESTS_DIR.parent / "framework" / "data" / "nps-2018-draft.yaml"
SOURCE_PATH = TESTS_DIR / "data" / "nps-2018-draft-source.txt"
NOTES_PATH = TESTS_DIR / "data" / "nps-2018-draft-source-notes.md"
# Where the fixtures were copied from: the seed folder beside the checkout (absent in a stranger's clone).

LEVEL_NAMES = ["Minimum", "Developing", "Mature", "Leader", "Innovator"]

# Every layout repair, as (damaged form in the raw source, repaired form). Each is one listed in NOTES.md
# ("Extraction damage seen"); "\t" is a cell break the PDF extraction put in the middle of the text.
# An empty-ish repaired form means an overflow fragment that is dropped. Nothing else may differ.
REPAIRS: list[tuple[str, str]] = [
    # Titles split across cells.
    ("Engaging Councillors and\tSenior Managers", "Engaging Councillors and Senior Managers"),
    ("Engaging Strategic Suppli\tEngaging Strategic Suppliers", "Engaging Strategic Suppliers"),
    ("Managing Contracts & R\telationships", "Managing Contracts & Relationships"),
    # Overflow fragments in front of the real text (dropped).
    ("Working with Partners r\tWorking with Partners refers", "Working with Partners refers"),
    ("completion by the appoi broader issues from the\tContracts & Relationship", "Contracts & Relationship"),
    (
        "different client groups. they pursue, their inde Why it is important: Vo\tWhat it is: The VCSE",
        "What it is: The VCSE",
    ),
    # Words split by the layout (Creating Commercial Opportunities description).
    ("in \tfluences", "influences"),
    ("pot\tential", "potential"),
    ("bi\troad", "broad"),
    ("Key A\trea", "Key Area"),
    ("proc\turement", "procurement"),
    ("contrib\tute", "contribute"),
    # Words split by the layout elsewhere.
    ("servic outcomes", "service outcomes"),  # Managing Contracts & Relationships, Innovator
    ("on- line", "on-line"),  # Exploiting digital technology, Leader
    ("pre- commercial", "pre-commercial"),  # Enabling innovation, Leader (second row)
]

# Leftovers of the damage that must not survive anywhere in the file (word-bounded, so that "Suppliers"
# and "appointed" are not mistaken for the fragments "Suppli" and "appoi").
GARBLED = [
    r"\bappoi\b",
    r"\bSuppli\b",
    r"\binde\b",
    r"\bbi ?road\b",
    r"\bservic\b",
    r"\bPartners r\b",
    r"\bVo\b",
    r"\bcompletion by the appoi\b",
    r"broader issues from the Contracts",
    r"different client groups\. they pursue",
    r"\bin fluences\b",
    r"\bpot ential\b",
    r"\bKey A rea\b",
    r"\bproc urement\b",
    r"\bcontrib ute\b",
    r"\bon- line\b",
    r"\bpre- commercial\b",
]

THEME_AREAS = {
    "showing-leadership": [
        "engaging-councillors-and-senior-managers",
        "working-with-partners",
        "engaging-strategic-suppliers",
    ],
    "behaving-commercially": [
        "creating-commercial-opportunities",
        "managing-contracts-and-relationships",
        "managing-strategic-risk",
    ],
    "driving-community-benefits": [
        "obtaining-social-value",
        "engaging-local-smes-and-micro-businesses",
        "enabling-vcse-engagement",
    ],
    "enablers": [
        "developing-talent",
        "exploiting-digital-technology",
        "enabling-innovation",
        "embedding-change",
    ],
}

# The one piece of structure the extraction does not carry as text: the enablers have no group heading
# in it (NOTES.md calls them "enablers"). It is the only title not checked against the source.
ENABLER_GROUP_TITLE = "Enablers"

# Where the source has separate cells that belong to one text (kept as separate lines of that text).
MULTI_LINE = {
    ("creating-commercial-opportunities", "description"): 5,  # intro, three list lines, closing sentence
    ("enabling-innovation", "Mature"): 2,  # second table row
    ("enabling-innovation", "Leader"): 2,
    ("enabling-innovation", "Innovator"): 2,
}

HELP_LABELS = {
    "working-with-partners": ("What is it:", "Why is it important:"),
}
DEFAULT_HELP_LABELS = ("What it is:", "Why it is important:")


def norm(text: str) -> str:
    return " ".join(text.split())


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_yaml() -> str:
    return FRAMEWORK_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data(raw_yaml: str) -> dict:
    return yaml.safe_load(raw_yaml)


@pytest.fixture(scope="module")
def framework(data: dict) -> Framework:
    return Framework.model_validate(data)


def read_fixture(path: Path) -> str:
    """A fixture the repository must carry: missing is a failure (never a skip)."""
    if not path.is_file():
        pytest.fail(f"test fixture {path} is missing from the repository: cannot check the framework", pytrace=False)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def raw_source() -> str:
    return read_fixture(SOURCE_PATH)


@pytest.fixture(scope="module")
def notes() -> str:
    return read_fixture(NOTES_PATH)


@pytest.fixture(scope="module")
def repaired_source(raw_source: str) -> str:
    text = raw_source
    for damaged, repaired in REPAIRS:
        text = text.replace(damaged, repaired)
    return text


@pytest.fixture(scope="module")
def rows(repaired_source: str) -> list[list[str]]:
    """The repaired source as table rows of whitespace-normalised cells (a tab is a cell break)."""
    return [[norm(cell) for cell in line.split("\t")] for line in repaired_source.split("\n")]


@pytest.fixture(scope="module")
def cells(rows: list[list[str]]) -> list[tuple[int, int, str]]:
    return [(r, c, cell) for r, row in enumerate(rows) for c, cell in enumerate(row) if cell]


def texts(framework: Framework):
    """Every piece of framework wording, as (where, text). Editor notes are ours, not the source's."""
    for theme in framework.themes:
        if theme.kind == "theme":
            yield (theme.id, "title"), theme.title
        for area in theme.areas:
            yield (area.id, "title"), area.title
            if area.description is not None:
                yield (area.id, "description"), area.description
            if area.help is not None:
                yield (area.id, "what_it_is"), area.help.what_it_is
                yield (area.id, "why_it_is_important"), area.help.why_it_is_important
            for d in area.levels:
                yield (area.id, d.level), d.descriptor


def lines_of(text: str) -> list[str]:
    return [norm(line) for line in text.split("\n")]


# -- shape ------------------------------------------------------------------------------------------


def test_validates_against_the_models(framework: Framework):
    assert framework.id == "nps-2018-draft"
    assert framework.version == "2018-03"
    assert framework.title == ("National Procurement Strategy for Local Government in England (draft, March 2018)")
    assert framework.source and "Local Government Association" in framework.source


def test_level_scale(framework: Framework):
    assert [(lv.number, lv.name) for lv in framework.levels] == list(enumerate(LEVEL_NAMES, start=1))
    for area in framework.areas:
        assert [d.level for d in area.levels] == LEVEL_NAMES, area.id


def test_groups_areas_and_descriptor_counts(framework: Framework):
    assert [t.id for t in framework.themes] == list(THEME_AREAS)
    assert [t.kind for t in framework.themes] == ["theme", "theme", "theme", "enabler"]
    assert [t.title for t in framework.themes] == [
        "Showing leadership",
        "Behaving commercially",
        "Driving community benefits",
        ENABLER_GROUP_TITLE,
    ]
    for theme in framework.themes:
        assert [a.id for a in theme.areas] == THEME_AREAS[theme.id]
    assert [len(t.areas) for t in framework.themes] == [3, 3, 3, 4]
    assert len(framework.areas) == 13
    assert sum(len(a.levels) for a in framework.areas) == 65


def test_area_ids_are_short_stable_slugs(framework: Framework):
    for area in framework.areas:
        assert re.fullmatch(SLUG_PATTERN, area.id), area.id
        assert len(area.id) <= 45, area.id
    assert len(set(framework.area_ids)) == 13


def test_key_areas_have_description_and_help_enablers_have_neither(framework: Framework, data: dict):
    for theme_data, theme in zip(data["themes"], framework.themes):
        for area_data, area in zip(theme_data["areas"], theme.areas):
            if theme.kind == "theme":
                assert area.description, area.id
                assert area.help and area.help.what_it_is and area.help.why_it_is_important, area.id
            else:
                # Omitted, not present-but-empty: the source has no such text for the enablers.
                assert "description" not in area_data and "help" not in area_data, area.id
                assert area.description is None and area.help is None, area.id


# -- verbatim ---------------------------------------------------------------------------------------


def test_every_repair_is_seen_in_the_raw_source(raw_source: str, notes: str):
    for damaged, repaired in REPAIRS:
        assert raw_source.count(damaged) == 1, f"repair no longer matches the source: {damaged!r}"
        assert damaged != repaired
    # The words of each repair are ones NOTES.md lists as damage.
    for fragment in [
        "Engaging Councillors and | Senior Managers",
        "Engaging Strategic Suppli",
        "Managing Contracts & R | elationships",
        "Working with Partners r",
        "completion by the appoi",
        "broader issues from the",
        "inde ... Vo",
        "in|fluences",
        "pot|ential",
        "bi|road",
        "Key A|rea",
        "proc|urement",
        "contrib|ute",
        "servic outcomes",
        "on- line",
        "pre- commercial",
    ]:
        assert fragment in notes, fragment


def _layout_only(damaged: str, repaired: str) -> bool:
    """A repair of the layout only: the repaired text is the damaged one with cell breaks and spaces taken
    out, or a part of it (an overflow fragment dropped). Anything else changes the source's letters."""
    return re.sub(r"\s", "", repaired) in re.sub(r"\s", "", damaged)


def test_every_repair_of_a_word_carries_an_editor_note_quoting_the_source(framework: Framework):
    """Where our text is not the source's letters (a letter added or taken out), an editor's note on that
    text says what the source reads: "servic outcomes" and "bi road" (NOTES.md: "bi|road (broad)")."""
    word_repairs = [(damaged, repaired) for damaged, repaired in REPAIRS if not _layout_only(damaged, repaired)]
    assert word_repairs == [("bi\troad", "broad"), ("servic outcomes", "service outcomes")]
    for damaged, repaired in word_repairs:
        carriers = []
        for area in framework.areas:
            area_texts = [area.title, area.description or ""]
            if area.help:
                area_texts += [area.help.what_it_is, area.help.why_it_is_important]
            if any(repaired in norm(text) for text in area_texts):
                carriers.append((area.id, area.editor_note))
            for d in area.levels:
                if repaired in norm(d.descriptor):
                    carriers.append((area.id, d.editor_note))
        shown = norm(damaged.replace("\t", " "))
        noted = [(where, note) for where, note in carriers if note and f"{shown}" in note]
        assert noted, (damaged, carriers)


def test_every_text_appears_in_the_repaired_source(framework: Framework, repaired_source: str):
    haystack = norm(repaired_source.replace("\t", " "))
    missing = [(where, line) for where, text in texts(framework) for line in lines_of(text) if line not in haystack]
    assert not missing, missing


def test_every_text_is_whole_source_cells(framework: Framework, rows, cells):
    """Stronger than appearing somewhere: each line is an entire cell, so nothing was cut or merged."""
    cell_texts = {cell for _, _, cell in cells}
    whole_lines = {row[0] for row in rows if len([c for c in row if c]) == 1 and row[0]}
    problems = []
    for theme in framework.themes:
        if theme.kind == "theme" and theme.title not in whole_lines:
            problems.append((theme.id, theme.title))
        for area in theme.areas:
            if area.title not in cell_texts:
                problems.append((area.id, "title"))
            if area.description is not None:
                for line in lines_of(area.description):
                    if line not in cell_texts:
                        problems.append((area.id, "description", line))
            if area.help is not None:
                what, why = HELP_LABELS.get(area.id, DEFAULT_HELP_LABELS)
                whole = f"{what} {norm(area.help.what_it_is)} {why} {norm(area.help.why_it_is_important)}"
                if whole not in cell_texts:
                    problems.append((area.id, "help"))
            for d in area.levels:
                for para in lines_of(d.descriptor):
                    if para not in cell_texts and f"{d.level} {para}" not in cell_texts:
                        problems.append((area.id, d.level, para))
    assert not problems, problems


def test_enabler_group_title_is_the_only_structural_title(framework: Framework, raw_source: str, notes: str):
    enablers = [t for t in framework.themes if t.kind == "enabler"]
    assert [t.title for t in enablers] == [ENABLER_GROUP_TITLE]
    assert "enablers" in notes.lower()
    assert ENABLER_GROUP_TITLE not in raw_source  # if the source ever gains the heading, check it as text


def test_descriptors_sit_in_their_area_and_level_column(framework: Framework, rows, cells):
    """Each descriptor is in its own area's table, under its own level: by the cell's level label, or by
    the column of a header row of level names, or (unlabelled, no header) by column with an editor note."""
    title_rows = []
    for area in framework.areas:
        hits = [r for r, _, cell in cells if cell == area.title]
        assert len(hits) == 1, (area.id, hits)
        title_rows.append(hits[0])
    assert title_rows == sorted(title_rows), "areas are not in source order"
    bounds = list(zip(title_rows, title_rows[1:] + [len(rows)]))

    unlabelled = []
    for area, (start, end) in zip(framework.areas, bounds):
        section = range(start, end)
        # A header row: the level names in order, perhaps after a row label such as "High level".
        headers = [r for r in section if [c for c in rows[r] if c][-5:] == LEVEL_NAMES]
        for index, d in enumerate(area.levels):
            for para in lines_of(d.descriptor):
                where = [(r, c, cell) for r, c, cell in cells if r in section and cell in (para, f"{d.level} {para}")]
                assert len(where) == 1, (area.id, d.level, where)
                r, c, cell = where[0]
                row = rows[r]
                column = c - 1 if row[0].endswith(":") else c  # a row label such as "High level ...:"
                assert column == index, (area.id, d.level, "wrong column")
                label = next((name for name in LEVEL_NAMES if cell.startswith(f"{name} ")), None)
                if label is not None:
                    assert label == d.level, (area.id, d.level, "labelled", label)
                elif any(rows[h][c] == d.level for h in headers if h < r):
                    pass
                else:
                    unlabelled.append((area.id, d.level))
                    ordinal = ["1st", "2nd", "3rd", "4th", "5th"][index]
                    assert d.editor_note == (
                        f"The source gives this descriptor no level label; it is the {ordinal} column."
                    ), (area.id, d.level)
    assert unlabelled == [("enabling-vcse-engagement", "Developing"), ("enabling-vcse-engagement", "Leader")]


def test_level_labels_are_stripped(framework: Framework):
    for area in framework.areas:
        for d in area.levels:
            for para in lines_of(d.descriptor):
                assert not any(para.startswith(f"{name} ") for name in LEVEL_NAMES), (area.id, d.level, para)


def test_multi_line_texts_are_only_where_the_source_has_separate_cells(framework: Framework):
    found = {where: len(text.split("\n")) for where, text in texts(framework) if "\n" in text}
    assert found == MULTI_LINE
    description = framework.area("creating-commercial-opportunities").description
    assert description.split("\n") == [
        "Creating Commercial Opportunities refers to how an organisation promotes revenue generation and "
        "value creation through the way it:",
        "Plans its major third party acquisitions (works, services and goods)",
        "Reviews its business options (make or buy)",
        "Engages with, and influences, markets and potential suppliers",
        "Commercialisation is a broad subject and this Key Area is confined to how procurement teams should "
        "contribute to its successful delivery.",
    ]


def test_texts_are_clean(framework: Framework):
    for where, text in texts(framework):
        for line in text.split("\n"):
            assert line == norm(line) and line, (where, line)


def test_source_oddities_are_kept(framework: Framework):
    def area(area_id):
        return framework.area(area_id)

    assert area("engaging-councillors-and-senior-managers").descriptor("Minimum").descriptor == (
        "Councillors and senior management regard commercial and procurement issues as purely operational matters."
    )
    assert "Commercialisation is a broad subject and important subject to the sector." in norm(
        area("creating-commercial-opportunities").help.what_it_is
    )
    assert "turnover of less than £50m." in norm(area("engaging-local-smes-and-micro-businesses").description)
    assert "a minimum +20% SV 'additionality' can be obtained" in norm(
        area("obtaining-social-value").help.why_it_is_important
    )
    digital_leader = area("exploiting-digital-technology").descriptor("Leader").descriptor
    assert "procurement decisions making." in norm(digital_leader)
    contracts_help = area("managing-contracts-and-relationships").help
    assert norm(contracts_help.what_it_is).endswith("the occurrence of risks")  # no full stop in the source
    assert (
        area("creating-commercial-opportunities")
        .descriptor("Innovator")
        .descriptor.count("development partners Organisations see")
        == 1
    )


# -- gaps -------------------------------------------------------------------------------------------


def test_only_developing_talent_leader_is_truncated(framework: Framework):
    truncated = [(a.id, d.level) for a in framework.areas for d in a.levels if d.truncated]
    assert truncated == [("developing-talent", "Leader")]
    descriptor = framework.area("developing-talent").descriptor("Leader").descriptor
    assert descriptor.endswith("including -")
    assert norm(descriptor) == (
        "Planned approach to talent development in relation to future procurement and contract management "
        "workload including -"
    )


def test_editor_notes_are_only_where_the_source_has_a_gap_or_a_word_was_repaired(framework: Framework):
    notes = {(a.id, d.level): d.editor_note for a in framework.areas for d in a.levels if d.editor_note}
    assert notes == {
        ("managing-contracts-and-relationships", "Innovator"): (
            'The source text reads "servic outcomes"; "service outcomes" is our repair.'
        ),
        ("obtaining-social-value", "Minimum"): (
            'The source does not name "The Act"; it is the Public Services (Social Value) Act 2012.'
        ),
        ("enabling-vcse-engagement", "Developing"): (
            "The source gives this descriptor no level label; it is the 2nd column."
        ),
        ("enabling-vcse-engagement", "Leader"): (
            "The source gives this descriptor no level label; it is the 4th column."
        ),
    }
    area_notes = {a.id: a.editor_note for a in framework.areas if a.editor_note}
    assert area_notes == {
        "creating-commercial-opportunities": (
            'The source text of the description reads "a bi road subject"; "a broad subject" is our repair.'
        ),
    }
    # The note explains; the descriptor keeps the source's words.
    assert framework.area("obtaining-social-value").descriptor("Minimum").descriptor == (
        "Compliant. Doing just enough to meet the conditions of The Act."
    )


def test_enablers_have_no_help(framework: Framework):
    for theme in framework.themes:
        if theme.kind == "enabler":
            assert all(area.help is None and area.description is None for area in theme.areas)


def test_no_garbled_fragment_remains(framework: Framework, raw_yaml: str):
    # Everything in the file but its comments and the editor's notes, which quote the damage they explain.
    data_lines = [line for line in raw_yaml.splitlines() if not line.lstrip().startswith(("#", "editor_note:"))]
    everything = [text for _, text in texts(framework)] + ["\n".join(data_lines)]
    for pattern in GARBLED:
        hits = [norm(text)[:80] for text in everything if re.search(pattern, norm(text))]
        assert not hits, (pattern, hits)
