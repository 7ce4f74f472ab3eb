package shell

import (
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Via says how a command was reached from the line, for reasons.
type Via uint16

// Ways a command is reached.
const (
	Chain Via = 1 << iota
	Pipe
	Subst
	Wrapper
	HereDoc
	PipedShell
	Assign
	Path
	Normal
	Windows
	Crude
)

var viaNames = [...]string{"a command chain", "a pipeline", "a command substitution or subshell",
	"a wrapper or shell string", "a here-document fed to a shell", "text piped into a shell",
	"a variable assignment", "a program path", "normalised quoting and white space",
	"backslashes read as Windows path separators", "the line read with its quoting and expansions ignored"}

// Command is one command a line would run, as reached.
type Command struct {
	Words   []string // quotes removed; nil for a pipeline view
	Prog    int      // index of the program word in Words (after assignments and keywords)
	Raw     string   // the text as written
	Norm    string   // the program's base name and arguments, joined by single spaces
	Via     Via      // how it was reached
	Wrapper string   // the first wrapper or shell it was found in
	// Exact is set when the line is allowed only if this command is:
	// the command is what the shell runs, not a speculative reading
	// (what follows a wrapper, the Windows or the crude reading).
	Exact bool
	// View marks a pipeline from one command on (Norm "a | b | c"),
	// for patterns that span a pipe.
	View bool
	// Unsafe: it has an unquoted glob, leading assignments, or a
	// redirection to or from a file.
	Unsafe bool
}

// Args returns the program's arguments.
func (c *Command) Args() []string { return c.Words[min(c.Prog+1, len(c.Words)):] }

// How describes how the command was reached: "a wrapper or shell string
// (sudo): \"terraform apply\"".
func (c *Command) How() string {
	var b strings.Builder
	for i, n := range viaNames {
		if c.Via&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		if Via(1<<i) == Wrapper && c.Wrapper != "" {
			b.WriteString(" (" + c.Wrapper + ")")
		}
	}
	if b.Len() == 0 {
		b.WriteString("the command as written")
	}
	return b.String() + ": " + strconv.Quote(c.Norm)
}

// Reading is every command a line would run. It is valid until Release.
type Reading struct {
	Commands []Command // nearest readings first (see Read)
	Files    []string  // redirection targets of the exact readings
	Flags    Flags     // of the exact readings
	Why      string    // set when the line cannot be read as a shell would read it, or is too much to read

	r *reader
}

// Opaque reports whether the line's effect depends on more than its
// words (see Flags), or it could not be read.
func (r *Reading) Opaque() bool { return r.Flags&Opaque != 0 || r.Why != "" }

// Release returns the reading's memory for reuse.
func (r *Reading) Release() {
	if r.r != nil {
		pool.Put(r.r)
	}
}

// Limits on the work one line may cause. A line that exceeds them can
// still be blocked but is never allowed.
const (
	maxNesting     = 8
	maxReadings    = 256
	maxSuffixes    = 64  // words after a wrapper tried as its command
	maxSuffixWords = 256 // words of such a command read
	maxPipeViews   = 32  // commands of a pipeline read with what follows them
)

type reader struct {
	Reading
	lx     lexer
	line   Line
	words  []string // words of every reading, Commands' Words point into it
	queue  []job
	seen   map[string]bool
	budget int
	buf    []byte
}

type job struct {
	line    string
	depth   int
	via     Via
	wrapper string
}

var pool = sync.Pool{New: func() any { return new(reader) }}

// speculative readings only find commands to block; their commands are
// not ones that must be allowed.
const speculative = Wrapper | Windows | Crude

// Read reads line and everything it leads to, nearest readings first:
// the line, then (breadth first, each text once) the lines it leads to,
// then the crude reading.
func Read(line string) *Reading {
	r := pool.Get().(*reader)
	r.Reading = Reading{Commands: r.Commands[:0], Files: r.Files[:0], r: r}
	r.words, r.queue, r.buf = r.words[:0], r.queue[:0], r.buf[:0]
	clear(r.seen)
	if ok, glob := plain(line); ok {
		for w := range strings.SplitSeq(line, " ") {
			r.words = append(r.words, w)
		}
		r.Commands = append(r.Commands, Command{Words: r.words, Raw: line, Norm: line, Exact: true, Unsafe: glob})
		return &r.Reading
	}
	r.budget = 4*len(line) + 64<<10
	r.push(line, 0, 0, "")
	if strings.IndexByte(line, '\\') >= 0 {
		r.push(strings.ReplaceAll(line, `\`, "/"), 1, Windows, "")
	}
	crude := false
	for k := 0; k < len(r.queue); k++ {
		crude = r.one(r.queue[k]) || crude
	}
	if crude {
		r.crude(line, Crude)
		if strings.IndexByte(line, '\\') >= 0 {
			r.crude(line, Crude|Windows)
		}
	}
	return &r.Reading
}

func (r *reader) fail(why string) {
	if r.Why == "" {
		r.Why = why
	}
}

func (r *reader) push(line string, depth int, via Via, wrapper string) {
	key := line
	if via&speculative != 0 {
		key = "\x00" + line
	}
	if len(r.queue) > 0 { // the first line needs no check
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		if len(r.seen) == 0 {
			r.seen[r.queue[0].line] = true
		}
		if r.seen[key] {
			return
		}
		if depth > maxNesting || len(r.queue) >= maxReadings || r.budget < len(line) {
			r.fail("too deeply nested")
			return
		}
		r.seen[key] = true
	}
	r.budget -= len(line)
	r.queue = append(r.queue, job{line, depth, via, wrapper})
}

// one reads one line of the queue and reports whether the whole line
// should also be read crudely: it has opaque syntax, a backslash, or runs
// a program that runs other command lines.
func (r *reader) one(j job) bool {
	l := &r.line
	r.lx.lex(l, j.line)
	spec := j.via&speculative != 0
	crude := j.depth == 0 && l.Flags&(Opaque|Backslash) != 0
	if !spec {
		r.Flags |= l.Flags
		r.Files = append(r.Files, l.Files...)
		if l.Err != "" {
			r.fail(l.Err)
		}
	}
	start := len(r.words)
	r.words = append(r.words, l.Words...)
	words := r.words[start:len(r.words):len(r.words)]
	for pi := 0; pi < len(l.Cmds); {
		pj := pi
		for pj+1 < len(l.Cmds) && l.Cmds[pj+1].Pipeline == l.Cmds[pi].Pipeline {
			pj++
		}
		via := j.via
		if pj-pi+1 < len(l.Cmds) {
			via |= Chain
		}
		if pj > pi {
			via |= Pipe
		}
		first := len(r.Commands)
		for k := pi; k <= pj; k++ {
			lc := &l.Cmds[k]
			prog, kind := r.command(words, lc, via, j, spec)
			crude = crude || kind&runner != 0
			if kind&shell == 0 || hasScript(words[lc.Prog:lc.End]) {
				continue
			}
			for _, d := range l.Docs {
				if d.Cmd == k {
					r.push(d.Text, j.depth+1, via|HereDoc, prog)
				}
			}
			if k > pi {
				if p := &l.Cmds[k-1]; p.End-p.Prog > 1 {
					switch Base(words[p.Prog]) {
					case "echo", "printf", "cat":
						r.push(strings.Join(words[p.Prog+1:p.End], " "), j.depth+1, via|PipedShell, prog)
					}
				}
			}
		}
		r.pipeViews(words, l.Cmds[pi:pj+1], first, via, j.wrapper)
		pi = pj + 1
	}
	for _, s := range l.Subs {
		r.push(s, j.depth+1, j.via|Subst, j.wrapper)
	}
	return crude
}

// command adds one simple command and what follows it when its program
// runs a command line (sudo, env, sh, ssh, …), and returns the program's
// base name and what it is (see special).
func (r *reader) command(words []string, lc *Cmd, via Via, j job, spec bool) (string, uint8) {
	c := Command{Words: words[lc.Start:lc.End:lc.End], Prog: lc.Prog - lc.Start, Raw: lc.Raw, Via: via, Wrapper: j.wrapper,
		Exact: !spec, Unsafe: lc.Assign || lc.Glob || lc.Redirect}
	if lc.Assign {
		c.Via |= Assign
	}
	w := words[lc.Prog:lc.End]
	if len(w) == 0 {
		r.Commands = append(r.Commands, c)
		return "", 0
	}
	prog := Base(w[0])
	if prog != w[0] {
		c.Via |= Path
	}
	c.Norm = r.join(prog, w[1:], lc.Raw)
	if c.Norm != lc.Raw && c.Via&(Assign|Path) == 0 {
		c.Via |= Normal
	}
	r.Commands = append(r.Commands, c)
	kind := special[prog]
	if kind&runner != 0 {
		wrapper := j.wrapper
		if wrapper == "" {
			wrapper = prog
		}
		for k := 1; k < len(w); k++ {
			if k > maxSuffixes {
				r.fail("too many words after " + prog)
				break
			}
			end := len(w)
			if end-k > maxSuffixWords {
				end = k + maxSuffixWords
				r.fail("command too long to read")
			}
			r.push(strings.Join(w[k:end], " "), j.depth+1, via|Wrapper, wrapper)
		}
	}
	return prog, kind
}

// join returns prog and args joined by single spaces, without allocating
// when that is same.
func (r *reader) join(prog string, args []string, same string) string {
	b := append(r.buf[:0], prog...)
	for _, a := range args {
		b = append(append(b, ' '), a...)
	}
	r.buf = b
	if string(b) == same {
		return same
	}
	return string(b)
}

// pipeViews adds each command of a pipeline with what follows it, and
// that pipeline behind a wrapper that starts it.
func (r *reader) pipeViews(words []string, pipe []Cmd, first int, via Via, wrapper string) {
	if len(pipe) > maxPipeViews {
		r.fail("pipeline too long")
	}
	for k := 0; k+1 < len(pipe) && k < maxPipeViews; k++ {
		var rest strings.Builder
		for _, c := range r.Commands[first+k+1 : first+len(pipe)] {
			rest.WriteString(" | " + c.Norm)
		}
		r.Commands = append(r.Commands, Command{Norm: r.Commands[first+k].Norm + rest.String(), Via: via, Wrapper: wrapper, View: true})
		w := words[pipe[k].Prog:pipe[k].End]
		if len(w) > 1 && special[Base(w[0])]&runner != 0 {
			for j := 1; j < len(w) && j <= maxPipeViews; j++ {
				r.Commands = append(r.Commands, Command{Norm: strings.Join(w[j:], " ") + rest.String(),
					Via: via | Wrapper, Wrapper: Base(w[0]), View: true})
			}
		}
	}
}

// crude adds a deliberately crude reading of the line, to find commands
// hidden in strings another program will run (sh -c "…", ssh host "…",
// python -c "…") or in syntax the lexer does not follow: quote characters
// are deleted, backslashes too or, with Windows, read as path separators,
// white space and $ < > { } separate words, and ; & | ( ) ` and new lines
// separate commands.
func (r *reader) crude(line string, via Via) {
	start := len(r.words)
	var w []byte
	endWord := func() {
		if len(w) > 0 {
			r.words = append(r.words, string(w))
			w = w[:0]
		}
	}
	endCmd := func() {
		endWord()
		if len(r.words) > start {
			c := Command{Words: r.words[start:len(r.words):len(r.words)], Via: via}
			for c.Prog < len(c.Words) && (isAssignment(c.Words[c.Prog]) || special[c.Words[c.Prog]]&keyword != 0) {
				c.Prog++
			}
			if c.Prog < len(c.Words) {
				c.Norm = r.join(Base(c.Words[c.Prog]), c.Words[c.Prog+1:], "")
			}
			r.Commands = append(r.Commands, c)
			start = len(r.words)
		}
	}
	for _, c := range line {
		switch {
		case c == '\'' || c == '"':
		case c == '\\':
			if via&Windows != 0 {
				w = append(w, '/')
			}
		case strings.ContainsRune(";&|()`\n", c):
			endCmd()
		case unicode.IsSpace(c) || strings.ContainsRune("$<>{}", c):
			endWord()
		default:
			w = append(w, string(c)...)
		}
	}
	endCmd()
}

// Plain reports whether a shell would run line as the one command it
// reads as, with nothing further to read: words of plain characters
// separated by single spaces, a first word that is a bare program name,
// not a wrapper, shell or keyword, and no git push.
func Plain(line string) bool {
	ok, _ := plain(line)
	return ok && !(strings.HasPrefix(line, "git ") && strings.Contains(line, " push"))
}

// plain is Plain without the test for a push (a push is read as a plain
// command is), and reports whether the line has a * or ?.
func plain(line string) (ok, glob bool) {
	first := true
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '+':
		case c == ' ':
			if i == 0 || i+1 == len(line) || line[i+1] == ' ' {
				return false, false
			}
			if first && special[line[:i]] != 0 {
				return false, false
			}
			first = false
		case first:
			return false, false
		case c == '*' || c == '?':
			glob = true
		case c == '/' || c == ':' || c == '=' || c == ',' || c == '@' || c == '%' || c == '~' || c == '^':
		default:
			return false, false
		}
	}
	return line != "" && (!first || special[line] == 0), glob
}

// Base reduces a program word to its name: the last path element, without
// a Windows executable extension.
func Base(w string) string {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] == '/' || w[i] == '\\' {
			if i+1 < len(w) {
				w = w[i+1:]
			}
			break
		}
	}
	if n := len(w); n > 4 && w[n-4] == '.' {
		switch strings.ToLower(w[n-3:]) {
		case "exe", "com", "bat", "cmd":
			return w[:n-4]
		}
	}
	return w
}

// hasScript reports whether a shell's words name a script or a -c string,
// so that it does not read commands from its input.
func hasScript(w []string) bool {
	for _, x := range w[1:] {
		if !strings.HasPrefix(x, "-") || strings.Contains(x, "c") && !strings.HasPrefix(x, "--") {
			return true
		}
	}
	return false
}

// special says what programs and words a reading looks at are: runners
// run a command line given to them (sh -c, ssh host cmd, eval, sudo,
// xargs, interpreters with -c or -e), shells also read commands from
// their input, and keywords may stand before a command.
var special = map[string]uint8{}

const (
	runner = 1 << iota
	shell
	keyword
)

func init() {
	for kind, words := range map[uint8]string{
		runner:  `sh bash zsh dash ksh ash mksh yash fish csh tcsh rc busybox toybox pwsh powershell cmd wsl eval exec command builtin env sudo doas su runuser pkexec ssh xargs nohup timeout nice ionice stdbuf setsid chroot nsenter unshare watch time strace ltrace script parallel find perl python python2 python3 ruby node nodejs deno bun php lua awk gawk mawk nawk sed tclsh expect`,
		shell:   `sh bash zsh dash ksh ash mksh yash fish csh tcsh busybox`,
		keyword: `if then else elif do while until ! { } ( time coproc fi done`,
	} {
		for _, w := range strings.Fields(words) {
			special[w] |= kind
		}
	}
}
