"""``python -m assistant.eval``: see ``assistant.eval.command``."""

import sys

from assistant.eval.command import main

sys.exit(main())
