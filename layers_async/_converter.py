"""The one cattrs converter: snake_case attributes <-> the API's wire names.

Wire names are camelCase of the attribute unless a field says otherwise with
``wire("openPR")`` metadata: never let a generic rename invent a spelling.
Unknown fields are ignored, unknown enum values are kept as plain strings, and
every decode failure becomes a :class:`DecodeError` with the JSON path.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, Union

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import DecodeError
from ._http import Response, excerpt, parse_json
from ._secret import Secret
from ._wire import wire, wire_name, wire_to_snake

__all__ = ["coerce", "converter", "decode", "decode_json", "encode_fields", "structure",
           "to_wire", "unstructure", "wire", "wire_to_snake"]

T = TypeVar("T")

_EXCERPT = 200

def _parse_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    # fromisoformat (3.11+) reads "Z", "+00:00", and ms or µs fractions.
    return datetime.fromisoformat(value)


def _format_datetime(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _structure_secret(value: Any, _: type) -> Secret:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return Secret(value)


def _is_open_enum(tp: Any) -> bool:
    """``SomeStrEnum | str``: an enum that tolerates values it doesn't know."""
    origin = typing.get_origin(tp)
    if origin not in (Union, types.UnionType):
        return False
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return (len(args) == 2 and str in args
            and any(isinstance(a, type) and issubclass(a, enum.Enum) for a in args))


def _structure_open_enum(tp: Any) -> Any:
    args = typing.get_args(tp)
    enum_type = next(a for a in args if a not in (str, type(None)))
    optional = type(None) in args

    members = {member.value: member for member in enum_type}  # not EnumType.__call__

    def structure_value(value: Any, _: type) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return members.get(value, value)

    return structure_value


#: Types cattrs structures by calling them (``str(value)``...).
_PRIMITIVES = frozenset({str, int, float})


def _is_optional(tp: Any) -> bool:
    """``X | None`` for a single ``X``."""
    if typing.get_origin(tp) not in (Union, types.UnionType):
        return False
    args = typing.get_args(tp)
    return len(args) == 2 and type(None) in args


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(datetime, _parse_datetime)
    conv.register_unstructure_hook(datetime, _format_datetime)
    conv.register_structure_hook(Secret, _structure_secret)
    # Unstructured (JSON output, logs of models) a secret stays hidden: read .value.
    conv.register_unstructure_hook(Secret, repr)

    def structure_optional(tp: Any) -> Any:
        # cattrs' generic Optional hook dispatches on every call; most snapshot fields are
        # optional, so resolve the inner hook once (about half of the structuring time).
        inner = next(a for a in typing.get_args(tp) if a is not type(None))
        if inner in _PRIMITIVES:
            # What cattrs does for these (``inner(value)``), without its extra call when
            # the value already has the type: one call per field of every poll.
            return lambda value, _: (value if value is None or value.__class__ is inner
                                     else inner(value))
        hook = conv.get_structure_hook(inner)
        return lambda value, _: None if value is None else hook(value, inner)

    conv.register_structure_hook_factory(_is_optional, structure_optional)
    conv.register_structure_hook_factory(_is_open_enum, _structure_open_enum)

    def structure_factory(cls: type) -> Any:
        renames = {f.name: override(rename=wire_name(f)) for f in attrs.fields(cls)}
        return make_dict_structure_fn(cls, conv, **renames)  # type: ignore[arg-type]

    def unstructure_factory(cls: type) -> Any:
        renames = {f.name: override(rename=wire_name(f)) for f in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, conv, **renames)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    # A model the docs print no body for decodes itself from the raw mapping (``from_wire``).
    conv.register_structure_hook_factory(
        lambda cls: isinstance(cls, type) and hasattr(cls, "from_wire"),
        lambda cls: lambda value, _: cls.from_wire(value))
    return conv


converter = _make_converter()
#: The structure hook of each type :func:`structure` was asked for.
_hooks: dict[Any, Callable[[Any, Any], Any]] = {}


def structure(data: Any, cls: type[T], *, secrets: tuple[str, ...] = ()) -> T:
    """``data`` (parsed JSON) as ``cls``; a :class:`DecodeError` on a mismatch.

    ``secrets`` are removed from the error's excerpt of ``data``.
    """
    try:
        hook = _hooks.get(cls)
        if hook is None:  # cattrs' dispatch, once per type rather than once per call
            hook = _hooks[cls] = converter.get_structure_hook(cls)
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:  # cattrs raises a family of errors; all mean "wrong shape"
        path, reason = _first_failure(exc)
        failure = (_json_path(path, cls), reason)
    raise DecodeError(f"response is not a valid {_type_name(cls)}: {failure[1]}",
                      path=failure[0], excerpt=_excerpt(data, secrets))


def unstructure(value: Any) -> Any:
    """A model as JSON-ready data with the API's wire names."""
    return converter.unstructure(value)


