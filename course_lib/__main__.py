"""`python -m course_lib ...` runs the `rnn-course` command (see `course_lib/cli.py`)."""

import sys

from course_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
