package pack

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonIndex maps JSON pointers ("/constraints/dependencies/0/type") to the
// byte offset where that member's key (or that array element) starts in
// pack.json, so that findings can name a line and column.
type jsonIndex map[string]int64

// key returns the offset of a top-level key, or -1.
func (x jsonIndex) key(k string) int64 { return x.at("/" + escapePointer(k)) }

// elem returns the offset of element i of a top-level array, else of the key.
func (x jsonIndex) elem(k string, i int) int64 {
	if off, ok := x["/"+escapePointer(k)+"/"+strconv.Itoa(i)]; ok {
		return off
	}
	return x.key(k)
}

// at returns the offset of a pointer, or of its nearest indexed parent.
func (x jsonIndex) at(ptr string) int64 {
	for {
		if off, ok := x[ptr]; ok {
			return off
		}
		i := strings.LastIndexByte(ptr, '/')
		if i <= 0 {
			return -1
		}
		ptr = ptr[:i]
	}
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// indexJSON walks the tokens of a JSON document. It never fails: on bad input
// it returns what it found so far.
func indexJSON(b []byte) jsonIndex {
	x := jsonIndex{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(ptr string, depth int) bool
	walk = func(ptr string, depth int) bool {
		if depth > 64 {
			return false
		}
		t, err := dec.Token()
		if err != nil {
			return false
		}
		d, ok := t.(json.Delim)
		if !ok {
			return true // a scalar
		}
		switch d {
		case '{':
			for dec.More() {
				start := skipSep(b, dec.InputOffset())
				kt, err := dec.Token()
				if err != nil {
					return false
				}
				k, _ := kt.(string)
				child := ptr + "/" + escapePointer(k)
				x[child] = start
				if !walk(child, depth+1) {
					return false
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				child := ptr + "/" + strconv.Itoa(i)
				x[child] = skipSep(b, dec.InputOffset())
				if !walk(child, depth+1) {
					return false
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err == nil
	}
	walk("", 0)
	return x
}

// skipSep skips white space and one separating comma or colon.
func skipSep(b []byte, off int64) int64 {
	off = skipSpace(b, off)
	if off < int64(len(b)) && (b[off] == ',' || b[off] == ':') {
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
