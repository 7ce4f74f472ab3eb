// Package linuxpkg names the Linux packages of a cavra-runtime release and
// reads them. It uses only the standard library, so that the air-gapped
// verifier can check that the binary inside each package is the one the
// release manifest lists; the packages themselves are written by package
// [github.com/cavra/cavra/packaging/nfpm], which uses the names defined
// here.
//
// # Names and versions
//
// A release carries a package of each of [Formats] ("deb", "rpm", "apk")
// for each of [Targets] ("linux/amd64", "linux/arm64"), named [Name] and
// installing the binary at [InstalledPath]. [Path] gives each package's
// file name, [Arch] its architecture (deb amd64 and arm64, rpm and apk
// x86_64 and aarch64) and [Version] the release version as the format
// spells it. These are exactly the values the packages' metadata holds:
// the deb control file's Version and Architecture, the rpm header's
// VERSION, RELEASE (always [RPMRelease]) and ARCH, the apk .PKGINFO's
// pkgver and arch.
//
// Version drops the leading "v" of the release version and rewrites the
// semantic version so that each package manager sorts a pre-release before
// its release, and a release before one with build metadata, as semver
// orders them (build metadata aside, which semver does not order):
//
//	release version                     deb and rpm                          apk
//	v1.2.3                              1.2.3                                1.2.3
//	v1.2.3-rc.1                         1.2.3~rc.1                           1.2.3_rc1
//	v1.2.3-beta2                        1.2.3~beta2                          1.2.3_beta2
//	v1.2.3+build.5                      1.2.3+build.5                        1.2.3_p5
//	v1.2.3-rc.1+build.5                 1.2.3~rc.1+build.5                   1.2.3_rc1_p5
//	v0.0.0-snapshot.0123456789ab        0.0.0~snapshot.0123456789ab          0.0.0_pre~0123456789ab
//	v0.0.0-snapshot.0123456789ab.dirty  0.0.0~snapshot.0123456789ab.dirty    0.0.0_pre_p~0123456789ab
//
// In deb and rpm versions "~" sorts before anything, even the end of the
// version, and "+" after it. The apk grammar is
// digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#} with the
// pre-release suffixes _alpha < _beta < _pre < _rc, which sort before the
// release, and the post-release suffixes _cvs < _svn < _git < _hg < _p,
// which sort after it; ~hash is a commit hash that apk carries but does not
// order. So apk accepts only pre-releases named alpha, beta, pre or rc,
// with at most one number (rc, rc1 or rc.1), or snapshot.HEX with an
// optional .dirty; and build metadata of the form N or build.N. Version
// refuses other versions for apk, and refuses for every format a hyphen in
// the pre-release or build metadata (which a Debian version without a
// revision cannot hold), leading zeros in MAJOR.MINOR.PATCH, and anything
// that is not a semantic version. Since a release carries all three
// formats, a version that one format refuses cannot be released as a
// package.
//
// # Reading packages
//
// [Read] reads a .deb, .rpm or .apk as hostile input: it bounds every size
// by [Limits], never panics, and returns an [*Error] naming the format and
// the part of the package at fault. On success it returns the package's
// [Info] and its payload entries, sorted by path. Each [File] is a regular
// file with its size and SHA-256, a directory, or a symbolic link (with
// its type in Mode and no digest); [Installed] picks the regular file at
// InstalledPath and refuses anything else there, so a symbolic link is
// never mistaken for the binary. The standard library reads gzip (and
// bzip2) only, which is why the release writes gzip payloads; Read
// refuses xz, zstd and lzma members with an error that says so.
//
// Read refuses a package, besides any malformed structure or truncation,
// if any payload entry
//
//   - has a name that is not a clean relative path once one leading "./"
//     or "/" is removed (no "..", no empty segments), or holds a control
//     character or invalid UTF-8;
//   - appears twice, or lies below an entry that is not a directory (a
//     file, or a symbolic link that would redirect it);
//   - is a hard link, a device, a FIFO, a socket or a sparse file;
//   - takes the payload above Limits.MaxFiles entries, Limits.MaxFileSize
//     bytes for one file or Limits.MaxTotalSize bytes in all.
//
// Decompressed streams are bounded too, and whatever follows the end of a
// tar or cpio archive must be zero padding, at most 1 MiB.
//
// Debian packages: an ar archive ("!<arch>\n", 60-byte member headers, no
// extended names) of debian-binary ("2.x"), control.tar or control.tar.gz,
// and data.tar, data.tar.gz or data.tar.bz2, in that order, with members
// named "_..." allowed between and after them, as dpkg allows; the archive
// is read to its end, so a cut one is refused. Info comes from the
// first paragraph of ./control (Package, Version, Architecture), which
// must not repeat a field. A compressed member must hold exactly one gzip
// stream with a valid checksum.
//
// RPM packages: the 96-byte lead, the signature header (padded to 8
// bytes), the main header and a gzip (or bzip2) compressed "newc" cpio
// payload, with nothing after it. When the signature header has a SHA-256
// of the main header, or the main header a payload digest, Read checks
// them. The file list is the main header's (BASENAMES, DIRNAMES,
// DIRINDEXES, FILEMODES, FILESIZES, FILEDIGESTS, FILEFLAGS), since rpm
// installs from it: every payload entry must be in the list with the same
// type, a regular file with the listed size and digest, and every listed
// regular file that is not a %ghost must be in the payload. Modes come
// from the header. Ghost files are not reported. Info has NAME, VERSION,
// RELEASE and ARCH.
//
// Alpine packages (apk version 2): concatenated gzip streams of an optional
// signature segment (.SIGN.* files), the control segment (.PKGINFO and
// other dot files, nothing else) and the data segment, each a tar stream,
// with nothing after it. The SHA-256 of the compressed data segment must
// equal .PKGINFO's datahash, and a payload file's APK-TOOLS.checksum.SHA1
// record, when present, its SHA-1. Signatures are not verified. Info comes
// from pkgname, pkgver and arch. apk version 3 (ADB) packages are refused.
package linuxpkg
