"""``python -m pyfantasy``: the command line."""
import sys

from pyfantasy.cli import main

sys.exit(main())
