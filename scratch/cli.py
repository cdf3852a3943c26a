"""What every command line here shares: a parser whose errors are one line, help that keeps
the examples' lines and shows defaults, and the top-level handler that turns the user's
mistakes into one line and an exit status.

    def main(argv=None):
        return run_command(_main, argv, prog="python -m scratch")

Exit statuses: 0 done; 1 a mistake found while running (a CSV with missing values, a run
that diverged, a model too big for memory, an unreadable file); 2 a bad command line;
130 Ctrl-C (after saving the best parameters so far when --checkpoint was given). Output
piped into a command that stops reading (`| head`) ends quietly with status 0.
Anything else that escapes is a bug and keeps its traceback.
"""

import argparse
import os
import sys

from scratch.allocator import keep_freed_memory
from scratch.errors import Interrupted, UsageError, UserError


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions keep their lines (the examples stay one per line); defaults are shown,
    except None and False (an option not given, a flag off), which the help text explains."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a UsageError instead of usage text and sys.exit, so
    that run_command prints it like every other mistake. Sub-commands inherit both."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def one_line(text):
    return " ".join(str(text).split())


def run_command(main, argv, prog):
    """main(argv) -> exit status, with the user's mistakes as one line on stderr."""
    # a training run makes the same large arrays every step: keep freed memory for the
    # next one instead of page-faulting fresh memory in each time (scratch/allocator.py)
    keep_freed_memory()
    try:
        status = main(argv)
        # Output to a pipe is block-buffered: flush it here, so that a reader who has gone
        # away (`| head`) is met inside this handler, not in the interpreter's exit
        sys.stdout.flush()
        return status
    except UserError as error:
        print(f"{prog}: error: {one_line(error)}", file=sys.stderr)
        return error.status
    except Interrupted as stop:
        print(f"{prog}: interrupted (Ctrl-C) in epoch {stop.epoch}{stop.note}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"{prog}: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): nothing more can be shown, and that is fine.
        # Point stdout at /dev/null so that the flush at exit does not complain again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except OSError as error:
        if error.filename is None:
            raise  # not about a path the user gave: a bug, keep the traceback
        print(
            f"{prog}: error: {error.filename}: {one_line(error.strerror or error)}", file=sys.stderr
        )
        return 1
    except MemoryError:
        print(
            f"{prog}: error: out of memory (try a smaller --hidden or --batch-size)",
            file=sys.stderr,
        )
        return 1


def physical_memory():
    """Bytes of RAM in this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(needed, what, option):
    """Refuse, before anything is allocated, work whose arrays would not fit in RAM."""
    available = physical_memory()
    if available is not None and needed > available:
        raise UserError(
            f"{option}: {what} needs about {needed / 2**30:,.1f} GiB, but this "
            f"machine has {available / 2**30:,.1f} GiB of memory; expected a "
            f"smaller model"
        )
