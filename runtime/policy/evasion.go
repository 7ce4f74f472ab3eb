package policy

import (
	"strconv"
	"strings"
)

// evalCommand decides a command line under a CAVRA pack.
//
// First CAVRA's own rule runs on the whole trimmed line: the first
// matching block pattern blocks, else the first allow pattern allows,
// else the line needs approval. A block stands as it is. Otherwise the
// line is read the way a shell would run it (see analyze) and each
// command it would run, in every form it can take (without wrappers,
// assignments, program directories, quoting, extra white space), is
// matched against the block patterns and the protected-branch rule; a
// match blocks under that rule, with a reason that says how the command
// was reached. Finally, an allow stands only if every simple command
// the line runs matches an allow pattern.
func (c *Compiled) evalCommand(line string, res *Result) {
	cmd := strings.TrimSpace(line)
	res.ActionType, res.Target, res.Operation = ExecuteCommand, cmd, cmd
	if r := firstMatch(c.cmdBlock, cmd, false); r != nil {
		res.set(Block, RuleCommandBlock, cmdSeverity(cmd), "", r.reason)
		return
	}
	allow := firstMatch(c.cmdAllow, cmd, false)
	if plainCommand(cmd) {
		c.commandResult(allow, res)
		return
	}
	var a analysis
	a.run(cmd)
	for i := range a.views {
		v := &a.views[i]
		if r := firstMatch(c.cmdBlock, v.text, false); r != nil {
			sev := cmdSeverity(cmd)
			if sev != Critical {
				sev = cmdSeverity(v.text)
			}
			res.set(Block, RuleCommandBlock, sev, "", r.reason+" (reached through "+v.describe()+")")
			return
		}
	}
	for i := range a.views {
		if v := &a.views[i]; v.push != "" {
			res.set(Block, RuleGitProtected, High, "", reasonProtected+" (reached through "+v.describe()+")")
			return
		}
	}
	if allow == nil {
		c.commandResult(nil, res)
		return
	}
	if a.broken {
		res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners,
			reasonNoAllow+" (the command line could not be read as a shell would read it: "+a.why+")")
		return
	}
	for _, p := range a.parts {
		if firstMatch(c.cmdAllow, p.raw, false) == nil && firstMatch(c.cmdAllow, p.norm, false) == nil {
			res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners,
				reasonNoAllow+" (a line is allowed only if every command in it is, and "+strconv.Quote(p.raw)+" is not)")
			return
		}
	}
	c.commandResult(allow, res)
}

func (c *Compiled) commandResult(allow *starRule, res *Result) {
	if allow != nil {
		res.set(Allow, RuleCommandAllow, Low, "", allow.reason)
		return
	}
	res.set(RequireApproval, RuleCommandDefault, Medium, RepositoryOwners, reasonNoAllow)
}

// plainCommand reports whether a shell would run cmd as the one command
// it reads as: only words of plain characters separated by single
// spaces, a first word that is a bare program name and not a wrapper,
// and no git push. Its only reading is then the line itself.
func plainCommand(cmd string) bool {
	first := true
	start := 0
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '+':
		case c == ' ':
			if i+1 < len(cmd) && cmd[i+1] == ' ' {
				return false
			}
			if first {
				if runners[cmd[start:i]] || keywords[cmd[start:i]] || cmd[start:i] == "git" && strings.Contains(cmd[i:], "push") {
					return false
				}
				first = false
			}
		case first:
			return false
		case c == '/' || c == ':' || c == '=' || c == ',' || c == '@' || c == '%' || c == '*' || c == '?' || c == '~' || c == '^':
		default:
			return false
		}
	}
	return !first || !runners[cmd] && !keywords[cmd]
}

// keywords are shell reserved words that may precede a command.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true, "until": true,
	"!": true, "{": true, "}": true, "(": true, "time": true, "coproc": true, "fi": true, "done": true,
}

// How a command was reached, for reasons.
const (
	viaChain = 1 << iota
	viaPipe
	viaSubst
	viaWrapper
	viaHeredoc
	viaPipedShell
	viaAssign
	viaPath
	viaNormal
	viaWindows
)

