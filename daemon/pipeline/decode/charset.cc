// Character sets: filled in by its owner (issue 3).
