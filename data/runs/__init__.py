"""Allocation runs: the snapshot the core solves (``snapshot``), storing and approving
a run (``records``), the policy (``policy``), edits and pack moves (``edits``), extra rounds
for acute requests (``extra``), memory of shortfalls and the runs' read models (``reads``).
"""
