"""Request records: a pydantic model generated from a model's input schema, and the ONNX feed.

Every feature column becomes a required, nullable field (``null`` = missing): numeric ones
accept JSON numbers within the float32 range (the model runs in float32, so ``1e308`` would
silently become infinity) but not NaN or infinity; boolean ones accept ``true``/``false``;
categorical ones accept strings. Types are strict: ``"39"`` is not a number and ``1`` is not a
category. Unknown fields are refused. The ONNX input schema does not carry the categories seen
in training; the registry passes them (``categories``, from the reference profile of the
training rows). Under the ``reject`` policy (``serve.unknown_category``) a categorical field then
accepts only those values (or ``null``), and an unseen one is a 422 naming the field, the
value and the known categories; under ``allow`` any string is scored (the exported encoder
treats an unseen category as the pipeline did) and :meth:`RecordSchema.unseen_categories`
counts them. Without known categories any string is accepted.

The feed is built with numpy straight from the validated records, without pandas: one float32
and one object matrix, transposed once, whose rows are the ``[N, 1]`` inputs of the graph.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    create_model,
)

from boucle.serve.config import UnknownCategoryPolicy
from boucle.serve.inputs import ModelInput

__all__ = ["FLOAT32_MAX", "MAX_REPORTED_ERRORS", "RecordSchema", "RecordsInvalid"]

#: Largest magnitude a numeric feature may have: the model computes in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: At most this many field errors are returned in one 422 response.
MAX_REPORTED_ERRORS = 20
_STICKY_FIELD = "sticky_key_value"
_RANGE_ERRORS = frozenset({"less_than_equal", "greater_than_equal"})
_SHOWN_CATEGORIES = 30


class RecordsInvalid(Exception):
    """The request body is not valid records: ``status``, message, hint and field errors."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        hint: str,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.hint = hint
        self.errors = errors or []
        super().__init__(message)


