"""One module per wire format: a scan spec plus the state machine fantasy applies to it."""
