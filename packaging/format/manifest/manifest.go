// Package manifest defines cavra-runtime.reproducibility.json, the record a
// release writes of how every binary in a package was built, so that an
// offline team can check and rebuild it.
//
// The document is JSON with sorted keys and two-space indentation. Its
// binaries are an array, so that
//
//	jq '.binaries[] | {target, binary, binary_sha256, rebuild_command}' cavra-runtime.reproducibility.json
//
// lists each target with its digest and the command that rebuilds it. The
// command is also recorded as data (rebuild.env and rebuild.argv): a rebuilder
// replays the data, never the string.
//
// Every path in a manifest is a clean slash-separated path relative to the
// package root (or, for rebuild.dir, to the source root).
package manifest

import (
	"encoding/json"
	"fmt"

	"github.com/cavra/cavra/internal/strictjson"
	"github.com/cavra/cavra/packaging/format/build"
)

// Name is the file name of the manifest at the root of a package.
const Name = "cavra-runtime.reproducibility.json"

// Schema identifies this version of the manifest format.
const Schema = "https://cavra.dev/schemas/go-runtime-reproducibility/v1"

// MaxSize bounds the manifest a reader accepts.
const MaxSize = 1 << 20

// Manifest is the reproducibility manifest of one package.
type Manifest struct {
	SchemaVersion string         `json:"schema_version"`
	Snapshot      bool           `json:"snapshot"` // built without a release key or release tag
	Package       Package        `json:"package"`
	Go            Go             `json:"go"`
	Targets       []string       `json:"targets"` // the declared matrix, "os/arch"
	Build         Build          `json:"build"`
	Source        Source         `json:"source"`
	Modules       *Modules       `json:"offline_modules,omitempty"`
	Binaries      []Binary       `json:"binaries"`
	Packages      []LinuxPackage `json:"packages,omitempty"`
	Controls      Controls       `json:"operator_controls"`
}

// Package identifies the release.
type Package struct {
	Name            string `json:"name"` // "cavra-go-runtime"
	Version         string `json:"version"`
	Commit          string `json:"commit"`
	Ref             string `json:"ref"`
	Repository      string `json:"repository"`
	WorkflowRef     string `json:"workflow_ref"`
	Dirty           bool   `json:"dirty"` // built from a working tree with uncommitted changes
	SourceDateEpoch int64  `json:"source_date_epoch"`
}

// Go records the toolchain and the module built.
type Go struct {
	Version     string `json:"version"`      // e.g. "go1.26.8", from go env GOVERSION
	ModulePath  string `json:"module_path"`  // e.g. "github.com/cavra/cavra"
	ModuleDir   string `json:"module_dir"`   // module root inside the source archive's top folder, "."
	MainPackage string `json:"main_package"` // e.g. "./cmd/cavra-runtime"
}

// Build records the settings shared by every target.
type Build struct {
	Env     map[string]string `json:"env"`     // variables every target sets, e.g. CGO_ENABLED, GOFLAGS
	Levels  map[string]string `json:"levels"`  // microarchitecture levels: GOAMD64, GOARM64
	Ldflags string            `json:"ldflags"` // not recorded in binaries built with -trimpath
	Flags   []string          `json:"flags"`   // every go build flag, GOFLAGS included
}

// Source records the source archive that the binaries were built from.
type Source struct {
	Archive   string `json:"archive"` // path in the package
	SHA256    string `json:"sha256"`
	SizeBytes int64  `json:"size_bytes"`
	Root      string `json:"root"` // the single top folder inside the archive
}

// Modules records the module proxy folder shipped for offline use of the
// mage targets.
type Modules struct {
	Proxy   string   `json:"proxy"` // folder in the package, usable as GOPROXY=file://<abs path>
	Modules []Module `json:"modules"`
}

// Module is one module version held by the offline proxy.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// Binary records one target's binary and how to rebuild it.
type Binary struct {
	Target         string        `json:"target"` // "os/arch"
	GOOS           string        `json:"goos"`
	GOARCH         string        `json:"goarch"`
	Binary         string        `json:"binary"` // path in the package
	SizeBytes      int64         `json:"size_bytes"`
	SHA256         string        `json:"binary_sha256"`
	Rebuild        build.Command `json:"rebuild"`
	RebuildCommand string        `json:"rebuild_command"`
}

// LinuxPackage records an installable package and the binary it carries.
type LinuxPackage struct {
	Format    string `json:"format"` // deb, rpm, apk
	Target    string `json:"target"`
	Path      string `json:"path"`
	SizeBytes int64  `json:"size_bytes"`
	SHA256    string `json:"sha256"`
	Version   string `json:"version"`        // the version as the format spells it
	Binary    string `json:"binary"`         // path of the carried binary in the package
	Installed string `json:"installed_path"` // e.g. /usr/bin/cavra-runtime
}

// Controls are what an operator applies to rebuild in a restricted network.
type Controls struct {
	Env       map[string]string `json:"env"`       // set on top of every rebuild command
	Network   string            `json:"network"`   // "none": no network is needed
	Toolchain string            `json:"toolchain"` // the go version the rebuild must use
	Evidence  []string          `json:"evidence"`  // what a rebuild records
}

// Marshal encodes m as the manifest file's bytes.
func Marshal(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Parse decodes a manifest strictly: unknown fields, duplicate keys, trailing
// data and oversize documents are errors, and the schema must be [Schema].
func Parse(data []byte) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("manifest: %d bytes, more than the %d allowed", len(data), MaxSize)
	}
	var m Manifest
	if err := strictjson.Decode(data, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.SchemaVersion != Schema {
		return nil, fmt.Errorf("manifest: schema_version %q, want %q", m.SchemaVersion, Schema)
	}
	return &m, nil
}

// BinaryFor returns the binary record for target ("os/arch"), or nil.
func (m *Manifest) BinaryFor(target string) *Binary {
	for i := range m.Binaries {
		if m.Binaries[i].Target == target {
			return &m.Binaries[i]
		}
	}
	return nil
}
