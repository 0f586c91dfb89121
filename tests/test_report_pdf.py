"""The leaders' report as a reader, and a reader's assistive technology, gets it.

- Tags (with pikepdf): a structure tree, the document's language and title (shown as the window's title),
  PDF/UA-1 declared, one level-1 heading, every figure with alt text that says what the chart shows, every
  table with header cells, headings in page order, every font embedded and none of them Type 3.
- Pages (rendered to pixels): nothing runs into the margins or the footer, for a report with long names, a
  long channel label, many actions, long descriptors and words too long for a line. The pages are rendered
  with pypdfium2 (PDFium, Chrome's PDF renderer, in a wheel): pip installs it with the rest of the `test`
  extra, where poppler's pdftoppm would need a system package, so the README's test command works anywhere.
- Text: what users and frameworks wrote is set as text, never read as Typst markup; names, not ids.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pikepdf
import pypdfium2
import pytest
from pypdf import PdfReader

from framework.scoring import Participation, summarise
from results.figures import round_label
from results.report import round_report_pdf
from tests.reports import a_round, an_action, structure

CM = 72 / 2.54  # points
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 1.6 * CM, 1.8 * CM, 2.0 * CM  # results/report.typ's page
A4_W, A4_H = 595.28, 841.89
LONG_WORD = "Supercalifragilisticexpialidociousprocurementtransformationworkstream"


# -- helpers ---------------------------------------------------------------------------------------------------


def text_of(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = text.replace("\u200b", "")  # the breaks results/report.typ allows inside a word too long for a line
    text = re.sub(r"(?<=\w)-[ \t]*\n\s*(?=\w)", "-", text)  # a word broken after its own hyphen
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def fonts_of(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font the pages use, in their resources and in the forms they draw."""
    found, seen = [], set()

    def visit(resources):
        if not isinstance(resources, pikepdf.Dictionary):
            return
        for font in resources.get("/Font", {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                found.append(font)
        for xobject in resources.get("/XObject", {}).values():
            if xobject.objgen not in seen and xobject.get("/Subtype") == "/Form":
                seen.add(xobject.objgen)
                visit(xobject.get("/Resources"))

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))
    return found


def embedded(font: pikepdf.Dictionary) -> bool:
    descriptors = [font.get("/FontDescriptor")] + [d.get("/FontDescriptor") for d in font.get("/DescendantFonts", [])]
    return any(d is not None and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors)


# -- a typical report -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def typical(nps):
    """Round 3 of #procurement at Example Council: views differ in one area, another hidden, targets, a trend,
    actions (one done, one overdue) and round 2's actions followed up."""
    ids = nps.area_ids
    answers = {
        ids[0]: [1, 2, 4, 5],
        ids[1]: [3] * 12 + [1],
        ids[2]: [2, 3, 3, 3, 4],
        ids[3]: [3, 3, 4],
        ids[5]: [2, 3],
        "developing-talent": [3, 3, 4],
    }
    summary = summarise(
        nps,
        answers,
        Participation(members=16, complete=13, in_progress=2),
        targets={ids[0]: 4, ids[2]: 5},
        previous={ids[0]: 1, ids[1]: 3, ids[2]: 4},
        min_group=3,
    )
    round_ = a_round(nps, channel_name="procurement", team_name="Example Council")
    actions = [
        an_action(0, ids[0], "Publish a social value policy", status="done"),
        an_action(1, ids[1], "Brief the cabinet on the commercial strategy"),
        an_action(2, ids[2], "Map strategic suppliers", round_id=7),
    ]
    return round_report_pdf(
        nps,
        round_,
        summary,
        round_number=3,
        channel_label=round_label(round_),
        min_group=3,
        previous_round_number=2,
        actions=actions,
        owner_names={"U000": "Alice Smith", "U001": "Bob Jones", "U002": "Carol White"},
        previous_round_id=6,
        today=date(2026, 4, 2),
    )


def test_the_report_is_tagged_pdf_ua_with_a_title_and_a_language(typical):
    with pikepdf.open(io.BytesIO(typical)) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root and root.MarkInfo.Marked
        assert str(root.Lang) == "en-GB"
        title = "Maturity self-assessment: #procurement, Example Council, round 3"
        assert str(pdf.docinfo.Title) == title
        assert root.ViewerPreferences.DisplayDocTitle  # a reader's window shows the title, not a file name
        with pdf.open_metadata() as xmp:
            assert xmp.get("dc:title") == title
            assert xmp.get("pdfuaid:part") == "1"
        tags = list(structure(root.StructTreeRoot))
    kinds = [str(tag.S) for tag in tags]
    assert kinds.count("/H1") == 1 and kinds.count("/H2") >= 8 and "/H3" in kinds
    assert "/L" in kinds and "/LI" in kinds  # "How to read this report" is a list


