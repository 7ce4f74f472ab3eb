package policy

import "strings"

// runners are programs that run a command line passed to them as an
// argument (sh -c, ssh host cmd, eval, sudo, xargs, interpreters with -c
// or -e). Their presence makes the evaluator read the line a second,
// cruder way (flatSegments) to find blocked commands inside strings.
var runners = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`sh bash zsh dash ksh ash mksh yash fish csh tcsh rc
		busybox toybox pwsh powershell cmd wsl eval exec command builtin env sudo doas su
		runuser pkexec ssh xargs nohup timeout nice ionice stdbuf setsid chroot nsenter
		unshare watch time strace ltrace script parallel find perl python python2 python3
		ruby node nodejs deno bun php lua awk gawk mawk nawk sed tclsh expect`) {
		runners[n] = true
	}
}

// evalCommand decides a command line. hint names a branch for git
// pushes (from a git_operation target). The rules, in order:
//
//  1. Any simple command, at any word (so that sudo, env, timeout and
//     the like cannot hide it), matching a blocked pattern blocks; so
//     does a git push to a protected branch, and any argument or
//     redirection target that names a path blocked for reading or
//     writing. If the line has opaque syntax or runs another command
//     line (sh -c, ssh, eval, ...), the same checks run over a crude
//     reading of the whole line, so that blocked commands inside
//     strings are found too. So does a backslash, which may be part of
//     a Windows path rather than an escape.
//  2. Otherwise an approval pattern, a force push or a push whose
//     branch cannot be told asks for approval.
//  3. Otherwise opaque syntax, an unsafe redirection, an unquoted glob
//     or a leading assignment asks for approval.
//  4. Otherwise the line is allowed if every simple command matches an
//     allowed pattern from its first word, which must be spelled as in
//     the pattern; else it needs approval.
func (p *Policy) evalCommand(line, hint string) Result {
	f := &p.fixed
	if strings.TrimSpace(line) == "" {
		return f.noTarget
	}
	var (
		c        cmdline
		fb       [maxWords]string
		approval *Result
		runner   bool
	)
	c.lex(line)
	for i := range c.ns {
		words := c.seg(i)
		fw := foldWords(words, fb[:0])
		for j := range fw {
			prog := progName(fw[j])
			pi := p.progs[prog]
			if r := p.cmdBlock.matchIndexed(pi.block, prog, fw[j+1:]); r >= 0 {
				return p.cmdBlock.rules[r].res
			}
			if approval == nil {
				if r := p.cmdApprove.matchIndexed(pi.approve, prog, fw[j+1:]); r >= 0 {
					approval = &p.cmdApprove.rules[r].res
				}
			}
			if pi.git {
				if res := p.gitPush(fw[j+1:], hint); res != nil {
					if res.Verdict == Block {
						return *res
					}
					if approval == nil {
						approval = res
					}
				}
			}
			runner = runner || pi.runner
			if j > 0 {
				if r := p.argPath(words[j]); r >= 0 {
					return p.argBlock.rules[r].res
				}
			}
		}
	}
	for _, w := range c.paths[:c.np] {
		if r := p.argPath(w); r >= 0 {
			return p.argBlock.rules[r].res
		}
	}
	if c.opaque || runner || c.bslash {
		if res := p.flatScan(line, hint); res != nil {
			return *res
		}
	}
	if approval != nil {
		return *approval
	}
	if c.opaque {
		return f.cmdOpaque
	}
	var allow *Result
	for i := range c.ns {
		words := c.seg(i)
		if c.flags[i]&segUnsafe != 0 || len(words) == 0 {
			return f.cmdOpaque
		}
		r := p.cmdAllow.match(words[0], words[1:])
		if r < 0 {
			return f.cmdUnlisted
		}
		if allow == nil {
			allow = &p.cmdAllow.rules[r].res
		}
	}
	if allow == nil {
		return f.cmdUnlisted
	}
	return *allow
}

// flatScan looks for blocked commands, protected pushes and blocked
// paths in a crude reading of line (see flatSegments).
func (p *Policy) flatScan(line, hint string) *Result {
	if r := p.flatScan1(line, hint, false); r != nil {
		return r
	}
	if strings.IndexByte(line, '\\') >= 0 {
		return p.flatScan1(line, hint, true)
	}
	return nil
}

func (p *Policy) flatScan1(line, hint string, winPaths bool) *Result {
	for _, seg := range flatSegments(line, winPaths) {
		fw := foldWords(seg, nil)
		for j := range fw {
			prog := progName(fw[j])
			if r := p.cmdBlock.match(prog, fw[j+1:]); r >= 0 {
				return &p.cmdBlock.rules[r].res
			}
			if prog == "git" {
				if res := p.gitPush(fw[j+1:], hint); res != nil && res.Verdict == Block {
					return res
				}
			}
			if j == 0 {
				continue // the program itself is not a path being read or written
			}
			if r := p.argPath(seg[j]); r >= 0 {
				return &p.argBlock.rules[r].res
			}
		}
	}
	return nil
}

// argPath returns the first blocked read or write rule matching an
// argument read as a path, or -1. For -x=value and name=value it checks
// the value, and for host:path it checks the path too. Other arguments
// starting with - are not paths.
func (p *Policy) argPath(w string) int {
	if len(p.argBlock.ents) == 0 || w == "" {
		return -1
	}
	if w[0] == '-' {
		i := strings.IndexByte(w, '=')
		if i < 0 {
			return -1
		}
		w = w[i+1:]
	}
	if r := p.pathBlocked(w); r >= 0 {
		return r
	}
	if i := strings.IndexByte(w, '='); i >= 0 {
		if r := p.pathBlocked(w[i+1:]); r >= 0 {
			return r
		}
	}
	if i := strings.IndexByte(w, ':'); i >= 0 {
		return p.pathBlocked(w[i+1:])
	}
	return -1
}

