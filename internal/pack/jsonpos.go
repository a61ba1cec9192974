package pack

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonIndex maps JSON pointers ("/constraints/dependencies/0/type") to the
// byte offset where that member's key (or that array element) starts in
// pack.json, so that findings can name a line and column.
type jsonIndex map[string]int64

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

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes a key for use in a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return pointerEscaper.Replace(s)
}

// Bounds of the index: the rules point at top-level keys and their near
// descendants, never deep into a hostile document, and pointers that grow
// with depth or key length would otherwise cost quadratic memory.
const (
	maxIndexed    = 20_000 // members and elements below the top level
	maxIndexDepth = 8
	maxPointerLen = 512
)

// indexJSON records where object members and array elements start. It walks
// the tokens without recursion and never fails: on bad input it returns
// what it found so far.
func indexJSON(b []byte) jsonIndex {
	x := jsonIndex{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type container struct {
		ptr     string
		indexed bool // whether its members are recorded
		array   bool
		n       int // elements seen, for arrays
	}
	var stack []container
	for {
		ptr, indexed := "", true // the value about to be read
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if !dec.More() { // the closing delimiter, or an error
				if _, err := dec.Token(); err != nil {
					return x
				}
				if stack = stack[:len(stack)-1]; len(stack) == 0 {
					return x
				}
				continue
			}
			start := skipSep(b, dec.InputOffset())
			name := ""
			if top.array {
				name = strconv.Itoa(top.n)
				top.n++
			} else {
				k, err := dec.Token()
				if err != nil {
					return x
				}
				key, _ := k.(string)
				name = escapePointer(key)
			}
			indexed = top.indexed && len(stack) <= maxIndexDepth && len(top.ptr)+1+len(name) <= maxPointerLen &&
				(len(stack) == 1 || len(x) < maxIndexed)
			if indexed {
				ptr = top.ptr + "/" + name
				x[ptr] = start
			}
		}
		t, err := dec.Token()
		if err != nil {
			return x
		}
		if d, ok := t.(json.Delim); ok && (d == '{' || d == '[') {
			stack = append(stack, container{ptr: ptr, indexed: indexed, array: d == '['})
		} else if len(stack) == 0 {
			return x // a top-level scalar
		}
	}
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

// lineIndex holds the offsets at which the lines of a file start.
type lineIndex []int64

func newLineIndex(b []byte) lineIndex {
	x := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			x = append(x, int64(i+1))
		}
	}
	return x
}

// position converts a byte offset of b to a 1-based line and column (in
// runes); a negative offset gives 0, 0.
func (x lineIndex) position(b []byte, off int64) (int, int) {
	if off < 0 {
		return 0, 0
	}
	off = min(off, int64(len(b)))
	for off > 0 && off < int64(len(b)) && !utf8.RuneStart(b[off]) {
		off-- // to the start of the character
	}
	line, _ := slices.BinarySearch(x, off+1) // the first line starting after off
	return line, utf8.RuneCount(b[x[line-1]:off]) + 1
}
