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
"""

from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.fields import TEXT
from whoosh.util.numeric import length_to_byte

_PROTOCOL = 5  # bytes as bytes; readable by every Python we support
_CONTINUED = bytes(range(0x80, 0x100))  # varint bytes that another byte follows


class VarintPositions(formats.Positions):
    """Positions as varint-coded gaps; the frequency is the number of varints."""

    def encode(self, poslist: list[int]) -> bytes:
        out = bytearray()
        base = 0
        for pos in poslist:
            gap, base = pos - base, pos
            while gap >= 0x80:
                out.append(gap & 0x7F | 0x80)
                gap >>= 7
            out.append(gap)
        return bytes(out)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if valuestring.isascii():  # every gap below 128: one byte each
            return list(accumulate(valuestring))
        gaps = []
        gap = shift = 0
        for byte in valuestring:
            gap |= (byte & 0x7F) << shift
            if byte & 0x80:
                shift += 7
            else:
                gaps.append(gap)
                gap = shift = 0
        return list(accumulate(gaps))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring.translate(None, _CONTINUED))

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]


@dataclass(frozen=True)
class Analysed:
    """A field value analysed beforehand: (term, frequency, weight, positions) per term."""

    items: tuple[tuple[bytes, int, float, bytes], ...]


class TextField(TEXT):
    """A text field with positions (for phrases) in VarintPositions, which also takes values
    analysed beforehand."""

    def __init__(self, analyzer: Any, field_boost: float = 1.0) -> None:
        super().__init__(analyzer=analyzer, phrase=True, field_boost=field_boost)
        self.format = VarintPositions(field_boost=field_boost)

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


class _PostingsWriter(W3PostingsWriter):
    def _mini_weights(self) -> Any:
        weights = super()._mini_weights()
        if isinstance(weights, tuple) and all(w.is_integer() for w in weights):
            # word counts: pickled as ints they take 2 bytes a posting instead of a float's 9
            return tuple(int(w) for w in weights)
        return weights

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
