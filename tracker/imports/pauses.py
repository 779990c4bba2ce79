"""Bulk steps without the garbage collector's pauses.

Reading files and writing a plan create hundreds of thousands of objects that live until
the step ends (rows, model instances, their states). Python's cyclic collector walks the
objects it tracks each time enough new ones have been made, so a step that keeps making
objects it keeps walks the same ones again and again: a quarter of an import's time at
10,000 events. None of them is garbage before the step ends, so pausing the collector
for the step frees nothing later than it would have been freed.
"""

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off for the block (reference counting still frees
    what is no longer used); back on afterwards, unless it was already off (a caller's
    own pause, say)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
