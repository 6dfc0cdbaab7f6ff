"""What crosses the grading sandbox: a check's inputs and the student's answers, as data.

When the grader runs a notebook it writes each exercise's inputs into the probe folder
(`<exercise>.inputs.json` and `.npz`, `write_inputs`); the check cell, in the sandbox, reads
them (`load_inputs`), calls the student's function (`course_lib.checks.probe`) and writes
what came back (`<exercise>.answers.json` and `.npz`, `write_answers`); the grader reads the
answers back in its own process (`load_answers`), where nothing is unpickled and everything
is validated: types, nesting, sizes. This module turns values into data (JSON for numbers,
strings, containers and the shape of things; NumPy arrays stored apart in an `.npz`
file). A value that is not data (a Keras model, a function) is recorded as an `Opaque`
description; a call that raised as a `FailedCall` (the exception's type and message).

Encoded values (the JSON side):

- `null`, `true`/`false`, integers, floats (also `NaN`, `Infinity`) and strings are
  themselves;
- `{"t": "list" | "tuple", "v": [...]}`, `{"t": "dict", "v": [[key, value], ...]}` (keys
  are str, int, float, bool or None);
- `{"t": "array", "k": "a3"}`: a NumPy array, stored in the `.npz` under that key (dtype
  and shape kept); `{"t": "scalar", "dtype": "float32", "v": 0.5}`: a NumPy scalar;
- `{"t": "complex", "v": [re, im]}`, `{"t": "opaque", "v": "<Sequential object>"}`;
- `{"t": "failed", "error": "TypeError: ...", "unsolved": false}` for a call that raised.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.checks.contract import probe_files
from course_lib.validation import shorten

__all__ = [
    "FORMAT",
    "LIMITS",
    "Budget",
    "Encoder",
    "FailedCall",
    "Opaque",
    "ProbeData",
    "ProbeError",
    "decode",
    "decode_answers",
    "decode_arguments",
    "encode_inputs",
    "load_answers",
    "load_inputs",
    "write_answers",
    "write_inputs",
    "zip_directory_bytes",
]

#: Version of the record format, written into every record file.
FORMAT = 2


@dataclass(frozen=True)
class Limits:
    """Size caps of a probe record (a hostile kernel can write anything into the folder)."""

    json_bytes: int = 16 * 2**20  # the .json file
    array_bytes: int = 128 * 2**20  # all arrays of one exercise together
    calls: int = 10_000  # recorded calls per exercise
    depth: int = 16  # nesting of lists, tuples and dicts
    items: int = 200_000  # leaves (numbers, strings, arrays) of one exercise
    string_chars: int = 20_000  # one string
    name_chars: int = 200  # a call's name
    int_bits: int = 256  # a Python int
    zip_directory_bytes: int = 4 * 2**20  # the .npz's table of contents (~50,000 arrays)


LIMITS = Limits()
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex
# NumPy scalars are recorded in the JSON as their dtype's name and value.
_SCALAR_TYPES = {
    name: np.dtype(name).type
    for name in (
        "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 "
        "float16 float32 float64 complex64 complex128"
    ).split()
}
_ARRAY_KEY = re.compile(r"^a\d{1,7}$")


class ProbeError(Exception):
    """The recorded answers of an exercise are missing or invalid.

    The message is written for the student's feedback, e.g. "no answers were recorded for
    Exercise 1.1: its check cell did not run".
    """


class Opaque:
    """A value of the student's that is not data (a model, a function): only its description.

    It is falsy, so a check that needs data treats it like a missing answer, and it
    describes itself the way `course_lib.validation.describe` described the object.
    """

    def __init__(self, description: str):
        self.description = str(description)

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return self.description

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.description == self.description

    def __hash__(self) -> int:
        return hash(self.description)


@dataclass(frozen=True)
class FailedCall:
    """A recorded call that raised: the error text, and whether it was the unsolved stub."""

    error: str
    unsolved: bool


def _describe(value: Any) -> str:
    from course_lib.validation import describe

    try:
        return shorten(describe(value), 200)
    except Exception:
        return f"<{type(value).__name__} object>"


class Encoder:
    """Turns the results of one exercise's calls into encoded values and a dict of arrays.

    Args:
        limits: the size caps. Defaults to `LIMITS`.

    Attributes:
        arrays: key -> array, every array (and NumPy scalar) encoded so far.
    """

    def __init__(self, limits: Limits = LIMITS):
        self.limits = limits
        self.arrays: dict[str, np.ndarray] = {}
        self._count = 0
        self.array_bytes = 0
        self.items = 0

    def _add_array(self, array: np.ndarray) -> str:
        key = f"a{self._count}"
        self._count += 1
        self.arrays[key] = array
        self.array_bytes += array.nbytes
        return key

    def encode(self, value: Any, depth: int = 0) -> Any:
        """The encoded form of `value`; never raises (what cannot be recorded is opaque)."""
        try:
            return self._encode(value, depth)
        except _TooLarge as error:
            return {"t": "opaque", "v": f"<an answer too large to record: {error}>"}
        except Exception:
            return {"t": "opaque", "v": _describe(value)}

    def _leaf(self) -> None:
        self.items += 1
        if self.items > self.limits.items:
            raise _TooLarge(f"more than {self.limits.items} values")

    def _encode(self, value: Any, depth: int) -> Any:
        if depth > self.limits.depth:
            raise _TooLarge(f"nested more than {self.limits.depth} levels")
        kind = type(value)
        if value is None or kind is bool:
            self._leaf()
            return value
        if kind is int:
            self._leaf()
            if value.bit_length() > self.limits.int_bits:
                raise _TooLarge(f"an integer of {value.bit_length()} bits")
            return value
        if kind is float:
            self._leaf()
            return value
        if kind is complex:
            self._leaf()
            return {"t": "complex", "v": [value.real, value.imag]}
        if kind is str:
            self._leaf()
            if len(value) > self.limits.string_chars:
                raise _TooLarge(f"a string of {len(value)} characters")
            return value
        if isinstance(value, np.generic):
            name = np.dtype(type(value)).name
            if name not in _SCALAR_TYPES:
                return {"t": "opaque", "v": _describe(value)}
            self._leaf()
            number = value.item()
            if isinstance(number, complex):
                number = [number.real, number.imag]
            return {"t": "scalar", "dtype": name, "v": number}
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _ARRAY_KINDS or value.dtype.fields is not None:
                return {"t": "opaque", "v": _describe(value)}
            self._leaf()
            if self.array_bytes + value.nbytes > self.limits.array_bytes:
                raise _TooLarge(f"arrays of more than {self.limits.array_bytes} bytes")
            return {"t": "array", "k": self._add_array(np.array(value, copy=True, subok=False))}
        if kind in (list, tuple):
            if len(value) > self.limits.items:
                raise _TooLarge(f"a {kind.__name__} of {len(value)} items")
            items = [self._encode(item, depth + 1) for item in list(value)]
            return {"t": kind.__name__, "v": items}
        if kind is dict:
            if len(value) > self.limits.items:
                raise _TooLarge(f"a dict of {len(value)} items")
            pairs = []
            for key, item in list(value.items()):
                if type(key) not in (str, int, float, bool) and key is not None:
                    return {"t": "opaque", "v": _describe(value)}
                pairs.append([self._encode(key, depth + 1), self._encode(item, depth + 1)])
            return {"t": "dict", "v": pairs}
        # Subclasses of the plain types (an `int` enum, a `float` with a patched __eq__)
        # are recorded as the plain value they hold.
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return self._encode(base(value), depth)
        return {"t": "opaque", "v": _describe(value)}

    def failed(self, error: str, unsolved: bool) -> dict:
        """The encoded form of a call that raised."""
        return {"t": "failed", "error": shorten(error, 2_000), "unsolved": bool(unsolved)}


class _TooLarge(Exception):
    pass


class Budget:
    """What decoding one exercise's record may still create: values, and bytes of arrays.

    Decoding copies an array each time the record refers to it, so every reference counts:
    a record of a few hundred bytes that names one large array many times is refused
    instead of multiplying it in the grader's memory.

    Args:
        items: values (numbers, strings, arrays...) it may decode. Defaults to `LIMITS.items`.
        array_bytes: bytes of arrays it may copy out. Defaults to `LIMITS.array_bytes`.
    """

    def __init__(self, items: int | None = None, array_bytes: int | None = None):
        self.items = LIMITS.items if items is None else items
        self.array_bytes = LIMITS.array_bytes if array_bytes is None else array_bytes
        self.limits = (self.items, self.array_bytes)

    def spend(self, items: int = 1, array_bytes: int = 0) -> None:
        """Count what is about to be decoded; ProbeError when it is over the budget."""
        self.items -= items
        self.array_bytes -= array_bytes
        if self.items < 0:
            raise ProbeError(f"they hold more than {self.limits[0]:,} values")
        if self.array_bytes < 0:
            raise ProbeError(
                f"they refer to more than {self.limits[1]:,} bytes of arrays (an array "
                "counts each time it is referred to)"
            )


def decode(
    encoded: Any, arrays: dict[str, np.ndarray], *, depth: int = 0, budget: Budget | None = None
) -> Any:
    """The value an encoded value stands for; raises `ProbeError` when it is malformed.

    Arrays are copied out of `arrays`, so the caller may change what it gets.

    Args:
        encoded: the encoded value (parsed JSON).
        arrays: the record's arrays, by key.
        depth: how deep `encoded` lies in the record. Defaults to 0.
        budget: what decoding may still create, shared by every value of one record.
            Defaults to a new `Budget()`.
    """
    budget = Budget() if budget is None else budget
    if depth > LIMITS.depth + 2:
        raise ProbeError("the recorded answers are nested too deeply")
    kind = type(encoded)
    if encoded is None or kind in (bool, int, float, str):
        budget.spend()
        if kind is str and len(encoded) > LIMITS.string_chars:
            raise ProbeError("a recorded string is too long")
        if kind is int and encoded.bit_length() > LIMITS.int_bits:
            raise ProbeError("a recorded integer is too large")
        return encoded
    if kind is not dict or not isinstance(encoded.get("t"), str):
        raise ProbeError(f"a recorded answer has an unknown form ({kind.__name__})")
    tag = encoded["t"]
    if tag not in ("list", "tuple", "dict"):
        budget.spend()
    if tag in ("list", "tuple"):
        items = encoded.get("v")
        if type(items) is not list:
            raise ProbeError(f"a recorded {tag} is malformed")
        values = [decode(item, arrays, depth=depth + 1, budget=budget) for item in items]
        return values if tag == "list" else tuple(values)
    if tag == "dict":
        pairs = encoded.get("v")
        if type(pairs) is not list:
            raise ProbeError("a recorded dict is malformed")
        result = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise ProbeError("a recorded dict is malformed")
            key = decode(pair[0], arrays, depth=depth + 1, budget=budget)
            if type(key) not in (str, int, float, bool) and key is not None:
                raise ProbeError("a recorded dict has a key that is not a plain value")
            result[key] = decode(pair[1], arrays, depth=depth + 1, budget=budget)
        return result
    if tag == "array":
        key = encoded.get("k")
        if not isinstance(key, str) or key not in arrays:
            raise ProbeError("a recorded array is missing from the .npz file")
        budget.spend(0, arrays[key].nbytes)
        return arrays[key].copy()
    if tag == "scalar":
        scalar_type = _SCALAR_TYPES.get(encoded.get("dtype"))
        number = encoded.get("v")
        if scalar_type is None:
            raise ProbeError("a recorded NumPy scalar has an unknown dtype")
        if type(number) is list and len(number) == 2 and all(type(p) is float for p in number):
            number = complex(number[0], number[1])
        if type(number) not in (bool, int, float, complex) or (
            type(number) is int and number.bit_length() > 64
        ):
            raise ProbeError("a recorded NumPy scalar is malformed")
        try:
            return scalar_type(number)
        except (TypeError, ValueError, OverflowError):
            raise ProbeError("a recorded NumPy scalar is malformed") from None
    if tag == "complex":
        parts = encoded.get("v")
        if type(parts) is not list or len(parts) != 2 or not all(type(p) is float for p in parts):
            raise ProbeError("a recorded complex number is malformed")
        return complex(parts[0], parts[1])
    if tag == "opaque":
        text = encoded.get("v")
        if not isinstance(text, str):
            raise ProbeError("a recorded description is malformed")
        return Opaque(shorten(text, 300))
    if tag == "failed":
        error, unsolved = encoded.get("error"), encoded.get("unsolved")
        if not isinstance(error, str) or type(unsolved) is not bool:
            raise ProbeError("a recorded error is malformed")
        return FailedCall(shorten(error, 2_000), unsolved)
    raise ProbeError("a recorded answer has an unknown form")


@dataclass(frozen=True)
class ProbeData:
    """The validated answers of one exercise.

    Attributes:
        exercise: the exercise id.
        calls: one dict per call, in order: `name` (str), `result` (the decoded value, a
            `FailedCall` or an `Opaque`), `after` (argument key, `"0"`, `"1"`, ... or
            `"kw:name"` -> the array argument's content after the call), `printed` (None or
            `(characters, first text)`).
    """

    exercise: str
    calls: tuple[dict, ...]


def encode_inputs(inputs: list[tuple[tuple, dict]]) -> tuple[list, dict[str, np.ndarray]]:
    """Encode the arguments of every call of an exercise: `(encoded calls, arrays)`.

    Raises:
        ValueError: when an argument is not data (the grader hands the probe only data).
    """
    encoder = Encoder()
    calls = []
    for args, kwargs in inputs:
        encoded = encoder.encode((tuple(args), dict(kwargs)))
        if _holds_opaque(encoded):
            raise ValueError(
                f"the inputs of a check must be data (arrays, numbers, strings, lists, "
                f"dicts); got {_describe((args, kwargs))}."
            )
        calls.append(encoded)
    return calls, encoder.arrays


def _holds_opaque(encoded: Any) -> bool:
    if type(encoded) is dict:
        if encoded.get("t") == "opaque":
            return True
        return any(_holds_opaque(v) for v in encoded.values())
    if type(encoded) is list:
        return any(_holds_opaque(v) for v in encoded)
    return False


def decode_arguments(encoded: Any, arrays: dict[str, np.ndarray]) -> tuple[tuple, dict]:
    """Fresh `(args, kwargs)` of one call from its encoded form (arrays are copies)."""
    value = decode(encoded, arrays)
    if (
        type(value) is not tuple
        or len(value) != 2
        or type(value[0]) is not tuple
        or type(value[1]) is not dict
    ):
        raise ProbeError("the recorded inputs of a call are malformed")
    return value


def _write(path_pair: tuple[Path, Path], record: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a record's JSON and `.npz` to temporary names, then rename them (atomic)."""
    json_path, npz_path = path_pair
    folder = json_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    for path, write in (
        (npz_path, lambda f: np.savez(f, **arrays)),
        (json_path, lambda f: f.write(json.dumps(record).encode())),
    ):
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                write(file)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def write_inputs(probe_dir: str | os.PathLike, exercise: str, calls: list, arrays: dict) -> None:
    """Write what the grader hands the probe of one exercise (`encode_inputs`'s result)."""
    record = {"format": FORMAT, "exercise": exercise, "inputs": calls}
    _write(probe_files(probe_dir, exercise, "inputs"), record, arrays)