def test_the_chart_is_a_figure_whose_alt_text_says_what_it_shows(typical, nps):
    with pikepdf.open(io.BytesIO(typical)) as pdf:
        [figure] = [tag for tag in structure(pdf.Root.StructTreeRoot) if tag.S == "/Figure"]
        alt = str(figure.Alt)
    leadership = nps.themes[0].title
    councillors = nps.area(nps.area_ids[0]).title
    assert alt.startswith("Chart: #procurement, Example Council: round 3, 2026-03-20.")
    assert "Overall team level: Mature (3)" in alt
    assert f"{leadership}: team level Mature (3), the same as in round 2." in alt
    assert f"Furthest from target: {councillors}, at Developing (2), 2 levels below its target Leader (4)" in alt
    assert f"{nps.themes[3].title}: team level Mature (3)." in alt  # Enablers: only developing talent shows
    assert "3 of its 4 areas have too few answers to show." in alt


def test_every_table_has_header_cells(typical):
    with pikepdf.open(io.BytesIO(typical)) as pdf:
        tables = [tag for tag in structure(pdf.Root.StructTreeRoot) if tag.S == "/Table"]
        headers = [[str(cell.S) for cell in structure(table)].count("/TH") for table in tables]
    # by theme (3 columns), by area (7 columns and a band per theme), the action plan (5), round 2's actions (4)
    assert headers == [3, 7 + 4, 5, 4]


def test_headings_come_in_the_order_of_the_pages(typical):
    with pikepdf.open(io.BytesIO(typical)) as pdf:
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        headings = [tag for tag in structure(pdf.Root.StructTreeRoot) if str(tag.S) in ("/H1", "/H2", "/H3")]
        on = [pages[tag.Pg.objgen] for tag in headings if "/Pg" in tag]
    assert len(on) == len(headings) and on == sorted(on)
    text = text_of(typical)
    sections = [
        "Maturity self-assessment",
        "Overall team level",
        "Team level by theme",
        "How to read this report",
        "Team level and answers per area",
        "Results by area",
        "Where views differ",
        "What better looks like",
        "Action plan",
        "What became of round 2's actions",
    ]
    at = [text.index(section) for section in sections]
    assert at == sorted(at)  # and the text reads in that order


def test_every_font_is_embedded_and_none_is_type_3(typical):
    with pikepdf.open(io.BytesIO(typical)) as pdf:
        fonts = fonts_of(pdf)
        assert fonts
        assert all(font.Subtype != "/Type3" for font in fonts)
        assert all(embedded(font) for font in fonts)
        assert all("DejaVuSans" in str(font.BaseFont) for font in fonts)


def test_the_report_names_the_team_and_people_not_ids(typical, nps):
    text = text_of(typical)
    assert "Team #procurement, Example Council" in text
    assert "Dates started 2026-03-02, closed 2026-03-20" in text
    assert "Participation 16 members: 13 complete, 2 in progress, 1 not started" in text
    assert f"Framework {nps.title}, version {nps.version}" in text
    assert nps.id not in text  # the framework by its title, not its id
    assert re.search(r"Publish a social value policy .*Alice Smith 2026-04-01 done on 2026-03-10", text)
    assert re.search(r"Brief the cabinet on the commercial strategy .*Bob Jones 2026-04-02 open", text)
    assert not re.search(r"\b(U00\d|C1|T1)\b", text)


def test_typesetting_warns_of_nothing(nps, caplog):
    """No glyph is missing and no font falls back: Typst would warn, and the report logs its warnings."""
    summary = summarise(nps, {nps.area_ids[0]: [1, 2, 3]}, Participation(3, 3, 0), min_group=3)
    with caplog.at_level(logging.WARNING, logger="results.report"):
        round_report_pdf(
            nps, a_round(nps), summary, round_number=1, channel_label="#team · “Ünïcode” – ok", min_group=3
        )
    assert [r for r in caplog.records if r.name == "results.report"] == []


# -- what users wrote is text -----------------------------------------------------------------------------------


def test_what_users_wrote_is_set_as_text_never_as_typst_markup(small_framework):
    markup = '#set page(fill: red) *bold* _em_ $x^2$ ] [ \\ " // <label> @ref `raw` #{1 + 1}'
    ids = small_framework.area_ids
    summary = summarise(small_framework, {ids[0]: [1, 2, 3]}, Participation(3, 3, 0), min_group=3)
    data = round_report_pdf(
        small_framework,
        a_round(small_framework),
        summary,
        round_number=1,
        channel_label=f"#team {markup}",
        min_group=3,
        actions=[an_action(1, ids[0], f"Fix {markup}")],
        owner_names={"U001": f"Dana {markup}"},
    )
    text = text_of(data)
    assert text.count(markup) >= 3  # the label (title page and chart heading), the action, the owner
    assert "#team " + markup in text
    page = pypdfium2.PdfDocument(data)[0].render(scale=0.25).to_pil().convert("RGB")
    assert page.getpixel((2, 2)) == (255, 255, 255)  # the page was not turned red


