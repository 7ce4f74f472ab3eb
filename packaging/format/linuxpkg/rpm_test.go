package linuxpkg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"
)

// rpmTag is one header entry for rpmHeaderBytes.
type rpmTag struct {
	tag, typ uint32
	value    any // string, []string, []uint16, []uint32
}

// rpmHeaderBytes builds a header structure, the entries sorted by tag.
func rpmHeaderBytes(tags []rpmTag) []byte {
	sort.Slice(tags, func(i, j int) bool { return tags[i].tag < tags[j].tag })
	var index, store bytes.Buffer
	for _, tg := range tags {
		align := map[uint32]int{rpmTypeInt16: 2, rpmTypeInt32: 4}[tg.typ]
		for align > 0 && store.Len()%align != 0 {
			store.WriteByte(0)
		}
		off := store.Len()
		var count int
		switch v := tg.value.(type) {
		case string:
			store.WriteString(v + "\x00")
			count = 1
		case []string:
			for _, s := range v {
				store.WriteString(s + "\x00")
			}
			count = len(v)
		case []uint16:
			binary.Write(&store, binary.BigEndian, v)
			count = len(v)
		case []uint32:
			binary.Write(&store, binary.BigEndian, v)
			count = len(v)
		}
		binary.Write(&index, binary.BigEndian, []uint32{tg.tag, tg.typ, uint32(off), uint32(count)})
	}
	var out bytes.Buffer
	out.Write(rpmHeaderMagic)
	out.Write([]byte{0, 0, 0, 0})
	binary.Write(&out, binary.BigEndian, []uint32{uint32(len(tags)), uint32(store.Len())})
	out.Write(index.Bytes())
	out.Write(store.Bytes())
	return out.Bytes()
}

// cpioFile is one payload entry for cpioBytes.
type cpioFile struct {
	name string
	mode uint32
	body string
}

func cpioBytes(files []cpioFile) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for _, f := range append(files, cpioFile{name: "TRAILER!!!"}) {
		nlink := 1
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			1, f.mode, 0, 0, nlink, 0, len(f.body), 0, 0, 0, 0, len(f.name)+1, 0)
		b.WriteString(f.name + "\x00")
		pad()
		b.WriteString(f.body)
		pad()
	}
	return b.Bytes()
}

// rpmPackage builds an rpm whose header lists files (ghosts by name) and
// whose payload holds payload; digests are SHA-256 of the bodies.
func rpmPackage(t testing.TB, files []cpioFile, ghosts []string, payload []cpioFile) []byte {
	t.Helper()
	var base, dirs, digests []string
	var idx, sizes, flags, mtimes []uint32
	var users, groups []string
	var modes []uint16
	dirIdx := map[string]uint32{}
	add := func(f cpioFile, flag uint32) {
		d, b := path.Split(f.name)
		if _, ok := dirIdx[d]; !ok {
			dirIdx[d] = uint32(len(dirs))
			dirs = append(dirs, d)
		}
		base = append(base, b)
		idx = append(idx, dirIdx[d])
		sizes = append(sizes, uint32(len(f.body)))
		modes = append(modes, uint16(f.mode))
		flags = append(flags, flag)
		users, groups, mtimes = append(users, "root"), append(groups, "wheel"), append(mtimes, 1700000000)
		if f.mode&0o170000 == 0o100000 {
			digests = append(digests, sum(f.body))
		} else {
			digests = append(digests, "")
		}
	}
	for _, f := range files {
		add(f, 0)
	}
	for _, g := range ghosts {
		add(cpioFile{name: g, mode: 0o100644}, rpmFileGhost)
	}
	h := rpmHeaderBytes([]rpmTag{
		{rpmTagName, rpmTypeString, "cavra-runtime"},
		{rpmTagVersion, rpmTypeString, "1.2.3"},
		{rpmTagRelease, rpmTypeString, "1"},
		{rpmTagArch, rpmTypeString, "x86_64"},
		{rpmTagPayloadFormat, rpmTypeString, "cpio"},
		{rpmTagPayloadCompressor, rpmTypeString, "gzip"},
		{rpmTagBasenames, rpmTypeStringArray, base},
		{rpmTagDirNames, rpmTypeStringArray, dirs},
		{rpmTagDirIndexes, rpmTypeInt32, idx},
		{rpmTagFileSizes, rpmTypeInt32, sizes},
		{rpmTagFileModes, rpmTypeInt16, modes},
		{rpmTagFileFlags, rpmTypeInt32, flags},
		{rpmTagFileDigests, rpmTypeStringArray, digests},
		{rpmTagFileDigestAlgo, rpmTypeInt32, []uint32{8}},
		{rpmTagFileUserName, rpmTypeStringArray, users},
		{rpmTagFileGroupName, rpmTypeStringArray, groups},
		{rpmTagFileMTimes, rpmTypeInt32, mtimes},
	})
	sig := rpmHeaderBytes([]rpmTag{{1000, rpmTypeInt32, []uint32{0}}})
	var out bytes.Buffer
	lead := make([]byte, 96)
	copy(lead, rpmLeadMagic)
	lead[4] = 3
	binary.BigEndian.PutUint16(lead[78:], 5)
	out.Write(lead)
	out.Write(sig)
	out.Write(make([]byte, (8-len(sig)%8)%8))
	out.Write(h)
	out.Write(gz(t, cpioBytes(payload)))
	return out.Bytes()
}

