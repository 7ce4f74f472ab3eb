package shell

import "strings"

// Push is what one git push updates.
type Push struct {
	Refs []string // destinations as written: after a refspec's last ':', without its '+'
	// All is set when every branch may be updated: --all, --branches,
	// --mirror, a ":" refspec or a wildcard refspec. AllBy names it.
	All   bool
	AllBy string // the option or refspec that makes All
	// Force: --force, -f (also bundled, as in -uf), --force-with-lease,
	// --force-if-includes, --mirror or a +refspec.
	Force bool
	// Unknown: --receive-pack or --exec, which run a program of the
	// caller's choosing on the other side.
	Unknown bool
	// Remote is the first argument after the options ("" if none).
	Remote string
}

// ReadPush reads the words after "git": git's global options (-C dir, -c
// key=value, --git-dir dir, …), then push and its arguments. It reports
// false if they are not a push. The destinations are appended to refs,
// which may be a caller's buffer.
func ReadPush(args, refs []string) (Push, bool) {
	j := 0
	for j < len(args) && strings.HasPrefix(args[j], "-") {
		switch args[j] {
		case "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix":
			j += 2 // global options with a separate value
		default:
			j++
		}
	}
	if j >= len(args) || args[j] != "push" {
		return Push{}, false
	}
	p := Push{Refs: refs}
	opts, pos := true, 0
	for k := j + 1; k < len(args); k++ {
		a := args[k]
		if opts && len(a) > 1 && a[0] == '-' {
			switch {
			case a == "--":
				opts = false
			case a == "--force", a == "--force-if-includes", strings.HasPrefix(a, "--force-with-lease"):
				p.Force = true
			case a == "--mirror", a == "--all", a == "--branches":
				p.All, p.AllBy = true, a
				p.Force = p.Force || a == "--mirror"
			case a == "--repo", a == "--push-option", a == "-o":
				k++
			case a == "--receive-pack", a == "--exec":
				k++
				p.Unknown = true
			case strings.HasPrefix(a, "--receive-pack="), strings.HasPrefix(a, "--exec="):
				p.Unknown = true
			case !strings.HasPrefix(a, "--") && strings.IndexByte(a, 'f') > 0:
				p.Force = true
			}
			continue
		}
		if pos++; pos == 1 {
			p.Remote = a
			continue
		}
		if strings.HasPrefix(a, "+") {
			p.Force = true
			a = a[1:]
		}
		if a == ":" || strings.Contains(a, "*") {
			p.All, p.AllBy = true, "the refspec "+a
			continue
		}
		p.Refs = append(p.Refs, a[strings.LastIndexByte(a, ':')+1:])
	}
	return p, true
}

// Branch returns the branch a push destination names: refs/heads/x is x,
// a ref elsewhere under refs/ (a tag, a note) is none (""). It reports
// false when the line alone cannot tell: HEAD, @{u}, a revision
// expression.
func Branch(ref string) (string, bool) {
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		ref = ref[len("refs/heads/"):]
	case strings.HasPrefix(ref, "refs/"):
		return "", true
	}
	if ref == "" || strings.EqualFold(ref, "HEAD") || ref[0] == '-' || ref[0] == '/' || ref[len(ref)-1] == '/' || strings.Contains(ref, "..") {
		return "", false
	}
	for i := 0; i < len(ref); i++ {
		switch ref[i] {
		case '~', '^', ':', '@', '*', '?', '[', '\\', ' ', '\t':
			return "", false // a revision expression, not a branch
		}
	}
	return ref, true
}
