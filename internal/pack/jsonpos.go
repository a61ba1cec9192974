package pack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// jsonIndex records byte offsets in pack.json: of each top-level key, and of
// each element of top-level arrays, so findings can name a line and column.
type jsonIndex struct {
	keys  map[string]int64
	elems map[string][]int64
}

func (x jsonIndex) key(k string) int64 {
	if off, ok := x.keys[k]; ok {
		return off
	}
	return -1
}

func (x jsonIndex) elem(k string, i int) int64 {
	if e := x.elems[k]; i < len(e) {
		return e[i]
	}
	return x.key(k)
}

// indexJSON walks a JSON object's tokens. It never fails: on bad input it
// returns what it found so far.
func indexJSON(b []byte) jsonIndex {
	x := jsonIndex{keys: map[string]int64{}, elems: map[string][]int64{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return x
	}
	for dec.More() {
		start := skipSep(b, dec.InputOffset())
		t, err := dec.Token()
		if err != nil {
			return x
		}
		k, ok := t.(string)
		if !ok {
			return x
		}
		x.keys[k] = start
		// The value: record array elements, skip anything else.
		valStart := skipSpace(b, dec.InputOffset())
		if valStart < int64(len(b)) && b[valStart] == ':' {
			valStart = skipSpace(b, valStart+1)
		}
		if valStart < int64(len(b)) && b[valStart] == '[' {
			if _, err := dec.Token(); err != nil {
				return x
			}
			for dec.More() {
				off := skipSep(b, dec.InputOffset())
				x.elems[k] = append(x.elems[k], off)
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return x
				}
			}
			if _, err := dec.Token(); err != nil {
				return x
			}
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			if errors.Is(err, io.EOF) {
				return x
			}
			return x
		}
	}
	return x
}

// skipSep skips white space and one separating comma.
func skipSep(b []byte, off int64) int64 {
	off = skipSpace(b, off)
	if off < int64(len(b)) && b[off] == ',' {
		off = skipSpace(b, off+1)
	}
	return off
}

func skipSpace(b []byte, off int64) int64 {
	for off < int64(len(b)) {
		switch b[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}

// position converts a byte offset to a 1-based line and column (in runes);
// a negative offset gives 0, 0.
func position(b []byte, off int64) (int, int) {
	if off < 0 {
		return 0, 0
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return line, col
}
