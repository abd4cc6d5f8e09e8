"""``python -m explorer`` runs the CLI."""

from .cli import main

raise SystemExit(main())
