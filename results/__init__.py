"""What a round's answers add up to, and the files that show them, with no Slack in sight.

`results.figures.Results` computes a round's summary (with the closed-round cache) and builds its export
files and report; `results.csv_files` writes the CSVs, `results.chart` draws the PNG chart and
`results.report` lays out the PDF (both load matplotlib only when they draw).
"""
