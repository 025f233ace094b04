"""A user's home: what `users[NAME]` asks for there, planned and activated as home generations
under `$XDG_STATE_HOME/kodos/home/`, without root."""
