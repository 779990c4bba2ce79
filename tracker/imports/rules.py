"""The models' own rules, checked in Python on the rows an import would write.

An import checks thousands of rows; asking the database (``full_clean()``) row by row
would cost queries per row. Instead each model's check constraints are evaluated here
from their ``Q`` conditions, its unique constraints over the rows that share a scope,
and its ``clean()`` is called, so that a rule added to a model is checked by the import
without a second copy of it. Where ``clean()`` needs the database, the rule is
re-expressed on the rows in memory (:func:`implementation_problems`).
"""

import datetime
import functools
import inspect
import operator

from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    CheckConstraint,
    F,
    Model,
    Q,
    TextField,
    UniqueConstraint,
)
from django.db.models.query_utils import DeferredAttribute

from ..models import Implementation

#: Models whose ``clean()`` reads related rows from the database: their rule is
#: re-expressed on the planned rows instead.
REEXPRESSED = {Implementation}


def _value(obj, name):
    return _reader(type(obj), name)(obj)


@functools.cache
def _reader(model, name):
    """The field ``name`` of a ``model`` row as the database would compare it (a related
    record by its id, or by identity while it is new), as a function of the row: worked
    out once per field, then asked of every row an import writes."""
    field = model._meta.get_field(name)
    attname = field.attname
    if field.is_relation:
        cache_name = field.cache_name  # where Django keeps the related record
        by_id = field.target_field.primary_key  # the row holds the record's id
        record_pk = operator.attrgetter(field.related_model._meta.pk.attname)  # not ``.pk``

        def related(obj):
            cache = obj._state.fields_cache
            if cache_name in cache:
                record = cache[cache_name]
            else:
                key = getattr(obj, attname)
                if key is None or by_id:
                    return None if key is None else ("pk", key)
                record = getattr(obj, name)
            if record is None:
                return None
            pk = record_pk(record)
            return ("pk", pk) if pk is not None else ("new", id(record))

        return related
    prepare = field.get_prep_value
    text_as_is = type(field).get_prep_value in _TEXT_AS_IS  # a text field's text is its value
    # Where Django keeps a loaded field's value, unless the field keeps it its own way.
    kept = type(inspect.getattr_static(model, attname, None)) is DeferredAttribute

    def value(obj):
        values = obj.__dict__
        value = values[attname] if kept and attname in values else getattr(obj, attname)
        if value is None or (text_as_is and type(value) is str):
            return value
        return prepare(value)

    return value


#: ``get_prep_value`` of fields that give a ``str`` back as it is.
_TEXT_AS_IS = (CharField.get_prep_value, TextField.get_prep_value)


def _date_part(part):
    def transform(value):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return getattr(value, part)

    return transform


#: The transforms a check constraint may use (``start_date__day=1``).
TRANSFORMS = {part: _date_part(part) for part in ("day", "month", "year")}


_OPERATORS = {
    "exact": operator.eq,
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "in": lambda value, expected: value in expected,
}


def _compare(lookup, value, expected):
    """Three-valued, as SQL is: None when either side is NULL."""
    if lookup == "isnull":
        return (value is None) is bool(expected)
    if value is None or expected is None:
        return None
    return bool(_OPERATORS[lookup](value, expected))


def holds(condition, obj):
    """Whether ``obj`` meets a ``Q`` condition: True, False, or None (unknown, as NULL)."""
    return _compiled(condition)(obj)


_COMPILED = {}  # id(condition) -> (condition, its test): conditions are the models' own


def _compiled(condition):
    """``condition`` as a function of a row, worked out once: the import asks it of
    every row it writes."""
    found = _COMPILED.get(id(condition))
    if found is None or found[0] is not condition:
        found = _COMPILED[id(condition)] = (condition, _compile(condition))
    return found[1]


def _compile(condition, model=None):
    """``model``, where known, lets each lookup bind its field's reader at once."""
    tests = [
        _compile(c, model) if isinstance(c, Q) else _compile_lookup(*c, model=model)
        for c in condition.children
    ]
    negated = condition.negated
    if len(tests) == 1 and not negated:  # ``Q(a=1)``: its one lookup's answer
        return tests[0]
    decisive = condition.connector != Q.AND  # False settles an AND, True settles an OR

    def test(obj):
        result = not decisive  # what the parts give when none settles it nor is unknown
        for part in tests:
            outcome = part(obj)
            if outcome is decisive:
                result = decisive
                break
            if outcome is None:
                result = None
        if negated and result is not None:
            result = not result
        return result

    return test


