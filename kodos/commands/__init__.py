"""What each CLI command does, kept out of the CLI module so that one stays thin."""
