"""``python -m explorer`` runs the CLI."""

from explorer.cli import main

raise SystemExit(main())
