"""``python -m explorer`` runs the CLI."""

import signal

# SIGINT/SIGTERM wait until main() handles them: a signal during start-up ends in one line too
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
from explorer.cli import main  # noqa: E402

raise SystemExit(main())
