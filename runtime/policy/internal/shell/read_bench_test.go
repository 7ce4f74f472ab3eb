package shell

import "testing"

// BenchmarkRead measures reading typical lines: plain ones, which need
// no lexing, and ones that do.
func BenchmarkRead(b *testing.B) {
	for name, line := range map[string]string{
		"plain": "terraform plan -out=tf.plan",
		"push":  "git push",
		"chain": `go test ./... && git commit -m "fix: tests"`,
		"sudo":  "sudo -E terraform apply",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Read(line).Release()
			}
		})
	}
}
