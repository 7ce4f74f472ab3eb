// Package shell reads a command line the way a POSIX shell would, without
// running or expanding anything, and finds every command it would run.
//
// It is the one reader of command lines for both kinds of pack: lex splits
// a line into simple commands (Line), and Read follows what they lead to
// (wrappers, sh -c strings, here-documents and text fed to shells,
// substitutions, the Windows reading of backslashes, a reading with
// quoting ignored) into a Reading: every command, how it was reached, and
// whether the line can be allowed only if it is. ReadPush reads what a
// git push updates.
package shell

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Flags note syntax whose effect cannot be known before the line runs.
type Flags uint8

// Flags of a line.
const (
	Expansion Flags = 1 << iota // $ expansions, substitutions, backquotes, parentheses, braces, here-documents
	Comment                     // a comment, or a word starting with !
	Odd                         // control characters, white space a shell does not split at, invalid UTF-8
	Broken                      // unterminated quoting, unbalanced parentheses, a redirection without a target, …
	Backslash                   // a backslash outside single quotes: an escape, or a Windows path separator

	// Opaque are the flags of a line whose effect depends on more than
	// its words.
	Opaque = Expansion | Comment | Odd | Broken
)

// Cmd is one simple command of a Line.
type Cmd struct {
	Start, End int    // its words are Line.Words[Start:End]
	Prog       int    // index of its program word: after leading assignments and keywords (End if none)
	Raw        string // its text as written, trimmed
	Pipeline   int    // commands of one pipeline share the number
	Assign     bool   // it starts with NAME=value assignments
	Glob       bool   // a word has an unquoted * ? or [
	Redirect   bool   // it redirects to or from a file (not /dev/null, not between descriptors)
}

// Doc is text a command reads as its input: a here-document's body or a
// here-string.
type Doc struct {
	Cmd  int    // index in Line.Cmds
	Text string // what the command reads
}

// Line is a command line split into simple commands at ; & && || | |& and
// new lines, and into words with quotes and backslashes removed. Words are
// substrings of the line where they can be.
type Line struct {
	Words []string // every command's words, quotes removed
	Raws  []string // the same words as written
	Cmds  []Cmd    // the simple commands, in order
	Docs  []Doc    // here-documents and here-strings
	Subs  []string // texts of $(…), `…`, <(…), (…) and ${…}, to be read as lines of their own
	Files []string // redirection targets (see Cmd.Redirect)
	Flags Flags    // syntax whose effect cannot be known before the line runs
	Err   string   // why the line cannot be read as a shell would read it
}

func (l *Line) reset() {
	*l = Line{Words: l.Words[:0], Raws: l.Raws[:0], Cmds: l.Cmds[:0], Docs: l.Docs[:0], Subs: l.Subs[:0], Files: l.Files[:0]}
}

// lexer holds the state of one lex.
type lexer struct {
	*Line
	s        string
	i        int
	pipeline int

	start  int // start of the current command's text, or -1
	first  int // index of its first word in Words
	glob   bool
	redir  bool
	word   []byte
	wstart int // start of the current word's text
	inWord bool
	plain  bool // the word so far is s[wstart:i]
	isGlob bool

	redirect byte // pending redirection: '>' to a file, '&' a duplication, '<' a here-string, 0 none
	pending  []heredoc
}

type heredoc struct {
	delim string
	dash  bool
	cmd   int
}

func (l *lexer) fail(flag Flags, msg string) {
	l.Flags |= flag
	if msg != "" && l.Err == "" {
		l.Err = msg
	}
}

