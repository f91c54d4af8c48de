"""Requests for support to the national agency (``requests``) and their read
models (``reads``).
"""
