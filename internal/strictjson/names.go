package strictjson

import (
	"strings"
	"unicode/utf8"
)

// Names finds which of a type's member names a key is, as encoding/json
// matches object keys to struct fields: ignoring case, with Unicode
// simple folding. It allocates nothing.
type Names struct {
	names []string
	index map[string]int // the names, which are lower-case ASCII
}

// NewNames returns the Names of names, which must be lower-case ASCII.
func NewNames(names ...string) *Names {
	n := &Names{names: names, index: make(map[string]int, len(names))}
	for i, s := range names {
		n.index[s] = i
	}
	return n
}

// Index returns the index of the name key matches, or -1.
func (n *Names) Index(key string) int {
	var buf [32]byte
	if len(key) <= len(buf) {
		ascii := true
		for i := 0; i < len(key) && ascii; i++ {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i], ascii = c, c < utf8.RuneSelf
		}
		if ascii {
			for i, s := range n.names {
				if len(s) == len(key) && s == string(buf[:len(key)]) {
					return i
				}
			}
			return -1
		}
	}
	for i, s := range n.names {
		if strings.EqualFold(key, s) {
			return i
		}
	}
	return -1
}

// Exact returns the index of the name spelled exactly key, or -1.
func (n *Names) Exact(key string) int {
	if i, ok := n.index[key]; ok {
		return i
	}
	return -1
}
