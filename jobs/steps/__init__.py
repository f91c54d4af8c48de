"""The daily cycle, one function per step; each opens its own transaction."""
