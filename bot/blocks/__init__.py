"""Block Kit builders: pure functions from framework and storage objects to Slack messages and views.

Everything is built with slack_sdk's Block Kit models, so Slack's limits (block counts, text lengths)
are checked here rather than discovered as an invalid_blocks error in production.
"""
