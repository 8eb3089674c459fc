"""Why an analysis has nothing to show for a run: raised by figures and statistics alike."""


class NotApplicable(Exception):
    """This analysis does not apply to this run (the message says why)."""
