package archive

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error reports an unsafe or malformed archive, or an entry that cannot be
// archived.
type Error struct {
	Archive string // archive name, if the caller sets it; this package does not
	Entry   string // entry name as stored; empty if the whole archive is at fault
	Reason  string // what is wrong
	Err     error  // underlying error, if any
}

// Error returns the message, for example
// `archive: entry "go-runtime-v1/../../etc/passwd": path escapes the top folder`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("archive: ")
	if e.Archive != "" {
		b.WriteString(e.Archive)
		b.WriteString(": ")
	}
	if e.Entry != "" {
		fmt.Fprintf(&b, "entry %q: ", e.Entry)
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Name limits enforced by CheckName.
const (
	maxName = 1024 // bytes in a whole name
	maxSeg  = 255  // bytes in one slash-separated segment
)

// CheckName reports, as an [*Error], whether name is not a clean relative
// slash-separated path that is safe to create on Unix, macOS and Windows.
// It refuses empty names and segments, "." and ".." segments, absolute
// names, drive letters, backslashes, colons, NUL and other control
// characters, invalid UTF-8, segments ending in a dot or space, reserved
// Windows device names, and names longer than 1024 bytes or with a segment
// longer than 255 bytes. Directory names are checked without their
// trailing slash.
func CheckName(name string) error {
	if r := nameProblem(name); r != "" {
		return &Error{Entry: name, Reason: r}
	}
	return nil
}

func nameProblem(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > maxName:
		return fmt.Sprintf("name longer than %d bytes", maxName)
	case !utf8.ValidString(name):
		return "name is not valid UTF-8"
	}
	for _, r := range name {
		switch {
		case r == 0:
			return "NUL byte in name"
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U in name", r)
		case r == '\\':
			return "backslash in name"
		}
	}
	if name[0] == '/' {
		return "absolute path"
	}
	if len(name) >= 2 && name[1] == ':' && ('a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z') {
		return "absolute path (drive letter)"
	}
	if strings.Contains(name, ":") {
		return "colon in name"
	}
	depth := 0
	for seg := range strings.SplitSeq(name, "/") {
		switch {
		case seg == "":
			return "empty path segment"
		case seg == ".":
			return `"." path segment`
		case seg == "..":
			if depth <= 1 {
				return "path escapes the top folder"
			}
			return `".." path segment`
		case len(seg) > maxSeg:
			return fmt.Sprintf("path segment longer than %d bytes", maxSeg)
		case strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " "):
			return "path segment ends in a dot or space"
		case reserved(seg):
			return fmt.Sprintf("reserved Windows name %q", seg)
		}
		depth++
	}
	return ""
}

// reserved reports whether Windows treats seg as a device, whatever its
// extension.
func reserved(seg string) bool {
	base, _, _ := strings.Cut(seg, ".")
	base = strings.TrimRight(base, " ")
	switch len(base) {
	case 3:
		for _, d := range []string{"CON", "PRN", "AUX", "NUL"} {
			if strings.EqualFold(base, d) {
				return true
			}
		}
	case 4:
		if c := base[3]; '0' <= c && c <= '9' {
			return strings.EqualFold(base[:3], "COM") || strings.EqualFold(base[:3], "LPT")
		}
	case 6, 7:
		return strings.EqualFold(base, "CONIN$") || strings.EqualFold(base, "CONOUT$")
	}
	return false
}

// fold maps s to a key that is equal for two strings exactly when
// strings.EqualFold reports them equal: each rune becomes the smallest rune
// of its simple case-folding orbit.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// A tree records entry names and detects collisions between them.
type tree struct {
	single bool   // require exactly one top folder
	top    string // first top-level segment seen
	root   node
}

type node struct {
	name     string // exact segment
	dir      bool
	explicit bool // added as an entry, not only implied by a longer name
	kids     map[string]*node
}

// add records name, which must have passed CheckName, as a file or
// directory and returns a reason if it collides with an earlier name.
func (t *tree) add(name string, dir bool) string {
	segs := strings.Split(name, "/")
	if t.single && len(segs) == 1 && !dir {
		return "file at the top level, outside a top folder"
	}
	n := &t.root
	for i, s := range segs {
		last := i == len(segs)-1
		k := fold(s)
		c := n.kids[k]
		if c == nil {
			if i == 0 {
				if t.single && t.top != "" {
					return fmt.Sprintf("outside the top folder %q", t.top)
				}
				if t.top == "" {
					t.top = s
				}
			}
			c = &node{name: s, dir: !last || dir, explicit: last}
			if n.kids == nil {
				n.kids = make(map[string]*node)
			}
			n.kids[k] = c
			n = c
			continue
		}
		if c.name != s {
			other := strings.Join(append(segs[:i:i], c.name), "/")
			return fmt.Sprintf("conflicts with %q on case-insensitive file systems", other)
		}
		switch {
		case !last:
			if !c.dir {
				return fmt.Sprintf("parent %q is a file", strings.Join(segs[:i+1], "/"))
			}
		case !dir && c.dir:
			return "file has the same name as a directory"
		case !dir:
			return "duplicate name"
		case !c.dir:
			return "directory has the same name as a file"
		case c.explicit:
			return "duplicate directory"
		default:
			c.explicit = true
		}
		n = c
	}
	return ""
}
