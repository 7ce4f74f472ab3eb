package manifest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/cavra/cavra/packaging/format/build"
)

func sample() *Manifest {
	t := build.Matrix[0]
	cmd := build.Spec(t, "v1.2.3", t.Exe())
	return &Manifest{
		SchemaVersion: Schema,
		Package:       Package{Name: "cavra-go-runtime", Version: "v1.2.3", Commit: strings.Repeat("a", 40), SourceDateEpoch: 1},
		Go:            Go{Version: "go1.26.8", ModulePath: build.ModulePath, ModuleDir: ".", MainPackage: build.MainPackage},
		Targets:       []string{t.String()},
		Build:         Build{Env: map[string]string{"CGO_ENABLED": "0"}, Levels: map[string]string{"GOAMD64": "v1"}},
		Binaries:      []Binary{{Target: t.String(), Binary: t.Binary(), Rebuild: cmd, RebuildCommand: cmd.String()}},
		Controls:      Controls{Env: build.Network(), Network: "none"},
	}
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("got %+v, want %+v", got, m)
	}
	b2, _ := Marshal(got)
	if !bytes.Equal(b, b2) {
		t.Fatal("marshal is not stable")
	}
}

func TestParseRefuses(t *testing.T) {
	good, _ := Marshal(sample())
	tests := []struct {
		name, data, want string
	}{
		{"duplicate key", strings.Replace(string(good), `"snapshot": false,`, `"snapshot": false, "snapshot": true,`, 1), "duplicate key"},
		{"unknown field", strings.Replace(string(good), `"snapshot": false,`, `"snapshot": false, "extra": 1,`, 1), "unknown field"},
		{"trailing data", string(good) + "{}", "after the JSON value"},
		{"wrong schema", strings.Replace(string(good), Schema, "x", 1), "schema_version"},
		{"wrong type", strings.Replace(string(good), `"snapshot": false`, `"snapshot": "no"`, 1), "cannot unmarshal"},
		{"too large", string(good) + strings.Repeat(" ", MaxSize), "allowed"},
		{"not JSON", "<xml/>", "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	good, _ := Marshal(sample())
	f.Add(good)
	f.Add([]byte(`{"schema_version":"` + Schema + `"}`))
	f.Add([]byte(`{"a":{"a":{"a":[[[[[[{}]]]]]]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip unchanged.
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(b)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the manifest")
		}
	})
}
