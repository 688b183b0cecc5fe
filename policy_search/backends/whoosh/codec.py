"""How passages are indexed: text fields analysed in the ingest workers, and Whoosh's W3 codec
with posting blocks that are smaller on disk and decode faster.

Analysis (jieba, stemming, folding) was 40% of what the single writing process did, so the
workers that parse files also analyse their passages (TextField.analysed) and the writer only
adds the postings they made.

Two things made posting lists 2.5 times the text they index, and made reading them most of a
query's time:

- W3 pickles each block of postings with protocol 2, which has no opcode for bytes: every
  posting's value becomes a call to ``_codecs.encode`` in the pickle. Protocol 5 stores bytes
  as bytes; a block decodes five times faster and compresses to a third.
- Whoosh's Positions format writes a 4-byte count and a pickled list of gaps for every
  posting (13 bytes for a word seen once). VarintPositions writes the gaps as varints, 1 byte
  for most words.

Whoosh reads both with its own reader (``pickle.loads`` reads any protocol), so only writing
changes. The schema pickles these classes by name: renaming them needs a FORMAT_VERSION bump.

Blocks also hold 1,024 postings instead of W3's 128: the ranker decodes a block per Python
call, so at 300,000 passages the slowest queries read 8 times fewer blocks (warm p95 25 to
18 ms) and the index is 9% smaller. Whoosh's reader takes blocks of any size, so an index
written with smaller blocks still reads.

A block of PACKED_FROM postings or more has its three parts packed, not tuples of Python
objects: the id gaps as an array (PackedIds), word counts as an array of the smallest integer
type, and the positions of all its postings as one string with their lengths beside it
(PackedValues). Unpickling a tuple made 1,024 ints and 1,024 bytes objects a block, and turning
them into NumPy arrays was most of the time of a Chinese run at 100,000 passages; packed, the
ranker reads a block with ``np.frombuffer``. Whoosh's reader still works: it only iterates the
ids, indexes the weights and indexes the values, which these classes do.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING, Any

from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.fields import TEXT
from whoosh.util.numeric import length_to_byte

if TYPE_CHECKING:
    from policy_search.backends.whoosh.posting_pool import TermPostings

_PROTOCOL = 5  # bytes as bytes; readable by every Python we support
_CONTINUED = bytes(range(0x80, 0x100))  # varint bytes that another byte follows


def varints(numbers: Iterable[int]) -> bytes:
    """Non-negative integers as varints: 7 bits a byte, the high bit set on all but the last."""
    numbers = list(numbers)
    if not numbers or max(numbers) < 0x80:  # a byte each: most positions and lengths
        return bytes(numbers)
    out = bytearray()
    for n in numbers:
        while n >= 0x80:
            out.append(n & 0x7F | 0x80)
            n >>= 7
        out.append(n)
    return bytes(out)


def _gaps(ascending: Iterable[int]) -> Iterator[int]:
    """Each number's distance from the one before (the first's from 0)."""
    return (b - a for a, b in pairwise([0, *ascending]))


def read_varints(data: bytes) -> list[int]:
    """The integers of ``varints``, in Python (the ranker decodes them with NumPy)."""
    if data.isascii():  # every number below 128: one byte each
        return list(data)
    numbers = []
    n = shift = 0
    for byte in data:
        n |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(n)
            n = shift = 0
    return numbers


class PackedIds:
    """A block's first docnum and the gaps after it, in an array of the smallest type that
    holds them (a byte each for a common word); iterates as Whoosh's gaps from 0."""

    __slots__ = ("first", "gaps")

    def __init__(self, first: int, gaps: array) -> None:
        self.first = first
        self.gaps = gaps

    def __reduce__(self) -> tuple[Any, tuple[int, array]]:
        return (PackedIds, (self.first, self.gaps))

    def __iter__(self) -> Iterator[int]:
        yield self.first
        yield from self.gaps


class PackedValues:
    """A block's posting values joined into one string, with each value's length as varints.

    Whoosh indexes the values one posting at a time; the ranker slices ``data`` itself.
    """

    __slots__ = ("lengths", "data", "_ends")

    def __init__(self, lengths: bytes, data: bytes) -> None:
        self.lengths = lengths
        self.data = data
        self._ends: list[int] | None = None

    @classmethod
    def of(cls, values: Iterable[bytes]) -> PackedValues:
        values = list(values)
        return cls(varints(map(len, values)), b"".join(values))

    def __reduce__(self) -> tuple[Any, tuple[bytes, bytes]]:
        return (PackedValues, (self.lengths, self.data))

    def __len__(self) -> int:
        return len(self._offsets()) - 1

    def __getitem__(self, i: int) -> bytes:
        ends = self._offsets()
        return self.data[ends[i] : ends[i + 1]]

    def _offsets(self) -> list[int]:
        if self._ends is None:
            self._ends = [0, *accumulate(read_varints(self.lengths))]
        return self._ends


def _smallest_array(numbers: tuple[int, ...]) -> array:
    """Non-negative integers in the smallest array type that holds them."""
    largest = max(numbers, default=0)
    for typecode in "BHIQ":
        if largest < 1 << (8 * array(typecode).itemsize):
            return array(typecode, numbers)
    raise ValueError(f"{largest} does not fit in 64 bits")


