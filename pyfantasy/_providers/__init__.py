"""One module per wire format (a scan spec plus the state machine fantasy applies to it),
and what they share: ``values`` (reading typed fields), ``metadata`` (provider metadata
classes), ``hosts`` (the host table), ``formats`` (wire format detection), ``assemble``
(stream parts to a Response), ``_common`` (raw JSON text, error parts, ``ProviderFormat``)."""