def write_answers(
    probe_dir: str | os.PathLike, exercise: str, calls: list[dict], arrays: dict
) -> None:
    """Write the probe's record of one exercise's calls (already encoded, see `Encoder`)."""
    record = {"format": FORMAT, "exercise": exercise, "calls": calls}
    _write(probe_files(probe_dir, exercise, "answers"), record, arrays)


def _read_untrusted(path: Path, limit: int, what: str, exercise: str) -> bytes:
    """The bytes of a record file: a regular file (no link, FIFO or device), at most `limit`."""
    # Imported here: this runs in the grader only, never in the student's kernel.
    from course_lib.grading.untrusted_files import UntrustedFileError, read_bytes

    try:
        return read_bytes(path, limit)
    except FileNotFoundError:
        raise ProbeError(
            f"no answers were recorded for Exercise {exercise}: its check cell did not run "
            "(an earlier cell failed, the notebook stopped, or the check cell was removed) "
            "or could not write them."
        ) from None
    except UntrustedFileError as error:
        why = str(error).removeprefix(path.name).strip()
        raise ProbeError(f"the {what} of Exercise {exercise} is refused: it {why}.") from None


def zip_directory_bytes(data: bytes) -> int | None:
    """The size of a zip file's table of contents, as `zipfile` will read it; None if unusable.

    `zipfile` reads the whole table of contents before anything can be checked, one object
    per entry, so its size is checked first. The end record is found the way `zipfile`
    finds it; a zip64 end record (whose sizes are not checked here) makes it None.
    """
    end = len(data) - 22
    if not (end >= 0 and data[end : end + 4] == b"PK\x05\x06" and data[-2:] == b"\x00\x00"):
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 2**16 - 22))
    if end < 0 or len(data) - end < 22 or data[end - 20 : end - 16] == b"PK\x06\x07":
        return None
    return struct.unpack("<L", data[end + 12 : end + 16])[0]