class VarintPositions(formats.Positions):
    """Positions as varint-coded gaps; the frequency is the number of varints."""

    def encode(self, poslist: list[int]) -> bytes:
        return varints(_gaps(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(accumulate(read_varints(valuestring)))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring.translate(None, _CONTINUED))

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]


@dataclass(frozen=True)
class Analysed:
    """A field value analysed beforehand: (term, frequency, weight, positions) per term."""

    items: tuple[tuple[bytes, int, float, bytes], ...]


class Counts(formats.Format):
    """A term's count in each passage, without positions: for a field never searched by
    phrase. The count is the posting's weight (times the field boost); nothing else is kept."""

    posting_size = 0

    def __init__(self, field_boost: float = 1.0, **options: Any) -> None:
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        counts = Counter(t.text for t in formats.tokens(value, analyzer, kwargs))
        return ((word, n, n * self.field_boost, b"") for word, n in counts.items())

    def encode(self, value: Any) -> bytes:
        return b""

    def decode_frequency(self, valuestring: bytes) -> int:
        return 1  # not kept (as in Whoosh's Existence): the weight has the count


class TextField(TEXT):
    """A text field with positions (for phrases) in VarintPositions, or with counts only
    (``positions=False``), which also takes values analysed beforehand."""

    def __init__(self, analyzer: Any, field_boost: float = 1.0, positions: bool = True) -> None:
        super().__init__(analyzer=analyzer, phrase=positions, field_boost=field_boost)
        self.format = VarintPositions(field_boost=field_boost) if positions else Counts(field_boost=field_boost)

    def index(self, value: Any, **kwargs: Any) -> Any:
        if isinstance(value, Analysed):
            return iter(value.items)
        return super().index(value, **kwargs)

    def analysed(self, text: str) -> Analysed:
        return Analysed(tuple(super().index(text)))


class PolicyCodec(W3Codec):
    """W3, with larger posting blocks pickled with the highest protocol."""

    def __init__(self, blocklimit: int = 1024) -> None:
        super().__init__(blocklimit=blocklimit)

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        # Whoosh looks up the passage's field length for every posting, only to keep each
        # block's shortest and longest length for its block-quality skipping, which neither
        # the ranker nor the exact-count collector uses: 12% of an ingest's time.
        super().add_postings(schema, None, items)

    def add_terms(self, schema: Any, terms: Iterable[TermPostings]) -> None:
        """Each term's postings (in field and term order) written a block at a time."""
        field = None
        for entry in terms:
            if entry.field != field:
                if field is not None:
                    self.finish_field()
                field = entry.field
                self.start_field(field, schema[field])
            self.start_term(entry.term)
            self._postwriter.add_postings(entry)
            self.finish_term()
        if field is not None:
            self.finish_field()


#: blocks of fewer postings are pickled as W3 pickles them, as tuples: a packed block carries
#: about 100 bytes of class names, which most of the pair field's terms (a few passages each)
#: cannot pay back, and a small block decodes quickly either way
PACKED_FROM = 64


class _PostingsWriter(W3PostingsWriter):
    _ids: Sequence[int]  # the block being filled (W3PostingsWriter's)

    def add_postings(self, entry: TermPostings) -> None:
        """A term's postings, as ``add_posting`` would take them one by one."""
        limit = self._blocklimit
        for start in range(0, len(entry.ids), limit):
            if self._ids:
                self._write_block()
            weights = entry.weights[start : start + limit]
            self._ids = entry.ids[start : start + limit]
            self._weights = array("f", weights)
            self._values = entry.values[start : start + limit]
            self._maxweight = max(weights)

    def _packs(self) -> bool:
        return len(self._ids) >= PACKED_FROM

    def _mini_ids(self) -> Any:
        if self._byteids or not self._packs():
            return super()._mini_ids()
        ids = self._ids
        return PackedIds(ids[0], _smallest_array(tuple(_gaps(ids))[1:]))

    def _mini_weights(self) -> Any:
        weights = super()._mini_weights()
        if not isinstance(weights, tuple):  # None (all 1.0) or one number for all
            return weights
        if all(w.is_integer() for w in weights):  # word counts (times a field boost of 1.0)
            counts = tuple(int(w) for w in weights)  # an int pickles in 2 bytes, a float in 9
            return _smallest_array(counts) if self._packs() else counts
        if not self._packs():
            return weights
        single = array("f", weights)  # counts times a field boost such as 0.5
        return single if single.tolist() == list(weights) else array("d", weights)

    def _mini_values(self) -> Any:
        fixedsize = self._format.fixed_value_size()
        if (fixedsize is not None and fixedsize >= 0) or not self._packs():
            return super()._mini_values()
        return PackedValues.of(self._values)

    def _write_block(self, last: bool = False) -> None:
        # W3's block layout (header, length, info, data), with the data pickled at protocol 5
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), _PROTOCOL)
        compression = self._compression if len(data) >= 20 else 0
        if compression:
            data = zlib.compress(data, compression)
        ids = self._ids
        info = pickle.dumps(
            (len(ids), ids[-1], self._maxweight, compression,
             length_to_byte(self._minlength), length_to_byte(self._maxlength)),
            _PROTOCOL,
        )
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)  # negative: the last block
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()
