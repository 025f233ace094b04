"""pacman's data read without pacman: local and sync databases, archives, file lists, vercmp."""