def _load_arrays(path: Path, exercise: str, read=_read_untrusted) -> dict[str, np.ndarray]:
    data = read(path, LIMITS.array_bytes + 2**20, "array file", exercise)
    bad = ProbeError(f"the array file of Exercise {exercise} is damaged.")
    directory = zip_directory_bytes(data)
    if directory is None:
        raise bad
    if directory > LIMITS.zip_directory_bytes:
        raise ProbeError(f"the array file of Exercise {exercise} lists too many arrays.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > LIMITS.items:
                raise bad
            if sum(m.file_size for m in members) > LIMITS.array_bytes + 2**20:
                raise ProbeError(f"the arrays recorded for Exercise {exercise} are too large.")
            for member in members:
                if not member.filename.endswith(".npy") or not _ARRAY_KEY.match(
                    member.filename[:-4]
                ):
                    raise bad
        arrays = {}
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                array = npz[key]
                if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields is not None:
                    raise bad
                arrays[key] = array
        return arrays
    except ProbeError:
        raise
    except Exception:  # not a zip file, a truncated member, an object array, ...
        raise bad from None


def _read_inputs(path: Path, limit: int, what: str, exercise: str) -> bytes:
    """The bytes of a file the grader wrote, read in the student's kernel (at most `limit`)."""
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise ProbeError(f"no inputs were handed over for Exercise {exercise}.") from None
    if len(data) > limit:
        raise ProbeError(f"the {what} of Exercise {exercise} are too large.")
    return data


def _load(probe_dir: str | os.PathLike, exercise: str, kind: str, items: str, read):
    """Read and validate one record: `(its list under `items`, its arrays)`."""
    json_path, npz_path = probe_files(probe_dir, exercise, kind)
    what = "record" if kind == "answers" else "inputs"
    text = read(json_path, LIMITS.json_bytes, what, exercise)
    damaged = ProbeError(f"the recorded {kind} of Exercise {exercise} are damaged.")
    try:
        record = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise damaged from None
    if (
        type(record) is not dict
        or record.get("format") != FORMAT
        or record.get("exercise") != exercise
        or type(record.get(items)) is not list
    ):
        raise damaged
    if len(record[items]) > LIMITS.calls:
        raise ProbeError(f"too many calls were recorded for Exercise {exercise}.")
    arrays = _load_arrays(npz_path, exercise, read) if os.path.lexists(npz_path) else {}
    return record[items], arrays


def load_inputs(probe_dir: str | os.PathLike, exercise: str) -> tuple[list, dict]:
    """Read the inputs the grader wrote for one exercise: `(encoded calls, arrays)`.

    Decode each call with `decode_arguments`, once per call (fresh copies).

    Raises:
        ProbeError: when the file is missing, too large or malformed.
    """
    return _load(probe_dir, exercise, "inputs", "inputs", _read_inputs)


def _decode_call(raw: Any, arrays: dict[str, np.ndarray], budget: Budget) -> dict:
    if type(raw) is not dict:
        raise ProbeError("a recorded call is malformed")
    name = raw.get("name")
    if not isinstance(name, str) or len(name) > LIMITS.name_chars:
        raise ProbeError("a recorded call has no valid name")
    after_raw = raw.get("after", {})
    if type(after_raw) is not dict or len(after_raw) > 64:
        raise ProbeError("the recorded arguments of a call are malformed")
    after = {}
    for key, encoded in after_raw.items():
        value = decode(encoded, arrays, budget=budget)
        if not isinstance(value, np.ndarray) or len(key) > LIMITS.name_chars:
            raise ProbeError("the recorded arguments of a call are malformed")
        after[key] = value
    printed = raw.get("printed")
    if printed is not None:
        if (
            type(printed) is not list
            or len(printed) != 2
            or type(printed[0]) is not int
            or not isinstance(printed[1], str)
        ):
            raise ProbeError("the recorded output of a call is malformed")
        printed = (printed[0], shorten(printed[1], 200))
    return {
        "name": name,
        "result": decode(raw.get("result"), arrays, budget=budget),
        "after": after,
        "printed": printed,
    }


def load_answers(probe_dir: str | os.PathLike, exercise: str) -> ProbeData:
    """Read and validate the answers the probe recorded for one exercise (in the grader).

    Args:
        probe_dir: the folder the probing kernel wrote into.
        exercise: the exercise id, e.g. `"1.1"`.

    Returns:
        The `ProbeData`.

    Raises:
        ProbeError: when the record is missing, too large or malformed.
    """
    raw_calls, arrays = _load(probe_dir, exercise, "answers", "calls", _read_untrusted)
    return decode_answers(exercise, raw_calls, arrays)


def decode_answers(exercise: str, raw_calls: list, arrays: dict[str, np.ndarray]) -> ProbeData:
    """The `ProbeData` of encoded answers; raises `ProbeError` when they are malformed."""
    budget = Budget()  # one for the whole record: every value and every array reference
    try:
        calls = tuple(_decode_call(raw, arrays, budget) for raw in raw_calls)
    except RecursionError:
        raise ProbeError(f"the recorded answers of Exercise {exercise} are damaged.") from None
    except ProbeError as error:
        raise ProbeError(
            f"the recorded answers of Exercise {exercise} are damaged: {error}."
        ) from None
    return ProbeData(exercise, calls)
