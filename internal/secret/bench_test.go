package secret_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/secret"
)

// BenchmarkMaskTextHostile masks texts of 1 MiB and 8 MiB made of one
// unit repeated: tags that never close, quotes that never close, tags in
// values in tags, escaped tags. Linear cost shows as the same MB/s at
// both sizes.
func BenchmarkMaskTextHostile(b *testing.B) {
	for _, unit := range []string{
		`<input type=password value=`,
		`<a x='<a x="<b y='`,
		`\u003cinput type=\"password\" value=\"`,
		`&lt;meta name=&quot;csrf&quot; content=&quot;`,
		`setItem("token", "`,
		`password=`,
	} {
		for _, size := range []int{1 << 20, 8 << 20} {
			s := strings.Repeat(unit, size/len(unit))
			b.Run(fmt.Sprintf("%dMiB/%q", size>>20, unit), func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for i := 0; i < b.N; i++ {
					secret.MaskText(s)
				}
			})
		}
	}
}
