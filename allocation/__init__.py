"""The allocation core: weighted max-min fair sharing of scarce stock, pure maths.

It imports nothing else of Fördela's and no web, database or scheduler library: a problem goes in,
a checked and explained result comes out.
"""
