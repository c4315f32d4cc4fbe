"""The tools on top of the decoder: ``report`` (scan results summarised as text or HTML), ``bench``
(decoding timed beside its peers) and ``svg`` (the report's charts); public faces: pyfantasy.report, pyfantasy.bench."""
