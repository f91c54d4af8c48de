"""What leaves the region: the outbox of messages (``outbox``) and e-mail
notifications (``notifications``, with their read models).
"""