var rpmGood = []cpioFile{
	{"/etc/cavra-runtime", 0o40755, ""},
	{"/usr/bin/cavra-runtime", 0o100755, "binary"},
	{"/usr/bin/link", 0o120777, "cavra-runtime"},
}

func TestReadRPM(t *testing.T) {
	info, files, err := Read("rpm", bytes.NewReader(rpmPackage(t, rpmGood, []string{"/var/log/x"}, rpmGood)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Name: "cavra-runtime", Version: "1.2.3", Release: "1", Arch: "x86_64"}); info != want {
		t.Errorf("got %+v, want %+v", info, want)
	}
	want := []File{
		{Path: "/etc/cavra-runtime", Mode: fs.ModeDir | 0o755, Owner: "root:wheel", MTime: 1700000000},
		{Path: "/usr/bin/cavra-runtime", Mode: 0o755, Size: 6, SHA256: sum("binary"), Owner: "root:wheel", MTime: 1700000000},
		{Path: "/usr/bin/link", Mode: fs.ModeSymlink | 0o777, Owner: "root:wheel", MTime: 1700000000},
	}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", files, want)
	}
	// A directory only in the header is still reported.
	_, files, err = Read("rpm", bytes.NewReader(rpmPackage(t, rpmGood, nil, rpmGood[1:])), Limits{})
	if err != nil || fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("got %v, %v, want %v", files, err, want)
	}
}

func TestReadRPMRefused(t *testing.T) {
	bin := rpmGood[1]
	other := cpioFile{bin.name, bin.mode, "evil!!"}
	tests := []struct {
		name    string
		header  []cpioFile
		ghosts  []string
		payload []cpioFile
		want    string
	}{
		{"digest mismatch", []cpioFile{bin}, nil, []cpioFile{other}, "digest"},
		{"missing from payload", []cpioFile{bin}, nil, nil, "in the header but not in the payload"},
		{"not in header", rpmGood[:1], nil, []cpioFile{bin}, "not in the header's file list"},
		{"twice in payload", []cpioFile{bin}, nil, []cpioFile{bin, bin}, "appears twice in the payload"},
		{"type mismatch", []cpioFile{{bin.name, 0o120777, "x"}}, nil, []cpioFile{bin}, "in the payload"},
		{"ghost in payload", rpmGood[:1], []string{bin.name}, []cpioFile{{bin.name, 0o100644, ""}}, "a ghost file in the payload"},
		{"device", []cpioFile{{"/dev/x", 0o20644, ""}}, nil, nil, "not a regular file, directory or symbolic link"},
		{"traversal", []cpioFile{{"/usr/../../etc/passwd", 0o100644, "x"}}, nil, nil, "not a clean absolute path"},
		{"below a link", []cpioFile{{"/usr", 0o120777, "/tmp"}, bin}, nil, []cpioFile{{"/usr", 0o120777, "/tmp"}, bin}, "below /usr, which is not a directory"},
		{"duplicate in header", []cpioFile{bin, bin}, nil, []cpioFile{bin}, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read("rpm", bytes.NewReader(rpmPackage(t, tt.header, tt.ghosts, tt.payload)), Limits{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
