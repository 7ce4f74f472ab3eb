// Package archive writes reproducible release archives and reads untrusted
// ones.
//
// # Writing
//
// [WriteZip] and [WriteTarGz] turn a list of [Entry] values into an archive
// whose bytes depend only on the entries' names, modes and contents, the
// given modification time and the Go version's compress/flate output. In
// particular the result does not depend on the order of the entries, the
// time zone, the umask, the environment, or the files' on-disk metadata:
//
//   - Entries are written sorted by name in byte order. Names must pass
//     [CheckName] and must not collide with each other, also not
//     case-insensitively, and no file may be a parent folder of another.
//   - Only regular files are written; there are no directory entries, no
//     symbolic links and no comments. Each mode is exactly 0644 or 0755.
//   - Every entry gets the same modification time: mtime in UTC, truncated
//     to whole seconds. Zip archives clamp it to 1980-01-01 00:00:00 UTC,
//     the earliest time the format can hold.
//   - Zip entries are deflated at a fixed level, except files of formats that
//     are compressed already (.gz, .tgz, .zip, .deb, .rpm, .apk, .xz, .zst,
//     .bz2) and entries marked Store, which are stored; all carry the "Unix" creator
//     and a Unix mode (so unzip restores the executable bit), the MS-DOS
//     time and an extended-timestamp extra field, and store CRC-32 and
//     sizes in the local header (no data descriptors).
//   - Tar entries have uid and gid 0, empty user and group names and only
//     a modification time; PAX records appear only when the USTAR format
//     cannot hold a header (such as very long or non-ASCII names). The gzip
//     header has a zero time, no name or comment and OS byte 255 (unknown).
//
// WriteZip compresses entries concurrently, using runtime.GOMAXPROCS(0)
// workers, and writes them in order; the output is identical to that of a
// sequential write. Both writers read every input once, computing SHA-256
// digests of the contents as they go, and return them as [Digest] values.
//
// # Reading
//
// [OpenZip] and [ExtractTarGz] treat their input as hostile. They refuse an
// archive, with an [*Error] naming the entry and the reason, if any entry
//
//   - has a name that fails [CheckName]: empty, longer than 1024 bytes or
//     with a segment longer than 255 bytes, absolute ("/x", "C:/x"),
//     with a backslash, colon, NUL or other control character, invalid
//     UTF-8, empty, "." or ".." segments, a segment ending in a dot or
//     space, or a reserved Windows device name such as "CON" or "nul.txt";
//   - lies outside the single top folder, or sits at the top level itself,
//     or belongs to a second top folder;
//   - duplicates another entry, exactly or under Unicode case folding (as
//     [strings.EqualFold] compares), including a file and a directory of
//     the same name and a file that is also used as a parent folder;
//   - is not a regular file or directory: a symbolic or hard link, a
//     device, a named pipe, a socket or anything else (zip entries are
//     checked through the Unix mode in the external attributes, whatever
//     the creator system, and through the MS-DOS directory and volume
//     label bits, which must agree with the name's trailing slash);
//   - is encrypted or compressed with a method other than store or deflate
//     (zip), or is a sparse file (tar);
//   - declares a size above [Limits.MaxFileSize], takes the archive above
//     [Limits.MaxTotalSize] or [Limits.MaxEntries], or, for zip entries
//     larger than 1 MiB, declares a compression ratio above
//     [Limits.MaxRatio];
//   - has data overlapping another zip entry's local header or data, or
//     extending beyond the end of the archive.
//
// Archives without entries are refused too.
//
// Sizes in headers are not trusted: readers fail, naming the entry, as
// soon as the data turns out longer or shorter than declared, or its CRC-32
// is wrong, or compressed data is followed by trailing bytes. A tar.gz
// stream must decompress to at most MaxTotalSize plus 16 KiB per entry and
// 1 MiB, must end with at most 1 MiB of zero padding, and its gzip checksum
// must match. (MaxRatio does not apply to tar.gz: its single compressed
// stream has no per-entry sizes, and the bound on the whole stream caps
// the work instead.)
//
// [CheckName] exposes the name rules, so that trees on disk can be held to
// them before they are archived.
//
// OpenZip takes names, sizes and attributes from the central directory, as
// archive/zip does, and does not compare them with the local headers;
// tools that stream an archive through its local headers may see other
// names.
//
// File modes are normalized: a file is 0755 if any executable bit is set
// and 0644 otherwise; directories are 0755. Set-user-ID and similar bits
// are never honoured.
package archive
