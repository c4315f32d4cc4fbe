"""The model's two dataclass decorators: frozen (content parts, usage, responses) and mutable
(provider metadata, which fantasy shares and keeps changing), both slotted where Python has
``slots=`` (3.10+), and declared as dataclass transforms so type checkers see the fields."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

__all__ = ["frozen_dataclass", "mutable_dataclass"]

_SLOTS: Any = {"slots": True} if sys.version_info >= (3, 10) else {}

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform

    @dataclass_transform(frozen_default=True)
    def frozen_dataclass(cls: Any) -> Any: ...

    @dataclass_transform()
    def mutable_dataclass(cls: Any) -> Any: ...
else:
    def frozen_dataclass(cls):
        """A frozen dataclass (with slots where Python has them)."""
        return dataclass(frozen=True, **_SLOTS)(cls)

    def mutable_dataclass(cls):
        """A mutable dataclass (with slots where Python has them)."""
        return dataclass(**_SLOTS)(cls)