// lex splits s into l.
func (x *lexer) lex(l *Line, s string) {
	l.reset()
	*x = lexer{Line: l, s: s, start: -1, word: x.word[:0], pending: x.pending[:0]}
	for x.i < len(s) {
		c := s[x.i]
		switch c {
		case ' ', '\t', '\r':
			if c == '\r' {
				x.Flags |= Odd
			}
			x.endWord()
			x.i++
		case '\n', ';':
			x.endWord()
			x.endCmd(true)
			x.i++
			if c == '\n' {
				x.readHeredocs()
			}
		case '&':
			x.endWord()
			if x.peek(1) == '>' { // &> and &>>
				x.mark()
				x.i += 2
				if x.peek(0) == '>' {
					x.i++
				}
				x.setRedirect('>')
				continue
			}
			x.endCmd(true)
			x.i++
			if x.peek(0) == '&' {
				x.i++
			}
		case '|':
			x.endWord()
			x.endCmd(x.peek(1) == '|')
			x.i++
			if n := x.peek(0); n == '|' || n == '&' {
				x.i++
			}
		case '<', '>':
			x.mark()
			if x.peek(1) == '(' { // process substitution
				x.Flags |= Expansion
				x.i++
				x.sub(')')
				continue
			}
			if x.inWord && x.plain && allDigits(s[x.wstart:x.i]) {
				x.inWord = false // a descriptor number, as in 2>&1
			} else {
				x.endWord()
			}
			x.redirection(c)
		case '(':
			x.Flags |= Expansion
			if x.inWord {
				x.add(1)
				continue
			}
			x.sub(')')
		case ')':
			x.fail(Broken, "unbalanced ')'")
			x.endWord()
			x.i++
		case '`':
			x.Flags |= Expansion
			x.toBuf()
			x.backquote()
		case '$':
			x.Flags |= Expansion
			x.dollar()
		case '\'':
			x.toBuf()
			j := strings.IndexByte(s[x.i+1:], '\'')
			if j < 0 {
				x.fail(Broken, "unterminated single quote")
				x.word = append(x.word, s[x.i+1:]...)
				x.i = len(s)
				continue
			}
			x.word = append(x.word, s[x.i+1:x.i+1+j]...)
			x.i += j + 2
		case '"':
			x.toBuf()
			x.i++
			x.doubleQuoted()
		case '\\':
			x.mark()
			x.Flags |= Backslash
			if x.i+1 >= len(s) {
				x.fail(Broken, "")
				x.i++
				continue
			}
			if s[x.i+1] == '\n' { // line continuation
				if x.inWord {
					x.toBuf()
				}
				x.i += 2
				continue
			}
			x.toBuf()
			_, n := utf8.DecodeRuneInString(s[x.i+1:])
			x.word = append(x.word, s[x.i+1:x.i+1+n]...)
			x.i += 1 + n
		case '#':
			if !x.inWord {
				x.Flags |= Comment
				for x.i < len(s) && s[x.i] != '\n' {
					x.i++
				}
				continue
			}
			x.add(1)
		case '!', '{', '}':
			switch {
			case c != '!':
				x.Flags |= Expansion
			case !x.inWord:
				x.Flags |= Comment
			}
			x.add(1)
		case '*', '?', '[':
			x.isGlob = true
			x.add(1)
		default:
			n := 1
			if c < 0x20 || c == 0x7f {
				x.Flags |= Odd
			} else if c >= utf8.RuneSelf {
				var r rune
				if r, n = utf8.DecodeRuneInString(s[x.i:]); unicode.IsSpace(r) || r == utf8.RuneError {
					x.Flags |= Odd // a space a shell would not split at
				}
			}
			x.add(n)
		}
	}
	x.endWord()
	x.endCmd(true)
	if len(x.pending) > 0 {
		x.fail(Broken, "here-document without its end line")
	}
}

func (x *lexer) peek(n int) byte {
	if x.i+n < len(x.s) {
		return x.s[x.i+n]
	}
	return 0
}

// mark notes where the current command's text starts.
func (x *lexer) mark() {
	if x.start < 0 {
		x.start = x.i
	}
}

// add adds the next n bytes of the line, unquoted, to the current word.
func (x *lexer) add(n int) {
	x.mark()
	if !x.inWord {
		x.inWord, x.plain, x.wstart = true, true, x.i
		x.word = x.word[:0]
	} else if !x.plain {
		x.word = append(x.word, x.s[x.i:x.i+n]...)
	}
	x.i += n
}

// toBuf makes the current word, starting one if needed, one that is
// built in the buffer, because part of it is quoted or escaped.
func (x *lexer) toBuf() {
	x.mark()
	switch {
	case !x.inWord:
		x.inWord, x.plain, x.wstart = true, false, x.i
		x.word = x.word[:0]
	case x.plain:
		x.word = append(x.word[:0], x.s[x.wstart:x.i]...)
		x.plain = false
	}
}

