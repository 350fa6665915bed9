package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// special returns the index of the first '"' or '\' in b, or -1: where a
// string's plain run ends.
//
// JSON strings are mostly short (keys, names, codes), and for them two
// calls of bytes.IndexByte cost more than the search. So the first 64
// bytes are searched eight at a time in a word (the "has a zero byte" bit
// trick: the lowest flagged byte is always a true match), the rest with
// bytes.IndexByte's vector code, which wins on long strings.
func special(b []byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		quote = ones * '"'
		slash = ones * '\\'
	)
	i := 0
	for ; i+8 <= len(b) && i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, s := x^quote, x^slash
		if m := ((q-ones)&^q | (s-ones)&^s) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < 64 {
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' {
				return i
			}
		}
		return -1
	}
	rest := b[i:]
	q := bytes.IndexByte(rest, '"')
	end := rest
	if q >= 0 {
		end = rest[:q]
	}
	if s := bytes.IndexByte(end, '\\'); s >= 0 {
		return i + s
	}
	if q >= 0 {
		return i + q
	}
	return -1
}
