"""``python -m simulator serve`` is ``mailsim serve``."""
import sys

from .cli import main

sys.exit(main())
