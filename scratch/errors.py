"""The user's mistakes, as exceptions the command lines turn into one line of message.

A `UserError` is something the person at the keyboard can fix (a bad option, a CSV with
missing values, an output folder that cannot be written, a run that diverged); the command
lines print its message on one line and exit with its `status`: 2 for a bad command line
(as argparse does), 1 for everything found while running. Anything else that escapes is a
bug in this project and keeps its traceback.

The data errors are also ValueErrors, so library callers can catch them as before.
"""


class UserError(Exception):
    """A mistake the user can fix; the message names the argument, what was expected and
    what was given."""

    status = 1


class UsageError(UserError):
    """A bad command line: an option that is malformed, missing or cannot be used here."""

    status = 2


class DataError(UserError, ValueError):
    """A data file that cannot be used as given (a CSV with missing values, one class...)."""


class OutputError(UserError, ValueError):
    """An output path that cannot be written (no such folder, not writable, wrong suffix)."""


class Diverged(UserError, FloatingPointError):
    """Training produced a non-finite loss: nothing after it can be better."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, carrying the best parameters seen so far (or None) so that a
    command line can save them before it exits."""

    def __init__(self, params, best_epoch, epoch):
        super().__init__()
        self.params, self.best_epoch, self.epoch = params, best_epoch, epoch
        self.saved_to = None  # set by whoever saved the parameters
        self.note = ""  # what happened to them, for the one line the user sees
