"""When the command began: imported first by ``trustsim.cli``, so that the time its imports take
counts in the sweep's ``--dry-run`` estimate (a real sweep pays them too)."""

import time

STARTED = time.perf_counter()
