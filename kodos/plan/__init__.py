"""Plans: the difference between what a configuration asks for and what a machine has."""