# -- nothing runs off the page ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded(small_framework):
    """A report with everything too long: area and theme titles, descriptors, the channel's label, 40 actions with
    long texts and long owner names, and words longer than any line."""

    def longer(area):
        levels = [d.model_copy(update={"descriptor": f"{d.descriptor} " * 40 + LONG_WORD}) for d in area.levels]
        title = f"{area.title} with a very long title about partnership working across the whole council {LONG_WORD}"
        return area.model_copy(update={"title": title, "levels": levels})

    themes = [
        theme.model_copy(
            update={
                "title": f"{theme.title} and a theme title long enough to wrap in its band {LONG_WORD}",
                "areas": [longer(area) for area in theme.areas],
            }
        )
        for theme in small_framework.themes
    ]
    framework = small_framework.model_copy(update={"themes": themes})
    ids = framework.area_ids
    summary = summarise(
        framework,
        {area_id: [1, 2, 3, 3, 3] for area_id in ids},
        Participation(members=5, complete=5, in_progress=0),
        targets={area_id: 3 for area_id in ids},
        previous={area_id: 1 for area_id in ids},
        min_group=3,
    )
    label = (
        "#procurement-and-commissioning-strategy-working-group-north-east-region, The Royal Borough of Kensington "
        "and Chelsea and Westminster City Council Shared Services"
    )
    actions = [
        an_action(
            i, ids[i % len(ids)], f"Action {i}: " + "review the contract register with every service " * 4 + LONG_WORD
        )
        for i in range(40)
    ]
    owners = {f"U{i:03d}": f"Alexandra Catherine Montgomery-Fitzwilliam-Smythe {LONG_WORD}" for i in range(40)}
    data = round_report_pdf(
        framework,
        a_round(framework, status="open"),
        summary,
        round_number=12,
        channel_label=label,
        min_group=3,
        previous_round_number=11,
        actions=actions,
        owner_names=owners,
        previous_round_id=6,
        today=date(2026, 4, 10),
    )
    return {"data": data, "label": label, "actions": actions, "framework": framework}


def test_nothing_runs_into_the_margins_or_the_footer(crowded):
    """Every page rendered at 72 dpi (a pixel a point): the side margins are blank from top to bottom, and so is
    the band between the body and the footer; every page has a body."""
    document = pypdfium2.PdfDocument(crowded["data"])
    assert len(document) >= 10
    for number in range(len(document)):
        page = document[number]
        assert (round(page.get_width()), round(page.get_height())) == (round(A4_W), round(A4_H))
        ink = page.render(scale=1).to_pil().convert("L").point(lambda value: 255 if value < 245 else 0)
        width, height = ink.size

        def blank(x0, x1, y0, y1, ink=ink):
            return ink.crop((int(x0), int(y0), int(x1), int(y1))).getbbox() is None

        where = f"page {number + 1}"
        assert blank(0, SIDE_MARGIN - 2, 0, height), f"{where}: ink in the left margin"
        assert blank(width - SIDE_MARGIN + 2, width, 0, height), f"{where}: ink in the right margin"
        body_end = height - BOTTOM_MARGIN
        assert blank(0, width, body_end + 1.5, body_end + 12), f"{where}: the body runs into the footer"
        assert blank(0, width, 0, TOP_MARGIN / 3), f"{where}: ink at the top edge"
        assert not blank(SIDE_MARGIN, width - SIDE_MARGIN, TOP_MARGIN, body_end), f"{where}: an empty page"
    document.close()


def test_nothing_is_lost_from_a_crowded_report(crowded):
    """Every word is there, in order. (A word longer than a line is broken where the line ends, so the words
    are compared without their spaces.)"""
    text = text_of(crowded["data"])
    assert f"Team {crowded['label']}" in text  # whole on the title page; shortened in the footer:
    assert "Maturity self-assessment · #procurement-and-commissioning-strategy-working-group-north… · round 12" in text

    def letters(words: str) -> str:
        return re.sub(r"\s+", "", words)

    everything = letters(text)
    for action in crowded["actions"]:
        assert letters(action.text) in everything
    for area in crowded["framework"].areas:
        assert letters(area.title) in everything
        assert letters(area.levels[2].descriptor) in everything  # "What better looks like": the framework's words
    assert "Action plan (continued)" in text and "What better looks like (continued)" in text


def test_the_bot_starts_without_typst():
    """typst, like matplotlib, loads only when a report is made: the bot starts without it."""
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bot.app, admin.commands, sys; assert 'typst' not in sys.modules, 'typst imported'",
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
