package enforce

import (
	"bufio"
	"bytes"
	"io"

	"github.com/cavra/cavra/runtime/policy"
)

// LineReader reads newline-terminated lines of at most
// policy.MaxRequestSize bytes. A longer line is reported as too long and
// skipped up to its newline, so that reading can go on with the next one.
type LineReader struct {
	br  *bufio.Reader
	buf []byte
	n   int // lines read
}

// NewLineReader returns a LineReader reading from r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Line returns the number of the line last returned, counting from 1.
func (l *LineReader) Line() int { return l.n }

// Next returns the next line without its newline (and without a
// trailing carriage return). The slice is valid until the next call. If
// the line was too long, tooLong is true and line is nil. At the end of
// the input Next returns io.EOF; a last line without a newline is
// returned as a line.
func (l *LineReader) Next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(frag) > policy.MaxRequestSize+2 { // room for \r\n
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(l.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
		default:
			return nil, false, err
		}
		l.n++
		if tooLong {
			return nil, true, nil
		}
		line = bytes.TrimSuffix(l.buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > policy.MaxRequestSize {
			return nil, true, nil
		}
		return line, false, nil
	}
}

// Ready reports whether a complete line has already been read from the
// input and is waiting to be returned, so that Next will not block.
func (l *LineReader) Ready() bool {
	b, _ := l.br.Peek(l.br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}
