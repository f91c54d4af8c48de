"""What the care homes need: need reports (``reports``), acute requests (``acute``),
the municipalities' file uploads (``upload``…), daily-use estimates and the home's own view.
"""
