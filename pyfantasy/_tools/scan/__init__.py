"""The batch scan behind ``pyfantasy.scan``: rows -> pool -> writers (and the reader), run."""
