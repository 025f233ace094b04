"""A machine's generations: the index, boot entries, rollback, deletion, repair."""