func (x *lexer) endWord() {
	if !x.inWord {
		return
	}
	x.inWord = false
	raw := x.s[x.wstart:x.i]
	w := raw
	if !x.plain {
		w = string(x.word)
	}
	glob := x.isGlob
	x.isGlob = false
	if op := x.redirect; op != 0 {
		x.redirect = 0
		switch {
		case op == '<':
			x.Docs = append(x.Docs, Doc{Cmd: len(x.Cmds), Text: w})
		case op == '&' && (allDigits(w) || w == "-"), w == "/dev/null":
			// harmless: descriptor duplication or the null device
		default:
			x.Files = append(x.Files, w)
			x.redir = true
		}
		return
	}
	x.glob = x.glob || glob
	x.Words = append(x.Words, w)
	x.Raws = append(x.Raws, raw)
}

// endCmd ends the current simple command; newPipeline is false after |.
func (x *lexer) endCmd(newPipeline bool) {
	if x.redirect != 0 {
		x.fail(Broken, "redirection without a target")
		x.redirect = 0
	}
	n := len(x.Cmds)
	hasDoc := len(x.Docs) > 0 && x.Docs[len(x.Docs)-1].Cmd == n || len(x.pending) > 0 && x.pending[len(x.pending)-1].cmd == n
	if len(x.Words) > x.first || hasDoc || x.redir {
		c := Cmd{Start: x.first, End: len(x.Words), Pipeline: x.pipeline, Glob: x.glob, Redirect: x.redir}
		if x.start >= 0 {
			c.Raw = strings.TrimSpace(x.s[x.start:min(x.i, len(x.s))])
		}
		c.Prog = c.Start
		for c.Prog < c.End && (isAssignment(x.Words[c.Prog]) || special[x.Words[c.Prog]]&keyword != 0) {
			c.Assign = c.Assign || isAssignment(x.Words[c.Prog])
			c.Prog++
		}
		x.Cmds = append(x.Cmds, c)
	}
	x.start, x.first, x.glob, x.redir = -1, len(x.Words), false, false
	if newPipeline {
		x.pipeline++
	}
}

func (x *lexer) setRedirect(op byte) {
	if x.redirect != 0 {
		x.fail(Broken, "redirection without a target")
	}
	x.redirect = op
}

// redirection reads a redirection operator at x.i.
func (x *lexer) redirection(c byte) {
	s := x.s
	x.i++
	if c == '<' && x.peek(0) == '<' {
		x.Flags |= Expansion
		x.i++
		if x.peek(0) == '<' { // here-string
			x.i++
			x.setRedirect('<')
			return
		}
		dash := x.peek(0) == '-'
		if dash {
			x.i++
		}
		for x.i < len(s) && (s[x.i] == ' ' || s[x.i] == '\t') {
			x.i++
		}
		// The delimiter word, quotes removed.
		var d []byte
		for x.i < len(s) && !strings.ContainsRune(" \t\n;&|<>()", rune(s[x.i])) {
			if s[x.i] != '\'' && s[x.i] != '"' && s[x.i] != '\\' {
				d = append(d, s[x.i])
			}
			x.i++
		}
		if len(d) == 0 {
			x.fail(Broken, "here-document without a delimiter")
			return
		}
		x.pending = append(x.pending, heredoc{string(d), dash, len(x.Cmds)})
		return
	}
	op := byte('>')
	switch x.peek(0) {
	case '>', '|':
		x.i++
	case '&':
		x.i++
		op = '&'
	}
	x.setRedirect(op)
}

