package tuf

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		file      string
	}{
		{`{"b":1,"a":[true,false,null],"c":{"z":"","y":-2}}`, `{"a":[true,false,null],"b":1,"c":{"y":-2,"z":""}}`, `{"a":[true,false,null],"b":1,"c":{"y":-2,"z":""}}`},
		{`"a\"b\\c"`, `"a\"b\\c"`, `"a\"b\\c"`},
		// A PEM key: canonical JSON keeps the newline (what is signed);
		// the file escapes it (what is read).
		{`"line\nnext\ttab\u0001"`, "\"line\nnext\ttab\x01\"", `"line\nnext\ttab\u0001"`},
		// Non-ASCII and HTML characters are written as they are.
		{`"é<>&\u00e9"`, `"é<>&é"`, `"é<>&é"`},
		// Keys sort by their bytes: upper case, then the underscore.
		{`{"b":0,"_t":0,"a":0,"Z":0}`, `{"Z":0,"_t":0,"a":0,"b":0}`, `{"Z":0,"_t":0,"a":0,"b":0}`},
	}
	for _, tt := range tests {
		v, err := Decode([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		c, err := EncodeCanonical(v)
		if err != nil || string(c) != tt.canonical {
			t.Errorf("EncodeCanonical(%s): got %q, %v, want %q", tt.in, c, err, tt.canonical)
		}
		f, err := EncodeFile(v)
		if err != nil || string(f) != tt.file+"\n" {
			t.Errorf("EncodeFile(%s): got %q, %v, want %q", tt.in, f, err, tt.file+"\n")
		}
		if _, err := Normalize(f); err != nil {
			t.Errorf("Normalize(EncodeFile(%s)): %v", tt.in, err)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1}`, "differs from its canonical form at byte 7"}, // no newline
		{"{\"a\": 1}\n", "at byte 5"},
		{"{\"b\":1,\"a\":1}\n", "at byte 2"},
		{"{\"a\":1.0}\n", "number 1.0 is not an integer"},
		{"{\"a\":1e2}\n", "number 1e2 is not an integer"},
		{"{\"a\":-0}\n", "number -0 is not an integer"},
		{"{\"a\":1,\"a\":2}\n", `duplicate key "a"`},
		{"{\"a\":1,\"A\":2}\n", `duplicate key "A"`},
		{"{\"a\":\"\\u0041\"}\n", "at byte 6"},
		{"{\"a\":1}\n{}", "data after the JSON value"},
		{"{\"a\":\"\xff\"}\n", "not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := Normalize([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Normalize(%q): got %v, want ...%s...", tt.in, err, tt.want)
		}
	}
}

func TestPaths(t *testing.T) {
	for _, tt := range []struct {
		p    string
		v    int64
		meta bool
	}{
		{"trust/1.root.json", 1, true},
		{"trust/12.root.json", 12, true},
		{"trust/01.root.json", 0, false},
		{"trust/0.root.json", 0, false},
		{"trust/root.json", 0, false},
		{"trust/x.root.json", 0, false},
		{"1.root.json", 0, false},
		{"trust/timestamp.json", 0, true},
		{"trust/snapshot.json", 0, true},
		{"trust/targets.json", 0, true},
		{"trust/other.json", 0, false},
	} {
		v, _ := RootVersion(tt.p)
		if v != tt.v || IsMetadata(tt.p) != tt.meta {
			t.Errorf("%s: got version %d metadata %v, want %d %v", tt.p, v, IsMetadata(tt.p), tt.v, tt.meta)
		}
	}
	if Path(RoleRoot, 3) != "trust/3.root.json" || Path(RoleTargets, 0) != TargetsPath {
		t.Error("Path")
	}
}

func TestKeys(t *testing.T) {
	// RFC 8032 test 1's public key: the key id is the SHA-256 of
	// {"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}.
	pub, _ := hex.DecodeString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	k, err := NewKey(ed25519.PublicKey(pub))
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.ID()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"keytype":"ed25519","keyval":{"public":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"},"scheme":"ed25519"}`))
	if want := hex.EncodeToString(sum[:]); id != want {
		t.Errorf("key id: got %s, want %s", id, want)
	}
	for _, bad := range []Key{
		{Type: "rsa", Scheme: "rsassa-pss-sha256", Value: KeyValue{Public: "x"}},
		{Type: KeyTypeEd25519, Scheme: SchemeEd25519, Value: KeyValue{Public: "abcd"}},
		{Type: KeyTypeECDSA, Scheme: SchemeECDSAP256, Value: KeyValue{Public: "not pem"}},
		{Type: KeyTypeECDSA, Scheme: SchemeEd25519, Value: KeyValue{Public: hex.EncodeToString(pub)}},
	} {
		if _, err := bad.Public(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func TestParse(t *testing.T) {
	signed := `{"_type":"timestamp","expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}},"spec_version":"1.0.31","version":1}`
	file := func(s string) []byte { return []byte(`{"signatures":[],"signed":` + s + "}\n") }
	m, err := Parse(file(signed), RoleTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 1 || m.Expires.Year() != 2030 || string(m.Signed) != signed {
		t.Errorf("got %+v", m)
	}
	if _, err := m.Timestamp(); err != nil {
		t.Error(err)
	}
	tests := []struct{ data, role, want string }{
		{string(file(signed)), RoleSnapshot, `type: _type is "timestamp", want "snapshot"`},
		{strings.Replace(string(file(signed)), `"1.0.31"`, `"2.0.0"`, 1), RoleTimestamp, "spec_version"},
		{strings.Replace(string(file(signed)), `"1.0.31","version":1}`, `"1.0.31","version":0}`, 1), RoleTimestamp, "version 0"},
		{strings.Replace(string(file(signed)), `2030-01-01T00:00:00Z`, `2030-01-01T00:00:00+00:00`, 1), RoleTimestamp, "expires"},
		{`{"signatures":[],"signed":{},"x":1}` + "\n", RoleTimestamp, "form"},
		{`{"signatures":[{"keyid":"AB","sig":"00"}],"signed":` + signed + "}\n", RoleTimestamp, "not lowercase hex"},
		{strings.Repeat(" ", 20<<10), RoleTimestamp, "size: 20480 bytes, more than the 16384 a timestamp file may have"},
	}
	for _, tt := range tests {
		if _, err := Parse([]byte(tt.data), tt.role); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.60q): got %v, want ...%s...", tt.data, err, tt.want)
		}
	}
	// Delegations and unknown fields are refused.
	tg := `{"_type":"targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","spec_version":"1.0.31","targets":{},"version":1}`
	m, err = Parse(file(tg), RoleTargets)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Targets(); err == nil || !strings.Contains(err.Error(), "delegations") {
		t.Errorf("delegations: got %v", err)
	}
}
