"""Chapter lottery_ticket: the notebook spec, its trusted checks and its catalogue (see :mod:`autograder.chapters`)."""
