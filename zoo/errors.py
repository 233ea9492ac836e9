"""The one error type the zoo raises for bad input.

A `ZooError` carries a single line that says what was wrong and how to fix it. The CLI
prints that line and exits with status 2; Python callers can catch it like a ValueError.
"""


class ZooError(ValueError):
    """Bad input from the user: the message is one line and names the fix."""