var viaNames = [...]string{"a command chain", "a pipeline", "a command substitution or subshell",
	"a wrapper or shell string", "a here-document fed to a shell", "text piped into a shell",
	"a variable assignment", "a program path", "normalised quoting and white space",
	"backslashes read as Windows path separators"}

type view struct {
	text    string // the command as words joined by single spaces
	via     int
	wrapper string // the first wrapper or shell it was found in
	push    string // set when the command pushes to a protected branch
}

func (v *view) describe() string {
	var b strings.Builder
	for i, n := range viaNames {
		if v.via&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		if 1<<i == viaWrapper && v.wrapper != "" {
			b.WriteString(" (" + v.wrapper + ")")
		}
	}
	if b.Len() == 0 {
		b.WriteString("the command as written")
	}
	if v.push != "" {
		return b.String() + ": " + strconv.Quote(v.text) + " pushes to " + v.push
	}
	return b.String() + ": " + strconv.Quote(v.text)
}

type part struct{ raw, norm string }

// Limits on the work one command line may cause. A line that exceeds
// them can still be blocked but is never allowed.
const (
	maxNesting     = 8
	maxAnalyses    = 256
	maxSuffixes    = 64  // words after a wrapper tried as its command
	maxSuffixWords = 256 // words of such a command read
	maxPipeViews   = 32  // commands of a pipeline read with what follows them
)

// analysis collects the commands a line runs. Lines to read (the line,
// substitutions, here-documents, shell strings, what follows a wrapper)
// are read breadth first, each text once, so that the nearest readings
// are found first and a long run of wrappers costs one reading each.
type analysis struct {
	views  []view
	parts  []part
	queue  []job
	seen   map[string]bool
	budget int // bytes still to read
	broken bool
	why    string
}

type job struct {
	line    string
	depth   int
	via     int
	wrapper string
}

func (a *analysis) fail(why string) {
	if !a.broken {
		a.broken, a.why = true, why
	}
}

// speculative readings only find blocked commands; their commands are
// not parts that must be allowed.
const speculative = viaWrapper | viaWindows