class RecordSchema:
    """The generated record model of one served model, its validators and its feed builder.

    ``inputs`` is the model's input schema (:func:`~boucle.serve.inputs.read_model_inputs`);
    ``extra_key`` names a request field that is accepted but not fed to the model (the routing
    ``sticky_key``); ``categories`` maps categorical columns to their known values, enforced
    or only counted according to ``unknown_category`` (see the module docstring).
    """

    def __init__(
        self,
        inputs: Sequence[ModelInput],
        *,
        title: str,
        max_rows: int,
        extra_key: str | None = None,
        categories: Mapping[str, Sequence[str]] | None = None,
        unknown_category: UnknownCategoryPolicy = "reject",
    ) -> None:
        self.inputs = list(inputs)
        self.max_rows = max_rows
        self.columns = [spec.column for spec in self.inputs]
        fields: dict[str, Any] = {}
        #: (field, column, known values) of the categories counted under the allow policy
        self.watched: list[tuple[str, str, frozenset[str]]] = []
        self._enforced: dict[str, tuple[str, ...]] = {}
        for index, spec in enumerate(self.inputs):
            known = (categories or {}).get(spec.column) if spec.kind == "categorical" else None
            values = tuple(sorted(str(value) for value in known)) if known else ()
            if values and unknown_category == "reject":
                self._enforced[spec.column] = values
            elif values:
                self.watched.append((f"f{index}", spec.column, frozenset(values)))
            type_ = _field_type(spec, self._enforced.get(spec.column))
            fields[f"f{index}"] = (type_, Field(alias=spec.column))
        if extra_key is not None and extra_key not in self.columns:
            fields[_STICKY_FIELD] = (StrictStr | StrictInt | None, Field(None, alias=extra_key))
        config = ConfigDict(extra="forbid", populate_by_name=False, title=title)
        self.record_model: type[BaseModel] = create_model("Record", __config__=config, **fields)
        self._one: TypeAdapter[BaseModel] = TypeAdapter(self.record_model)
        self._many: TypeAdapter[list[BaseModel]] = TypeAdapter(list[self.record_model])  # type: ignore[name-defined]
        numeric = [(i, s) for i, s in enumerate(self.inputs) if s.dtype != "string"]
        strings = [(i, s) for i, s in enumerate(self.inputs) if s.dtype == "string"]
        self._numeric_fields = [f"f{i}" for i, _ in numeric]
        self._numeric_names = [spec.name for _, spec in numeric]
        self._string_fields = [f"f{i}" for i, _ in strings]
        self._string_names = [spec.name for _, spec in strings]

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of a request body: one record, or a list of 1 to ``max_rows`` records."""
        record = self.record_model.model_json_schema(by_alias=True)
        many = {"type": "array", "items": record, "minItems": 1, "maxItems": self.max_rows}
        return {"oneOf": [record, many]}

    def validate(self, data: Any) -> list[BaseModel]:
        """Validate a parsed JSON body into records; raise :class:`RecordsInvalid` if it is bad."""
        if isinstance(data, dict):
            try:
                return [self._one.validate_python(data)]
            except ValidationError as exc:
                raise self._invalid(exc, batch=False) from None
        if not isinstance(data, list):
            raise RecordsInvalid(
                422,
                f"The body is a JSON {type(data).__name__} ({_preview(data)}), not a record.",
                hint="Send one record (a JSON object of feature values) or a list of them.",
            )
        if not data:
            raise RecordsInvalid(
                422,
                "The body is an empty list: there is nothing to score.",
                hint="Send at least one record.",
            )
        if len(data) > self.max_rows:
            raise RecordsInvalid(
                413,
                f"The body holds {len(data)} records, more than max_rows={self.max_rows}.",
                hint=f"Send at most {self.max_rows} records per request (split the batch).",
            )
        try:
            return self._many.validate_python(data)
        except ValidationError as exc:
            raise self._invalid(exc, batch=True) from None

    def unseen_categories(self, records: Sequence[BaseModel]) -> Counter[str]:
        """Per column, how many ``records`` hold a category unseen in training (allow policy)."""
        unseen: Counter[str] = Counter()
        for field, column, known in self.watched:
            for record in records:
                value = record.__dict__[field]
                if value is not None and value not in known:
                    unseen[column] += 1
        return unseen

    def feed(self, records: Sequence[BaseModel]) -> dict[str, npt.NDArray[Any]]:
        """The ONNX feed of validated records: ``{input name: array of shape [N, 1]}``."""
        if len(records) == 1:
            return self._feed_one(records[0].__dict__)
        values = [record.__dict__ for record in records]
        count = len(values)
        feed: dict[str, npt.NDArray[Any]] = {}
        if self._numeric_fields:
            fields = self._numeric_fields
            # None becomes NaN in a float array: the exported imputer fills it.
            matrix = np.array([[row[f] for f in fields] for row in values], dtype=np.float32)
            columns = np.ascontiguousarray(matrix.T).reshape(len(fields), count, 1)
            feed.update(zip(self._numeric_names, columns, strict=True))
        if self._string_fields:
            fields = self._string_fields
            # ONNX strings cannot be null: "" is the missing value the exported imputer fills.
            texts = [["" if row[f] is None else row[f] for f in fields] for row in values]
            matrix = np.array(texts, dtype=object).reshape(count, len(fields))
            columns = np.ascontiguousarray(matrix.T).reshape(len(fields), count, 1)
            feed.update(zip(self._string_names, columns, strict=True))
        return feed

    def _feed_one(self, row: dict[str, Any]) -> dict[str, npt.NDArray[Any]]:
        """The feed of one record: no transposition (half the time of the general path)."""
        feed: dict[str, npt.NDArray[Any]] = {}
        if self._numeric_fields:
            fields = self._numeric_fields
            numbers = np.array([row[f] for f in fields], dtype=np.float32)
            feed.update(zip(self._numeric_names, numbers.reshape(len(fields), 1, 1), strict=True))
        if self._string_fields:
            fields = self._string_fields
            texts = np.array(["" if row[f] is None else row[f] for f in fields], dtype=object)
            feed.update(zip(self._string_names, texts.reshape(len(fields), 1, 1), strict=True))
        return feed

    def _invalid(self, exc: ValidationError, *, batch: bool) -> RecordsInvalid:
        problems = exc.errors(include_url=False)
        errors = [
            _error(problem, batch=batch, categories=self._enforced)
            for problem in problems[:MAX_REPORTED_ERRORS]
        ]
        first = errors[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        unknown = any(problem["type"] == "extra_forbidden" for problem in problems)
        hint = "Fix the values named in 'errors'."
        if unknown:
            hint += f" The model's fields are: {', '.join(self.columns)}."
        if any(error["type"] == "unknown_category" for error in errors):
            hint += (
                " Send a category seen in training, or null for a missing value "
                "(serve.unknown_category: allow scores unseen categories instead)."
            )
        return RecordsInvalid(
            422,
            f"Invalid record at {first['path']}: {first['msg']}{more}.",
            hint=hint,
            errors=errors,
        )


def _field_type(spec: ModelInput, known: Sequence[str] | None) -> Any:
    if spec.kind == "boolean":
        return StrictBool | None
    if spec.kind == "categorical":
        if known:
            return Literal[tuple(known)] | None
        return StrictStr | None
    number = Annotated[
        float, Field(strict=True, allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)
    ]
    return number | None


def _error(problem: Any, *, batch: bool, categories: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    loc = [part for part in problem["loc"] if part != _STICKY_FIELD]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    path = path.lstrip(".") or "body"
    kind = problem["type"]
    message = problem["msg"]
    if kind in _RANGE_ERRORS:
        message = f"Input should be a finite number within the float32 range (±{FLOAT32_MAX:.4g})"
    elif kind == "extra_forbidden":
        message = f"Unknown field {loc[-1]!r}: the model has no such feature"
    elif kind == "literal_error":
        value = problem.get("input")
        known = _listed(categories.get(str(loc[-1]), ()))
        if isinstance(value, str):
            kind = "unknown_category"
            message = (
                f"Unknown category {_json_safe(value)!r} for {loc[-1]!r}: not seen in "
                f"training (known: {known})"
            )
        else:
            message = f"Input should be a category (a string), one of {known}"
    error: dict[str, Any] = {"loc": ["body", *loc], "path": path, "msg": message, "type": kind}
    if kind != "missing":  # the input of a missing field is the whole record
        error["input"] = _json_safe(problem.get("input"))
    return error


def _listed(known: Sequence[str]) -> str:
    """The known categories, the first :data:`_SHOWN_CATEGORIES` of them quoted."""
    shown = ", ".join(repr(_json_safe(value)) for value in known[:_SHOWN_CATEGORIES])
    return shown if len(known) <= _SHOWN_CATEGORIES else f"{shown}, … ({len(known)} in all)"


def _json_safe(value: Any) -> Any:
    """A value that JSON can carry: non-finite floats as text, long strings cut."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int) and not -(2**63) <= value < 2**64:  # beyond what JSON tools read
        return _preview(value)
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict | list):
        return _preview(value)
    return value


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