def to_wire(value: Any) -> Any:
    """A model (or a list or mapping of them) as JSON-ready data in the API's own spelling:
    wire names (``jobId``, ``openPR``), ISO-8601 times, enum values. One-time secrets stay
    hidden (read ``Secret.value`` yourself)."""
    return converter.unstructure(value)


class Unset:
    """The type of :data:`UNSET`."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "Leave this field alone": the default of fields where ``None`` means "clear".
UNSET: Any = Unset()


def encode_fields(wire_names: tuple[str, ...], values: typing.Mapping[str, Any], *,
                  nullable: typing.AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Keyword values (snake_case) as a JSON object with the spec's wire names.

    ``wire_names`` are the operation's fields as the spec spells them: each keyword
    is looked up by its snake_case form, so no spelling is ever invented. UNSET is
    omitted; None is omitted too, unless the field is ``nullable`` (then it travels
    as null: "clear"). attrs models become their wire form (their None fields
    omitted); mappings are taken to use the API's wire keys already.
    """
    lookup = {wire_to_snake(name): name for name in wire_names}
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = lookup.get(key)
        if name is None:
            raise TypeError(f"{key!r} is not a field of this operation "
                            f"(fields: {sorted(lookup)})")
        if value is UNSET or (value is None and name not in nullable):
            continue
        out[name] = _wire_value(value)
    return out


def _wire_value(value: Any) -> Any:
    if attrs.has(type(value)):
        return _without_none(converter.unstructure(value))
    if isinstance(value, typing.Mapping):
        return {str(k): _wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire_value(v) for v in value]
    if isinstance(value, Secret):
        return value.value  # the caller passed it to send it
    return converter.unstructure(value)


def _without_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


def coerce(value: Any, cls: type[T], what: str) -> T:
    """``value`` as ``cls``: an instance as it is, or a mapping with the API's wire keys
    (checked: an unknown key is a ValueError, a wrong type a TypeError)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, typing.Mapping):
        raise TypeError(f"{what} must be a {cls.__name__} or a mapping of its wire fields, "
                        f"got {type(value).__name__}")
    known = {wire_name(f) for f in attrs.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"{what} has unknown field(s) {unknown}; known: {sorted(known)}")
    try:
        return converter.structure(dict(value), cls)
    except Exception as exc:
        _, reason = _first_failure(exc)
        raise TypeError(f"{what} is not a valid {cls.__name__}: {reason}") from None


def decode_json(response: Response, *, secrets: tuple[str, ...] = ()) -> Any:
    """The body of a response parsed as JSON; a :class:`DecodeError` when it isn't."""
    try:
        return parse_json(response.body)
    except ValueError:
        pass
    raise DecodeError(f"{response.method} {response.path} answered {response.status} with a "
                      "body that is not valid JSON", excerpt=excerpt(response.body, secrets),
                      status=response.status,
                      request_id=response.request_id)


def decode(response: Response, cls: type[T], *, secrets: tuple[str, ...] = ()) -> T:
    """The body of a success response as ``cls``."""
    data = decode_json(response, secrets=secrets)
    try:
        return structure(data, cls, secrets=secrets)
    except DecodeError as exc:
        exc.status = response.status
        exc.request_id = response.request_id
        raise


def _first_failure(exc: BaseException) -> tuple[str, str]:
    messages = cattrs.transform_error(exc) if isinstance(exc, cattrs.BaseValidationError) else []
    if messages:
        # transform_error says "<reason> @ $.path.to.field"
        reason, _, path = messages[0].rpartition(" @ ")
        return path or "$", reason or messages[0]
    return "$", f"{type(exc).__name__}: {exc}"


def _json_path(path: str, cls: Any) -> str:
    """cattrs' attribute path (``$.pr_number``) in the API's names (``$.prNumber``)."""
    out = "$"
    current: Any = cls
    for part in re.findall(r"\.[^.\[]+|\[[^\]]*\]", path[1:] if path.startswith("$") else path):
        if part.startswith("["):
            out += part
            current = _element_type(current)
            continue
        name = part[1:]
        field = _field(current, name)
        out += "." + (wire_name(field) if field is not None else name)
        current = field.type if field is not None else None
    return out


def _field(cls: Any, name: str) -> attrs.Attribute[Any] | None:
    cls = _unwrap(cls)
    if not (isinstance(cls, type) and attrs.has(cls)):
        return None
    attrs.resolve_types(cls)
    return next((f for f in attrs.fields(cls) if f.name == name), None)


def _unwrap(tp: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _element_type(tp: Any) -> Any:
    args = typing.get_args(_unwrap(tp))
    return args[0] if args else None


def _excerpt(data: Any, secrets: tuple[str, ...]) -> str:
    return excerpt(json.dumps(data, default=str), secrets, _EXCERPT)


def _type_name(cls: Any) -> str:
    return getattr(cls, "__name__", str(cls))

