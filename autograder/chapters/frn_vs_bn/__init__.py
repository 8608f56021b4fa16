"""Chapter frn_vs_bn: the notebook spec, its trusted checks and its catalogue (see :mod:`autograder.chapters`)."""
