package hooks

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// lineRecorder is a slog.Handler keeping the "line" of every record.
type lineRecorder struct{ lines *[]string }

func (h lineRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h lineRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h lineRecorder) WithGroup(string) slog.Handler            { return h }
func (h lineRecorder) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			*h.lines = append(*h.lines, a.Value.String())
		}
		return true
	})
	return nil
}

// splitLines is the model of lineLogger: the output's lines without
// their '\n', each cut into pieces of maxLine bytes (the last piece of a
// line holds the rest, never empty unless the line is), a '\r' before the
// '\n' dropped; a last line without '\n' is logged when not empty.
func splitLines(out []byte) []string {
	var lines []string
	for len(out) > 0 {
		line, rest, found := bytes.Cut(out, []byte("\n"))
		out = rest
		for len(line) > maxLine {
			lines = append(lines, string(line[:maxLine]))
			line = line[maxLine:]
		}
		lines = append(lines, string(bytes.TrimSuffix(line, []byte("\r"))))
		if !found {
			break
		}
	}
	return lines
}

// feed writes out to a new lineLogger in writes of the given sizes (the
// rest in one write), checking each Write and the buffer, then flushes.
func feed(t testing.TB, out []byte, sizes []int) []string {
	t.Helper()
	var lines []string
	w := &lineLogger{log: slog.New(lineRecorder{&lines}), level: slog.LevelInfo, stream: "stdout"}
	write := func(p []byte) {
		n, err := w.Write(p)
		require.NoError(t, err)
		require.Equal(t, len(p), n)
		require.LessOrEqual(t, cap(w.buf), maxLine, "the buffer holds at most one line's worth")
	}
	for _, n := range sizes {
		n = min(n, len(out))
		write(out[:n])
		out = out[n:]
	}
	write(out)
	w.flush()
	return lines
}

// FuzzLineLogger: whatever a script writes, and however its writes are
// cut, the lines logged are those of splitLines, and the logger buffers
// at most maxLine bytes, even of a line without end.
func FuzzLineLogger(f *testing.F) {
	x := func(n int) string { return strings.Repeat("x", n) }
	for _, s := range []string{
		"first line\nto stderr\ncrlf\r\nno newline", "", "\n", "\r\n", "\r", "a\n\nb\n",
		x(maxLine) + "\n", x(maxLine+1) + "\n", x(2*maxLine) + "\nend", x(5000) + "\r\n", x(maxLine-1) + "\r\n",
	} {
		f.Add([]byte(s), []byte{})
		f.Add([]byte(s), []byte{1, 0, 7})
	}
	f.Add([]byte(x(maxLine)+"\n"), []byte{0x10, 0x00}) // sizes are 16-bit: 4096 then the '\n'
	f.Fuzz(func(t *testing.T, out []byte, cuts []byte) {
		var sizes []int
		for i := 0; i+1 < len(cuts); i += 2 {
			sizes = append(sizes, int(cuts[i])<<8|int(cuts[i+1]))
		}
		want := splitLines(out)
		require.Equal(t, want, feed(t, out, nil), "in one write")
		require.Equal(t, want, feed(t, out, sizes), "in writes of %v", sizes)
	})
}

// The inputs fuzzing found, and lines without end.
func TestLineLogger(t *testing.T) {
	x := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	tests := []struct {
		name  string
		out   []byte
		sizes []int
		want  []string
	}{
		// A line of exactly maxLine bytes whose '\n' came in the next
		// write was logged as the line and an empty line.
		{name: "maxLine then its newline", out: append(x(maxLine), '\n'), sizes: []int{maxLine},
			want: []string{string(x(maxLine))}},
		// A '\r' that fell at the end of a piece of a long line was
		// dropped as if it ended the line.
		{name: "CR inside a long line", out: append(append(x(maxLine-1), '\r'), "yz\n"...),
			want: []string{string(x(maxLine-1)) + "\r", "yz"}},
		{name: "CRLF after a long line", out: append(x(maxLine+1), "\r\n"...), want: []string{string(x(maxLine)), "x"}},
		{name: "long line in one write", out: x(3*maxLine + 5), want: []string{string(x(maxLine)), string(x(maxLine)), string(x(maxLine)), "xxxxx"}},
		{name: "long line byte by byte", out: x(2*maxLine + 1), sizes: func() []int {
			s := make([]int, 2*maxLine+1)
			for i := range s {
				s[i] = 1
			}
			return s
		}(), want: []string{string(x(maxLine)), string(x(maxLine)), "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, feed(t, tt.out, tt.sizes))
			require.Equal(t, tt.want, splitLines(tt.out))
		})
	}
	// A megabyte line in one write: the logger keeps one piece, not the
	// write.
	var lines []string
	w := &lineLogger{log: slog.New(lineRecorder{&lines})}
	_, _ = w.Write(x(1 << 20))
	require.LessOrEqual(t, cap(w.buf), maxLine)
	require.Len(t, lines, (1<<20)/maxLine-1, "the last piece waits: it may end the line")
}