func (p *Policy) pathBlocked(w string) int {
	if w == "" {
		return -1
	}
	var f pathForms
	f.init(w)
	return p.argBlock.matchAny(&f)
}

// gitPush inspects the arguments after "git" (folded). If they are a
// push that must be blocked or approved it returns the result, else nil.
func (p *Policy) gitPush(args []string, hint string) *Result {
	j := 0
	for j < len(args) && strings.HasPrefix(args[j], "-") {
		switch args[j] {
		case "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix":
			j += 2 // global options with a separate value (-c and -C fold alike)
		default:
			j++
		}
	}
	if j >= len(args) || args[j] != "push" {
		return nil
	}
	var (
		force, all, unknown bool
		pos                 int
		db                  [8]string
		dsts                = db[:0]
		opts                = true
	)
	for k := j + 1; k < len(args); k++ {
		a := args[k]
		if opts && len(a) > 1 && a[0] == '-' {
			switch {
			case a == "--":
				opts = false
			case a == "--force", a == "--force-if-includes", strings.HasPrefix(a, "--force-with-lease"):
				force = true
			case a == "--mirror":
				force, all = true, true
			case a == "--all", a == "--branches":
				all = true
			case a == "--repo", a == "--push-option", a == "-o":
				k++
			case a == "--receive-pack", a == "--exec":
				k++
				unknown = true
			case strings.HasPrefix(a, "--receive-pack="), strings.HasPrefix(a, "--exec="):
				unknown = true
			case !strings.HasPrefix(a, "--") && strings.IndexByte(a, 'f') > 0:
				force = true // -f, possibly bundled (-uf)
			}
			continue
		}
		pos++
		if pos == 1 {
			continue // the remote
		}
		r := a
		if strings.HasPrefix(r, "+") {
			force = true
			r = r[1:]
		}
		if r == ":" || strings.ContainsAny(r, "*") {
			all = true
			continue
		}
		if i := strings.LastIndexByte(r, ':'); i >= 0 {
			r = r[i+1:]
		}
		br, ok := branchOf(r)
		if !ok {
			unknown = true
		} else if br != "" && len(dsts) < cap(db) {
			dsts = append(dsts, br)
		} else if br != "" {
			unknown = true
		}
	}
	for h := range strings.FieldsSeq(foldString(hint)) {
		br, ok := branchOf(h)
		if !ok {
			unknown = true
			continue
		}
		if br != "" && len(dsts)+2 <= cap(db) {
			dsts = append(dsts, br)
			if i := strings.IndexByte(br, '/'); i > 0 {
				dsts = append(dsts, br[i+1:]) // origin/main names main
			}
		}
	}
	if pos < 2 && strings.TrimSpace(hint) == "" && !all {
		unknown = true // no refspec: the branch depends on the checkout
	}
	var sb [8]string
	for _, d := range dsts {
		if i := p.protected.match(splitSegs(d, sb[:0])); i >= 0 {
			return &p.protected[i].res
		}
	}
	switch {
	case all && len(p.protected) > 0:
		return &p.fixed.pushAll
	case force:
		return &p.fixed.forcePush
	case unknown:
		return &p.fixed.unknownRef
	}
	return nil
}

// branchOf returns the branch a folded push destination names, "" for a
// ref that is not a branch (tags, notes), and false if it cannot tell.
func branchOf(r string) (string, bool) {
	switch {
	case strings.HasPrefix(r, "refs/heads/"):
		r = r[len("refs/heads/"):]
	case strings.HasPrefix(r, "refs/"):
		return "", true
	}
	if r == "" || r == "head" || r[0] == '-' || r[0] == '/' || r[len(r)-1] == '/' ||
		strings.ContainsAny(r, "~^:@*?[\\ \t") || strings.Contains(r, "..") {
		return "", false
	}
	return r, true
}

// progName reduces a folded program word to its name: the last path
// element without a Windows executable extension.
func progName(w string) string {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] == '/' || w[i] == '\\' {
			w = w[i+1:]
			break
		}
	}
	if n := len(w); n > 4 && w[n-4] == '.' {
		switch w[n-3:] {
		case "exe", "com", "bat", "cmd":
			return w[:n-4]
		}
	}
	return w
}

// progInfo is what the evaluator needs to know about a program name,
// found with one map lookup per word.
type progInfo struct {
	block, approve []int32 // entries in cmdBlock and cmdApprove whose first word is the name
	runner, git    bool
}

// indexProgs builds p.progs from the command sets and the runner list.
func (p *Policy) indexProgs() {
	p.progs = make(map[string]progInfo)
	for n, ids := range p.cmdBlock.byFirst {
		pi := p.progs[n]
		pi.block = ids
		p.progs[n] = pi
	}
	for n, ids := range p.cmdApprove.byFirst {
		pi := p.progs[n]
		pi.approve = ids
		p.progs[n] = pi
	}
	for n := range runners {
		pi := p.progs[n]
		pi.runner = true
		p.progs[n] = pi
	}
	pi := p.progs["git"]
	pi.git = true
	p.progs["git"] = pi
}

func foldWords(ws, out []string) []string {
	for _, w := range ws {
		out = append(out, foldString(w))
	}
	return out
}
