package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Segment flags.
const (
	// segUnsafe marks a simple command that may not be allowed as
	// written: it redirects to or from a file, has an unquoted glob, or
	// starts with variable assignments.
	segUnsafe uint8 = 1 << iota
)

// Capacity of a lexed command line. A line with more words, simple
// commands or redirections is treated as opaque: it can still be
// blocked, but never allowed.
const (
	maxWords = 64
	maxSegs  = 16
	maxRedir = 4
)

// cmdline is a command line split into simple commands the way a POSIX
// shell would split it, as far as that can be done without running it.
// It has fixed capacity, and holds the lexer's state, so that it can
// live on the stack.
type cmdline struct {
	words  [maxWords]string // the words of all simple commands, quotes removed
	ends   [maxSegs]int     // ends[i] is the end of simple command i in words
	flags  [maxSegs]uint8   // flags of simple command i
	paths  [maxRedir]string // redirection targets
	nw     int
	ns     int
	np     int
	opaque bool // uses expansion, substitution or syntax we do not evaluate
	bslash bool // has a backslash outside single quotes, perhaps a Windows path

	// Lexer state.
	s      string
	i      int
	wb     [256]byte // the current word, when not a plain slice of s
	wn     int
	wbig   []byte // the current word, when longer than wb
	in     bool   // inside a word
	plain  bool   // the word so far is s[start:i], unchanged
	start  int
	glob   bool  // the word has an unquoted * ? or [
	redir  byte  // pending redirection whose target is the next word: '<', '>' or '&' (duplication)
	sflags uint8 // flags of the current simple command
	nwords int   // words in the current simple command
	assign bool  // the current simple command so far has only assignments
}

// seg returns the words of simple command i.
func (c *cmdline) seg(i int) []string {
	start := 0
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.words[start:c.ends[i]]
}

// lex splits s into simple commands at ; & && | || |& and newlines,
// and each into words, removing quotes and backslashes.
//
// It marks the line opaque for anything whose meaning depends on the
// environment or on running code: $ (parameter, arithmetic and command
// substitution, $'...'), backquotes, parentheses, braces, a word starting
// with # or !, here-documents, control characters, white space other
// than space, tab and newline, an unterminated quote, a trailing
// backslash, or more words than fit. It marks a simple command unsafe
// for an unquoted glob character, a leading NAME=value assignment, or a
// redirection other than to /dev/null or between descriptors.
func (c *cmdline) lex(s string) {
	c.s = s
	c.run()
	c.s, c.wbig = "", nil
}

// put and putStr add to the current word's buffer.
func (x *cmdline) put(b byte) {
	if x.wbig == nil && x.wn < len(x.wb) {
		x.wb[x.wn] = b
		x.wn++
		return
	}
	x.grow()
	x.wbig = append(x.wbig, b)
}

func (x *cmdline) putStr(s string) {
	if x.wbig == nil && x.wn+len(s) <= len(x.wb) {
		x.wn += copy(x.wb[x.wn:], s)
		return
	}
	x.grow()
	x.wbig = append(x.wbig, s...)
}

func (x *cmdline) grow() {
	if x.wbig == nil {
		x.wbig = make([]byte, x.wn, 2*len(x.wb))
		copy(x.wbig, x.wb[:x.wn])
	}
}

func (x *cmdline) resetBuf() { x.wn, x.wbig = 0, nil }

func (x *cmdline) bufString() string {
	if x.wbig != nil {
		return string(x.wbig)
	}
	return string(x.wb[:x.wn])
}

func (x *cmdline) run() {
	s := x.s
	x.assign = true
	for x.i < len(s) {
		c := s[x.i]
		switch c {
		case ' ', '\t':
			x.endWord()
			x.i++
		case '\n', ';':
			x.endWord()
			x.endSeg()
			x.i++
		case '&':
			x.endWord()
			if x.peek(1) == '>' { // &> and &>>
				x.i++
				x.redirect()
				continue
			}
			if x.peek(1) == '&' {
				x.i++
			}
			x.endSeg()
			x.i++
		case '|':
			x.endWord()
			if n := x.peek(1); n == '|' || n == '&' {
				x.i++
			}
			x.endSeg()
			x.i++
		case '<', '>':
			if x.in && x.plain && allDigits(s[x.start:x.i]) {
				x.in = false // a descriptor number, as in 2>&1
			} else {
				x.endWord()
			}
			x.redirect()
		case '$', '`', '(', ')', '{', '}':
			x.opaque = true
			x.addByte(c)
		case '#', '!':
			if !x.in {
				x.opaque = true
			}
			x.addByte(c)
		case '*', '?', '[':
			x.addByte(c)
			x.glob = true
		case '\\':
			x.bslash = true
			if x.i+1 >= len(s) {
				x.opaque = true
				x.i++
				continue
			}
			if s[x.i+1] == '\n' { // line continuation
				if x.in {
					x.toBuf()
				}
				x.i += 2
				continue
			}
			x.toBuf()
			_, n := utf8.DecodeRuneInString(s[x.i+1:])
			x.putStr(s[x.i+1 : x.i+1+n])
			x.i += 1 + n
		case '\'':
			x.toBuf()
			j := strings.IndexByte(s[x.i+1:], '\'')
			if j < 0 {
				x.opaque = true
				x.putStr(s[x.i+1:])
				x.i = len(s)
				continue
			}
			x.putStr(s[x.i+1 : x.i+1+j])
			x.i += j + 2
		case '"':
			x.toBuf()
			x.i++
			x.doubleQuoted()
		default:
			if c < 0x20 || c == 0x7f {
				x.opaque = true
			} else if c >= utf8.RuneSelf {
				if r, _ := utf8.DecodeRuneInString(s[x.i:]); unicode.IsSpace(r) || r == utf8.RuneError {
					x.opaque = true // a space a shell would not split at
				}
			}
			x.addByte(c)
		}
	}
	x.endWord()
	x.endSeg()
}

