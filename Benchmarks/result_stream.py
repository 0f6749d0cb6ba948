"""Keeps a script's standard output for its one JSON result, whatever the libraries it loads print.

Native libraries write to file descriptor 1 behind Python's back (highspy >= 1.16 prints a HiGHS banner
when a `Highs` object is made), and a caller that parses the script's output as JSON then fails on the
first of those lines. `claim()` points descriptor 1 at standard error for the rest of the run, so every
such line becomes a diagnostic, and returns a file on the real standard output (or on `path`) for the
result alone. Call it before importing any such library.
"""
import os
import sys


def claim(path=None):
    """Sends everything written to descriptor 1 from now on to standard error; returns the result's file."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    if path is not None:
        os.close(saved)
        return open(path, "w")
    return os.fdopen(saved, "w")