// readHeredocs reads the bodies of pending here-documents, which start
// after the new line at x.i-1.
func (x *lexer) readHeredocs() {
	for _, h := range x.pending {
		var body strings.Builder
		found := false
		for x.i < len(x.s) {
			line := x.s[x.i:]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
				x.i += j + 1
			} else {
				x.i = len(x.s)
			}
			t := line
			if h.dash {
				t = strings.TrimLeft(t, "\t")
			}
			if t == h.delim {
				found = true
				break
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		if !found {
			x.fail(Broken, "here-document without its end line")
		}
		x.Docs = append(x.Docs, Doc{Cmd: h.cmd, Text: body.String()})
	}
	x.pending = x.pending[:0]
}

func closing(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ')'
}

// sub reads a bracketed text from x.i (at the opening bracket) to its
// matching close, adds it to Subs and to the current word.
func (x *lexer) sub(close byte) {
	s, open := x.s, x.s[x.i]
	start, depth, j := x.i+1, 1, x.i+1
	for j < len(s) && depth > 0 {
		switch c := s[j]; c {
		case '\\':
			j++
		case '\'':
			if k := strings.IndexByte(s[j+1:], '\''); k >= 0 {
				j += k + 1
			} else {
				j = len(s)
			}
		case '"':
			for j++; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
		case open:
			depth++
		case close:
			depth--
		}
		j++
	}
	j = min(j, len(s))
	if depth > 0 {
		x.fail(Broken, "unbalanced '"+string(open)+"'")
		x.Subs = append(x.Subs, s[start:])
	} else {
		x.Subs = append(x.Subs, s[start:j-1])
	}
	x.toBuf()
	x.word = append(x.word, s[x.i:j]...)
	x.i = j
}

func (x *lexer) backquote() {
	s := x.s
	j := x.i + 1
	var b []byte
	for j < len(s) && s[j] != '`' {
		if s[j] == '\\' && j+1 < len(s) {
			j++
		}
		b = append(b, s[j])
		j++
	}
	if j >= len(s) {
		x.fail(Broken, "unterminated backquote")
	}
	x.Subs = append(x.Subs, string(b))
	j = min(j+1, len(s))
	x.word = append(x.word, s[x.i:j]...)
	x.i = j
}

func (x *lexer) dollar() {
	switch x.peek(1) {
	case '(', '{':
		x.toBuf()
		x.word = append(x.word, '$')
		x.i++
		x.sub(closing(x.s[x.i]))
	case '\'':
		x.toBuf()
		x.i += 2
		x.ansiC()
	default:
		x.add(1)
	}
}

// ansiC reads the rest of a $'…' string, decoding its escapes: \n and
// the like, \xHH and \OOO.
func (x *lexer) ansiC() {
	s := x.s
	for x.i < len(s) && s[x.i] != '\'' {
		c, e := s[x.i], byte(0)
		if x.i++; c == '\\' && x.i < len(s) {
			e = s[x.i]
			x.i++
		}
		n, base, most := 0, 16, 2
		switch i := strings.IndexByte(`ntrabeEfv`, e); {
		case e == 0:
			x.word = append(x.word, c)
			continue
		case i >= 0:
			x.word = append(x.word, "\n\t\r\a\b\x1b\x1b\f\v"[i])
			continue
		case '0' <= e && e <= '7':
			n, base = int(e-'0'), 8
		case e != 'x':
			x.word = append(x.word, e)
			continue
		}
		for k := 0; k < most && x.i < len(s) && strings.IndexByte("0123456789abcdef"[:base], s[x.i]|0x20) >= 0; k++ {
			n = n*base + strings.IndexByte("0123456789abcdef", s[x.i]|0x20)
			x.i++
		}
		x.word = append(x.word, byte(n))
	}
	if x.i < len(s) {
		x.i++ // the closing quote
		return
	}
	x.fail(Broken, "unterminated $'...' string")
}

// doubleQuoted reads the rest of a double-quoted string.
func (x *lexer) doubleQuoted() {
	s := x.s
	for x.i < len(s) {
		c := s[x.i]
		switch c {
		case '"':
			x.i++
			return
		case '\\':
			x.Flags |= Backslash
			if x.i+1 < len(s) {
				switch n := s[x.i+1]; n {
				case '\n':
					x.i += 2
					continue
				case '$', '`', '"', '\\':
					x.word = append(x.word, n)
					x.i += 2
					continue
				}
			}
		case '`':
			x.Flags |= Expansion
			x.backquote()
			continue
		case '$':
			x.Flags |= Expansion
			if n := x.peek(1); n == '(' || n == '{' {
				x.word = append(x.word, '$')
				x.i++
				x.sub(closing(n))
				continue
			}
		}
		x.word = append(x.word, c)
		x.i++
	}
	x.fail(Broken, "unterminated double quote")
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

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
