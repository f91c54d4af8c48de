"""Read models of the pages that follow a round: the county overview
(``county``), a round's headline figures (``summary``), a municipality's homes
(``municipality``) and the follow-up figures (``follow_up``).
"""
