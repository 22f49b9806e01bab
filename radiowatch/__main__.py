"""`python -m radiowatch`: the same as the `radiowatch` command."""

import sys

from radiowatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