def _compile_lookup(key, expected, *, model=None):
    name, *transforms = key.split("__")
    lookup = transforms.pop() if transforms and transforms[-1] not in TRANSFORMS else "exact"
    if lookup != "isnull" and lookup not in _OPERATORS:
        raise NotImplementedError(f"the import cannot check the lookup {lookup!r}")
    steps = [TRANSFORMS[transform] for transform in transforms]
    other = expected.name if isinstance(expected, F) else None
    if model is not None and not steps and lookup == "isnull":
        is_null, wanted = _is_null(model, name), bool(expected)
        return lambda obj: is_null(obj) is wanted
    if model is not None and not steps:
        return _bound_lookup(
            lookup, _reader(model, name), other and _reader(model, other), expected
        )
    readers = {}  # model -> (reader of name, reader of other): a condition has one model

    def test(obj):
        model = type(obj)
        read = readers.get(model)
        if read is None:
            read = readers[model] = (_reader(model, name), other and _reader(model, other))
        value = read[0](obj)
        for step in steps:
            value = step(value)
        return _compare(lookup, value, read[1](obj) if other else expected)

    return test


@functools.cache
def _is_null(model, name):
    """Whether :func:`_reader` would give None, without building what it gives."""
    field = model._meta.get_field(name)
    if not field.is_relation:
        read = _reader(model, name)
        return lambda obj: read(obj) is None
    attname, cache_name = field.attname, field.cache_name

    def is_null(obj):
        cache = obj._state.fields_cache
        return (cache[cache_name] if cache_name in cache else getattr(obj, attname)) is None

    return is_null


def _bound_lookup(lookup, read, read_other, expected):
    """A lookup without transforms on a known model (an ``isnull`` aside): its readers
    bound once."""
    if read_other:
        return lambda obj: _compare(lookup, read(obj), read_other(obj))
    return lambda obj: _compare(lookup, read(obj), expected)


class _Rules:
    """A model's rules as the import asks them of every row it writes, worked out once
    per model: whether it has a ``clean()`` of its own to call, its check constraints
    and its unique constraints, each condition compiled for the model."""

    def __init__(self, model):
        self.constraints = constraints = model._meta.constraints
        self.count = len(constraints)
        self.clean = model not in REEXPRESSED and model.clean is not Model.clean
        self.checks = [
            (_compile(c.condition, model), c) for c in constraints if isinstance(c, CheckConstraint)
        ]
        self.uniques = [
            (
                c.condition is not None and _compile(c.condition, model),
                _key_reader([_reader(model, name) for name in c.fields]),
                c,
            )
            for c in constraints
            if isinstance(c, UniqueConstraint)
        ]


def _key_reader(readers):
    """A row's values of a unique constraint's fields, as a tuple."""
    if len(readers) == 2:
        first, second = readers
        return lambda obj: (first(obj), second(obj))
    if len(readers) == 3:
        first, second, third = readers
        return lambda obj: (first(obj), second(obj), third(obj))
    return lambda obj: tuple([read(obj) for read in readers])


_RULES = {}


def _rules(model):
    found = _RULES.get(model)
    constraints = model._meta.constraints
    if found is None or found.constraints is not constraints or found.count != len(constraints):
        found = _RULES[model] = _Rules(model)  # constraints changed since (a test's)
    return found


def instance_problems(obj):
    """``[(field name or None, message)]``: check constraints and ``clean()`` of one row."""
    rules = _rules(type(obj))
    problems = []
    if rules.clean:
        try:
            obj.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    problems.append((None if name == "__all__" else name, message))
    for test, constraint in rules.checks:
        if test(obj) is False:
            message = str(constraint.get_violation_error_message())
            if all(message != said for _name, said in problems):  # ``clean()`` said it
                problems.append((None, message))
    return problems


def duplicates(objs):
    """``[(obj, message)]`` for rows that repeat an earlier one under a unique constraint.

    ``objs`` are rows of one model that share the constraint's scope (an event's
    participations, say), as they would stand after the import.
    """
    found = []
    if len(objs) < 2:  # a row cannot repeat itself
        return found
    for condition, key_of, constraint in _rules(type(objs[0])).uniques:
        seen = set()
        for obj in objs:
            if condition and condition(obj) is not True:
                continue
            key = key_of(obj)
            if None in key:
                continue
            if key in seen:
                found.append((obj, str(constraint.get_violation_error_message())))
            seen.add(key)
    return found


def implementation_problems(implementation):
    """:meth:`Implementation.clean`, on rows in memory: not dated before the agreement."""
    message = implementation.dated_before_agreement()
    return [message] if message else []
