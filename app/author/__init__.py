"""Authors publish without a terminal: drafts from a zip, problems, diff, preview, publish, history, rollback."""