func (x *cmdline) peek(n int) byte {
	if x.i+n < len(x.s) {
		return x.s[x.i+n]
	}
	return 0
}

// doubleQuoted consumes a double-quoted string after its opening quote.
func (x *cmdline) doubleQuoted() {
	s := x.s
	for x.i < len(s) {
		c := s[x.i]
		switch c {
		case '"':
			x.i++
			return
		case '\\':
			if x.i+1 < len(s) {
				switch n := s[x.i+1]; n {
				case '\n':
					x.i += 2
					continue
				case '$', '`', '"', '\\':
					x.put(n)
					x.i += 2
					continue
				}
			}
		case '$', '`':
			x.opaque = true
		}
		x.put(c)
		x.i++
	}
	x.opaque = true // unterminated
}

// addByte adds s[x.i] to the current word and advances.
func (x *cmdline) addByte(c byte) {
	if !x.in {
		x.in, x.plain, x.start, x.glob = true, true, x.i, false
	} else if !x.plain {
		x.put(c)
	}
	x.i++
}

// toBuf switches the current word, starting one if needed, to being
// built in the buffer because part of it was quoted or escaped.
func (x *cmdline) toBuf() {
	switch {
	case !x.in:
		x.in, x.plain, x.glob = true, false, false
		x.resetBuf()
	case x.plain:
		x.resetBuf()
		x.putStr(x.s[x.start:x.i])
		x.plain = false
	}
}

func (x *cmdline) endWord() {
	if !x.in {
		return
	}
	x.in = false
	var w string
	if x.plain {
		w = x.s[x.start:x.i]
	} else {
		w = x.bufString()
	}
	if x.redir != 0 {
		x.redirTarget(w)
		return
	}
	if x.glob {
		x.sflags |= segUnsafe
	}
	if x.assign {
		if isAssignment(w) {
			x.sflags |= segUnsafe
		} else {
			x.assign = false
		}
	}
	if x.nw == maxWords {
		x.opaque = true
		return
	}
	x.words[x.nw] = w
	x.nw++
	x.nwords++
}

// redirect consumes a redirection operator at x.i (after any &).
func (x *cmdline) redirect() {
	s := x.s
	c := s[x.i]
	x.i++
	op := c
	if c == '<' {
		switch x.peek(0) {
		case '<': // here-document or here-string
			x.opaque = true
			for x.i < len(s) && s[x.i] == '<' {
				x.i++
			}
		case '>':
			x.i++
		case '&':
			x.i++
			op = '&'
		}
	} else {
		switch x.peek(0) {
		case '>', '|':
			x.i++
		case '&':
			x.i++
			op = '&'
		}
	}
	if x.redir != 0 { // two operators in a row
		x.opaque = true
	}
	x.redir = op
}

// redirTarget records the target word of a redirection.
func (x *cmdline) redirTarget(w string) {
	op := x.redir
	x.redir = 0
	if op == '&' && (allDigits(w) || w == "-") || w == "/dev/null" {
		return // harmless: descriptor duplication or the null device
	}
	x.sflags |= segUnsafe
	if x.np == maxRedir {
		x.opaque = true
		return
	}
	x.paths[x.np] = w
	x.np++
}

func (x *cmdline) endSeg() {
	if x.redir != 0 { // operator with no target
		x.opaque = true
		x.redir = 0
	}
	if x.nwords > 0 || x.sflags != 0 {
		if x.ns == maxSegs {
			x.opaque = true
		} else {
			x.ends[x.ns] = x.nw
			x.flags[x.ns] = x.sflags
			x.ns++
		}
	}
	x.nwords, x.sflags, x.assign = 0, 0, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isAssignment reports whether w has the form NAME=value.
func isAssignment(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := w[j]
		if c != '_' && !('a' <= c|0x20 && c|0x20 <= 'z') && (j == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// flatSegments is a deliberately crude second reading of a command line,
// used only to find blocked commands hidden inside strings that another
// program will run (sh -c "...", ssh host "...", eval ...) or inside
// syntax the lexer treats as opaque. Quote characters are deleted,
// backslashes are deleted too or, if winPaths is set, read as path
// separators (C:\\tools\\terraform.exe), white space and $ < > { }
// separate words, and ; & | ( ) ` and newlines separate commands.
func flatSegments(s string, winPaths bool) [][]string {
	var (
		segs [][]string
		cur  []string
		w    strings.Builder
	)
	endWord := func() {
		if w.Len() > 0 {
			cur = append(cur, w.String())
			w.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '\'' || r == '"':
		case r == '\\':
			if winPaths {
				w.WriteByte('/')
			}
		case strings.ContainsRune(";&|()`\n", r):
			endWord()
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
		case unicode.IsSpace(r) || strings.ContainsRune("$<>{}", r):
			endWord()
		default:
			w.WriteRune(r)
		}
	}
	endWord()
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}
