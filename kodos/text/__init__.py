"""Text shown to people: configuration paths, values cut to size, inert terminal text."""
