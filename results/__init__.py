"""What a round's answers add up to, and the files that show them, with no Slack in sight.

`results.figures.Results` computes a round's summary (with the closed-round cache) and builds its export
files and report; `results.csv_files` writes the CSVs, `results.chart` draws the chart (a PNG for Slack, SVG
for the report) and `results.report` says what the leaders' PDF report holds and has Typst typeset it with
the template results/report.typ (matplotlib and typst load only when something is drawn).
"""
