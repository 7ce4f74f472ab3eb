package policy

import (
	"strings"

	"github.com/cavra/cavra/runtime/policy/internal/shell"
)

// evalCommand decides a command line under a native pack. hint names a
// branch for git pushes (from a git_operation target). Every command the
// line would run (see shell.Read) is judged; the rules, in order:
//
//  1. A command matching a blocked pattern at any of its words (so that
//     a wrapper cannot hide it), a git push to a protected branch, or an
//     argument or redirection naming a path blocked for reading or
//     writing, blocks.
//  2. Otherwise an approval pattern, a force push or a push whose branch
//     cannot be told, in a command the shell runs, asks for approval.
//  3. Otherwise opaque syntax, an unsafe redirection, an unquoted glob or
//     a leading assignment asks for approval (command.opaque).
//  4. Otherwise the line is allowed if every command it runs matches an
//     allowed pattern from its first word, spelled as in the pattern;
//     else it needs approval (command.unlisted).
func (p *Policy) evalCommand(line, hint string) Result {
	f := &p.fixed
	if strings.TrimSpace(line) == "" {
		return f.noTarget
	}
	rd := shell.Read(line)
	defer rd.Release()
	var (
		fb       [32]string
		approval *Result
	)
	for i := range rd.Commands {
		c := &rd.Commands[i]
		if c.View {
			continue
		}
		fw := foldWords(c.Words, fb[:0])
		for j := range fw {
			prog := shell.Base(fw[j])
			pi := p.progs[prog]
			if r := p.cmdBlock.matchIndexed(pi.block, prog, fw[j+1:]); r >= 0 {
				return p.cmdBlock.rules[r].res
			}
			if c.Exact && approval == nil {
				if r := p.cmdApprove.matchIndexed(pi.approve, prog, fw[j+1:]); r >= 0 {
					approval = &p.cmdApprove.rules[r].res
				}
			}
			if prog == "git" {
				if res := p.gitPush(fw[j+1:], hint); res != nil && res.Verdict == Block {
					return *res
				} else if res != nil && c.Exact && approval == nil {
					approval = res
				}
			}
			if j > 0 {
				if r := p.argPath(c.Words[j]); r >= 0 {
					return p.argBlock.rules[r].res
				}
			}
		}
	}
	for _, w := range rd.Files {
		if r := p.argPath(w); r >= 0 {
			return p.argBlock.rules[r].res
		}
	}
	switch {
	case approval != nil:
		return *approval
	case rd.Opaque():
		return f.cmdOpaque
	}
	var allow *Result
	for i := range rd.Commands {
		c := &rd.Commands[i]
		switch {
		case !c.Exact || c.View:
			continue
		case c.Unsafe || len(c.Words) == 0:
			return f.cmdOpaque
		}
		r := p.cmdAllow.match(c.Words[0], c.Words[1:])
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

// gitPush judges the (folded) words after "git". If they are a push that
// must be blocked or approved it returns the result, else nil.
func (p *Policy) gitPush(args []string, hint string) *Result {
	var buf [8]string
	push, ok := shell.ReadPush(args, buf[:0])
	if !ok {
		return nil
	}
	// With no refspec, the branch depends on the checkout.
	unknown := push.Unknown || len(push.Refs) == 0 && !push.All && strings.TrimSpace(hint) == ""
	refs := push.Refs
	for h := range strings.FieldsSeq(foldString(hint)) {
		refs = append(refs, h)
		if i := strings.IndexByte(h, '/'); i > 0 && !strings.HasPrefix(h, "refs/") {
			refs = append(refs, h[i+1:]) // origin/main names main
		}
	}
	for _, ref := range refs {
		var sb [8]string
		br, ok := shell.Branch(ref)
		if i := p.protected.match(splitSegs(br, sb[:0])); br != "" && i >= 0 {
			return &p.protected[i].res
		}
		unknown = unknown || !ok
	}
	switch {
	case push.All && len(p.protected) > 0:
		return &p.fixed.pushAll
	case push.Force:
		return &p.fixed.forcePush
	case unknown:
		return &p.fixed.unknownRef
	}
	return nil
}

// progInfo is what the evaluator needs to know about a program name,
// found with one map lookup per word.
type progInfo struct {
	block, approve []int32 // entries in cmdBlock and cmdApprove whose first word is the name
}

// indexProgs builds p.progs from the command sets.
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
}

func foldWords(ws, out []string) []string {
	for _, w := range ws {
		out = append(out, foldString(w))
	}
	return out
}
