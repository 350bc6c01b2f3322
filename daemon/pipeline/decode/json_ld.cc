// JSON-LD blocks: filled in by its owner (issue 3).
