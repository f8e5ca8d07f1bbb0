"""One module per ``careers`` subcommand."""