// run reads line and everything it leads to.
func (a *analysis) run(line string) {
	a.budget = 4*len(line) + 64<<10
	a.push(line, 0, 0, "")
	if strings.IndexByte(line, '\\') >= 0 {
		// Backslashes may be Windows path separators rather than escapes.
		a.push(strings.ReplaceAll(line, `\`, "/"), 1, viaWindows, "")
	}
	for len(a.queue) > 0 {
		j := a.queue[0]
		a.queue = a.queue[1:]
		a.one(j.line, j.depth, j.via, j.wrapper)
	}
}

func (a *analysis) push(line string, depth, via int, wrapper string) {
	key := line
	if via&speculative != 0 {
		key = "\x00" + line
	}
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	if a.seen[key] {
		return
	}
	if depth > maxNesting || len(a.seen) >= maxAnalyses || a.budget < len(line) {
		a.fail("too deeply nested")
		return
	}
	a.budget -= len(line)
	a.seen[key] = true
	a.queue = append(a.queue, job{line, depth, via, wrapper})
}

// one reads one line. depth counts nested readings; via and wrapper say
// how the line was reached.
func (a *analysis) one(line string, depth, via int, wrapper string) {
	var l lexer
	l.lex(line)
	if l.err != "" && via&speculative == 0 {
		a.fail(l.err)
	}
	spec := via&speculative != 0
	for pi := 0; pi < len(l.cmds); {
		pj := pi
		for pj+1 < len(l.cmds) && l.cmds[pj+1].pipeline == l.cmds[pi].pipeline {
			pj++
		}
		pipe := l.cmds[pi : pj+1]
		cv := via
		if len(l.cmds) > len(pipe) {
			cv |= viaChain
		}
		if len(pipe) > 1 {
			cv |= viaPipe
		}
		norms := make([]string, len(pipe))
		for k := range pipe {
			sc := &pipe[k]
			norms[k] = a.command(sc.words, sc.raw, depth, cv, wrapper)
			if !spec && len(sc.words) > 0 {
				a.parts = append(a.parts, part{raw: sc.raw, norm: norms[k]})
			}
			prog := ""
			if w := stripPrefixes(sc.words); len(w) > 0 {
				prog = progBase(w[0])
			}
			if shells[prog] && !hasScript(sc.words) {
				for _, h := range sc.heredocs {
					a.push(h, depth+1, cv|viaHeredoc, prog)
				}
				if k > 0 {
					if w := stripPrefixes(pipe[k-1].words); len(w) > 1 {
						switch progBase(w[0]) {
						case "echo", "printf", "cat":
							a.push(strings.Join(w[1:], " "), depth+1, cv|viaPipedShell, prog)
						}
					}
				}
			}
		}
		if len(pipe) > maxPipeViews {
			a.fail("pipeline too long")
		}
		for k := 0; k+1 < len(pipe) && k < maxPipeViews; k++ {
			rest := " | " + strings.Join(norms[k+1:], " | ")
			a.views = append(a.views, view{text: norms[k] + rest, via: cv, wrapper: wrapper})
			// The pipeline as the command behind a wrapper starts it.
			w := stripPrefixes(pipe[k].words)
			if len(w) > 1 && runners[progBase(w[0])] {
				for j := 1; j < len(w) && j <= maxPipeViews; j++ {
					a.views = append(a.views, view{text: strings.Join(w[j:], " ") + rest, via: cv | viaWrapper, wrapper: progBase(w[0])})
				}
			}
		}
		pi = pj + 1
	}
	for _, s := range l.subs {
		a.push(s, depth+1, via|viaSubst, wrapper)
	}
}

// command adds the readings of one simple command and returns its
// normal form.
func (a *analysis) command(words []string, raw string, depth, via int, wrapper string) string {
	w := stripPrefixes(words)
	if len(w) < len(words) && hasAssignment(words) {
		via |= viaAssign
	}
	if len(w) == 0 {
		return ""
	}
	prog := progBase(w[0])
	if prog != w[0] {
		via |= viaPath
	}
	var b strings.Builder
	b.WriteString(prog)
	for _, x := range w[1:] {
		b.WriteByte(' ')
		b.WriteString(x)
	}
	norm := b.String()
	v := view{text: norm, via: via, wrapper: wrapper}
	if norm != raw && via&(viaAssign|viaPath) == 0 {
		v.via |= viaNormal
	}
	if prog == "git" {
		if dst, ok := gitPushProtected(w[1:]); ok {
			v.push = dst
		}
	}
	a.views = append(a.views, v)
	if runners[prog] {
		if wrapper == "" {
			wrapper = prog
		}
		for j := 1; j < len(w); j++ {
			if j > maxSuffixes {
				a.fail("too many words after " + prog)
				break
			}
			end := len(w)
			if end-j > maxSuffixWords {
				end = j + maxSuffixWords
				a.fail("command too long to read")
			}
			a.push(strings.Join(w[j:end], " "), depth+1, via|viaWrapper, wrapper)
		}
	}
	return norm
}

// stripPrefixes drops leading assignments and shell keywords.
func stripPrefixes(w []string) []string {
	for len(w) > 0 && (isAssignment(w[0]) || keywords[w[0]]) {
		w = w[1:]
	}
	return w
}

func hasAssignment(w []string) bool {
	for _, x := range w {
		if isAssignment(x) {
			return true
		}
		if !keywords[x] {
			return false
		}
	}
	return false
}

// progBase reduces a program word to its name: the last path element,
// without a Windows executable extension.
func progBase(w string) string {
	if i := strings.LastIndexAny(w, `/\`); i >= 0 && i+1 < len(w) {
		w = w[i+1:]
	}
	if n := len(w); n > 4 && w[n-4] == '.' {
		switch strings.ToLower(w[n-3:]) {
		case "exe", "com", "bat", "cmd":
			return w[:n-4]
		}
	}
	return w
}

// shells run commands read from their standard input.
var shells = map[string]bool{"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true,
	"ash": true, "mksh": true, "yash": true, "fish": true, "csh": true, "tcsh": true, "busybox": true}

// hasScript reports whether a shell command names a script or a -c
// string, so that it does not read commands from its input.
func hasScript(words []string) bool {
	w := stripPrefixes(words)
	for _, x := range w[1:] {
		if !strings.HasPrefix(x, "-") || strings.Contains(x, "c") && !strings.HasPrefix(x, "--") {
			return true
		}
	}
	return false
}

// gitPushProtected reads the arguments after git and reports whether
// they push to main or master.
func gitPushProtected(args []string) (string, bool) {
	j := 0
	for j < len(args) && strings.HasPrefix(args[j], "-") {
		switch args[j] {
		case "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix", "--exec-path":
			j += 2
		default:
			j++
		}
	}
	if j >= len(args) || args[j] != "push" {
		return "", false
	}
	return pushesProtected(args[j+1:])
}

// simple is one simple command found by the lexer.
type simple struct {
	words    []string // words with quoting removed, redirections left out
	raw      string   // the command's text, trimmed
	pipeline int
	heredocs []string // here-documents and here-strings it reads
}

// lexer splits a command line into simple commands the way a POSIX
// shell would, without expanding anything: at ; & && || | |& and
// newlines; words with quotes and backslashes removed. The texts of
// command substitutions, backquotes, process substitutions, subshells
// and ${...} expansions are collected in subs, to be read as lines of
// their own.
type lexer struct {
	s        string
	i        int
	cmds     []simple
	subs     []string
	pipeline int
	err      string

	cur      simple
	start    int // start of the current command's text
	word     strings.Builder
	inWord   bool
	redirect bool     // the next word is a redirection target
	hereStr  bool     // ... and a here-string
	pending  []string // here-document delimiters waiting for their bodies
	dash     []bool
	hdTarget []int // the command each pending here-document belongs to
}

func (l *lexer) fail(msg string) {
	if l.err == "" {
		l.err = msg
	}
}

func (l *lexer) lex(s string) {
	l.s = s
	l.start = -1
	for l.i < len(s) {
		c := s[l.i]
		switch c {
		case ' ', '\t', '\r':
			l.endWord()
			l.i++
		case '\n':
			l.endWord()
			l.endCmd(true)
			l.i++
			l.readHeredocs()
		case ';':
			l.endWord()
			l.endCmd(true)
			l.i++
		case '&':
			l.endWord()
			if l.peek(1) == '>' {
				l.i += 2
				if l.peek(0) == '>' {
					l.i++
				}
				l.redirect = true
				continue
			}
			l.endCmd(true)
			l.i++
			if l.peek(0) == '&' {
				l.i++
			}
		case '|':
			l.endWord()
			l.endCmd(l.peek(1) == '|')
			l.i++
			if n := l.peek(0); n == '|' || n == '&' {
				l.i++
			}
		case '<', '>':
			if l.peek(1) == '(' { // process substitution
				l.mark()
				l.i++
				l.sub(')', true)
				continue
			}
			if l.inWord && !allDigits(l.word.String()) {
				l.endWord()
			}
			l.inWord = false
			l.word.Reset()
			l.mark()
			l.redirection(c)
		case '(':
			l.mark()
			if l.inWord {
				l.word.WriteByte(c)
				l.i++
				continue
			}
			l.sub(')', true)
		case ')':
			l.fail("unbalanced ')'")
			l.endWord()
			l.i++
		case '`':
			l.mark()
			l.backquote()
		case '$':
			l.mark()
			l.dollar()
		case '\'':
			l.mark()
			l.inWord = true
			j := strings.IndexByte(s[l.i+1:], '\'')
			if j < 0 {
				l.fail("unterminated single quote")
				l.word.WriteString(s[l.i+1:])
				l.i = len(s)
				continue
			}
			l.word.WriteString(s[l.i+1 : l.i+1+j])
			l.i += j + 2
		case '"':
			l.mark()
			l.inWord = true
			l.i++
			l.doubleQuoted()
		case '\\':
			l.mark()
			if l.i+1 >= len(s) {
				l.i++
				continue
			}
			if s[l.i+1] == '\n' {
				l.i += 2
				continue
			}
			l.inWord = true
			l.word.WriteByte(s[l.i+1])
			l.i += 2
		case '#':
			if !l.inWord {
				for l.i < len(s) && s[l.i] != '\n' {
					l.i++
				}
				continue
			}
			l.word.WriteByte(c)
			l.i++
		default:
			l.mark()
			l.inWord = true
			l.word.WriteByte(c)
			l.i++
		}
	}
	l.endWord()
	l.endCmd(true)
	if len(l.pending) > 0 {
		l.fail("here-document without its end line")
	}
}

func (l *lexer) peek(n int) byte {
	if l.i+n < len(l.s) {
		return l.s[l.i+n]
	}
	return 0
}

// mark notes where the current command's text starts.
func (l *lexer) mark() {
	if l.start < 0 {
		l.start = l.i
	}
}

func (l *lexer) endWord() {
	if !l.inWord {
		return
	}
	l.inWord = false
	w := l.word.String()
	l.word.Reset()
	if l.redirect {
		l.redirect = false
		if l.hereStr {
			l.hereStr = false
			l.cur.heredocs = append(l.cur.heredocs, w)
		}
		return
	}
	l.cur.words = append(l.cur.words, w)
}

// endCmd ends the current simple command; newPipeline is false after |.
func (l *lexer) endCmd(newPipeline bool) {
	if l.redirect {
		l.fail("redirection without a target")
		l.redirect = false
	}
	if len(l.cur.words) > 0 || len(l.cur.heredocs) > 0 {
		end := l.i
		if end > len(l.s) {
			end = len(l.s)
		}
		if l.start >= 0 && l.start <= end {
			l.cur.raw = strings.TrimSpace(l.s[l.start:end])
		}
		l.cur.pipeline = l.pipeline
		l.cmds = append(l.cmds, l.cur)
	}
	l.cur = simple{}
	l.start = -1
	if newPipeline {
		l.pipeline++
	}
}

// redirection reads a redirection operator at l.i.
func (l *lexer) redirection(c byte) {
	s := l.s
	l.i++
	if c == '<' && l.peek(0) == '<' {
		l.i++
		if l.peek(0) == '<' { // here-string
			l.i++
			l.redirect, l.hereStr = true, true
			return
		}
		dash := false
		if l.peek(0) == '-' {
			l.i++
			dash = true
		}
		for l.i < len(s) && (s[l.i] == ' ' || s[l.i] == '\t') {
			l.i++
		}
		// The delimiter word, quotes removed.
		var d strings.Builder
		for l.i < len(s) && !strings.ContainsRune(" \t\n;&|<>()", rune(s[l.i])) {
			if s[l.i] != '\'' && s[l.i] != '"' && s[l.i] != '\\' {
				d.WriteByte(s[l.i])
			}
			l.i++
		}
		if d.Len() == 0 {
			l.fail("here-document without a delimiter")
			return
		}
		l.pending = append(l.pending, d.String())
		l.dash = append(l.dash, dash)
		l.hdTarget = append(l.hdTarget, len(l.cmds))
		return
	}
	switch l.peek(0) {
	case '>', '|', '&':
		l.i++
	}
	l.redirect = true
}

// readHeredocs reads the bodies of pending here-documents, which start
// after the newline at l.i-1.
func (l *lexer) readHeredocs() {
	for k, delim := range l.pending {
		var body strings.Builder
		found := false
		for l.i < len(l.s) {
			j := strings.IndexByte(l.s[l.i:], '\n')
			line := l.s[l.i:]
			if j >= 0 {
				line = l.s[l.i : l.i+j]
				l.i += j + 1
			} else {
				l.i = len(l.s)
			}
			t := line
			if l.dash[k] {
				t = strings.TrimLeft(t, "\t")
			}
			if t == delim {
				found = true
				break
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		if !found {
			l.fail("here-document without its end line")
		}
		if ci := l.hdTarget[k]; ci < len(l.cmds) {
			l.cmds[ci].heredocs = append(l.cmds[ci].heredocs, body.String())
		}
	}
	l.pending, l.dash, l.hdTarget = l.pending[:0], l.dash[:0], l.hdTarget[:0]
}

// sub reads a parenthesised text after l.i (which is at the opening
// parenthesis) up to its matching close, and adds it to subs. If word is
// set, the text also becomes part of the current word.
func (l *lexer) sub(close byte, word bool) {
	open := l.s[l.i]
	start := l.i + 1
	depth := 1
	j := start
	for j < len(l.s) && depth > 0 {
		switch c := l.s[j]; c {
		case '\\':
			j++
		case '\'':
			if k := strings.IndexByte(l.s[j+1:], '\''); k >= 0 {
				j += k + 1
			} else {
				j = len(l.s)
			}
		case '"':
			for j++; j < len(l.s) && l.s[j] != '"'; j++ {
				if l.s[j] == '\\' {
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
	if depth > 0 {
		l.fail("unbalanced '" + string(open) + "'")
		l.subs = append(l.subs, l.s[start:])
		l.i = len(l.s)
		return
	}
	l.subs = append(l.subs, l.s[start:j-1])
	if word {
		l.inWord = true
		l.word.WriteString(l.s[l.i:j])
	}
	l.i = j
}

func (l *lexer) backquote() {
	j := l.i + 1
	var b strings.Builder
	for j < len(l.s) && l.s[j] != '`' {
		if l.s[j] == '\\' && j+1 < len(l.s) {
			j++
		}
		b.WriteByte(l.s[j])
		j++
	}
	if j >= len(l.s) {
		l.fail("unterminated backquote")
	}
	l.subs = append(l.subs, b.String())
	l.inWord = true
	l.word.WriteString(l.s[l.i:min(j+1, len(l.s))])
	l.i = min(j+1, len(l.s))
}

func (l *lexer) dollar() {
	switch l.peek(1) {
	case '(':
		l.i++
		l.inWord = true
		l.word.WriteByte('$')
		l.sub(')', true)
	case '{':
		l.i++
		l.inWord = true
		l.word.WriteByte('$')
		l.sub('}', true)
	case '\'':
		l.i += 2
		l.inWord = true
		l.ansiC()
	default:
		l.inWord = true
		l.word.WriteByte('$')
		l.i++
	}
}

// ansiC reads the rest of a $'...' string, decoding its escapes.
func (l *lexer) ansiC() {
	s := l.s
	for l.i < len(s) {
		c := s[l.i]
		if c == '\'' {
			l.i++
			return
		}
		if c != '\\' || l.i+1 >= len(s) {
			l.word.WriteByte(c)
			l.i++
			continue
		}
		e := s[l.i+1]
		l.i += 2
		switch e {
		case 'n':
			l.word.WriteByte('\n')
		case 't':
			l.word.WriteByte('\t')
		case 'r':
			l.word.WriteByte('\r')
		case 'a':
			l.word.WriteByte(7)
		case 'b':
			l.word.WriteByte(8)
		case 'e', 'E':
			l.word.WriteByte(27)
		case 'f':
			l.word.WriteByte(12)
		case 'v':
			l.word.WriteByte(11)
		case 'x':
			n, k := 0, 0
			for ; k < 2 && l.i+k < len(s) && isHexDigit(s[l.i+k]); k++ {
				n = n*16 + hexVal(s[l.i+k])
			}
			l.i += k
			l.word.WriteByte(byte(n))
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n, k := int(e-'0'), 0
			for ; k < 2 && l.i+k < len(s) && '0' <= s[l.i+k] && s[l.i+k] <= '7'; k++ {
				n = n*8 + int(s[l.i+k]-'0')
			}
			l.i += k
			l.word.WriteByte(byte(n))
		default:
			l.word.WriteByte(e)
		}
	}
	l.fail("unterminated $'...' string")
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

func hexVal(c byte) int {
	if c <= '9' {
		return int(c - '0')
	}
	return int(c|0x20-'a') + 10
}

// doubleQuoted reads the rest of a double-quoted string.
func (l *lexer) doubleQuoted() {
	s := l.s
	for l.i < len(s) {
		c := s[l.i]
		switch c {
		case '"':
			l.i++
			return
		case '\\':
			if l.i+1 < len(s) {
				switch n := s[l.i+1]; n {
				case '\n':
					l.i += 2
					continue
				case '$', '`', '"', '\\':
					l.word.WriteByte(n)
					l.i += 2
					continue
				}
			}
			l.word.WriteByte(c)
			l.i++
		case '`':
			l.backquote()
		case '$':
			switch l.peek(1) {
			case '(':
				l.i++
				l.word.WriteByte('$')
				l.sub(')', true)
			case '{':
				l.i++
				l.word.WriteByte('$')
				l.sub('}', true)
			default:
				l.word.WriteByte(c)
				l.i++
			}
		default:
			l.word.WriteByte(c)
			l.i++
		}
	}
	l.fail("unterminated double quote")
}
