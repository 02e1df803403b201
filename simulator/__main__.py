"""``python -m simulator serve`` is ``mailsim serve``."""
import sys

from simulator.cli import main

sys.exit(main())
