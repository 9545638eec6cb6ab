"""Wire names: how a model's snake_case field is spelled in the API's JSON.

A leaf module (models import it; it imports nothing of the package), so that
models, errors and the converter never import one another in a circle.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

__all__ = ["wire", "wire_name", "wire_to_snake"]

_WIRE = "layers_wire_name"


def wire(name: str) -> dict[str, str]:
    """Field metadata naming the field's exact wire spelling."""
    return {_WIRE: name}


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON name of an attrs field."""
    explicit = field.metadata.get(_WIRE)
    if explicit:
        return str(explicit)
    head, *rest = field.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_to_snake(name: str) -> str:
    """The Python spelling of a wire name: ``openPR`` -> ``open_pr``, ``iosBundleId`` ->
    ``ios_bundle_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
