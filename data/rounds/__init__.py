"""The daily round: its calendar (open round, cut-off; ``calendar``) and which round
a page shows or a late report goes to (``choice``).
"""
