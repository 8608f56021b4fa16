# nbgrader's own command line (`nbgrader formgrader`, `nbgrader export`, ...) run from the
# repository root picks up the same configuration as `python -m autograder`.
from autograder.nbconfig import nbgrader_config

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
c.merge(nbgrader_config())
