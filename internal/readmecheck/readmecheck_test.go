package readmecheck

import (
	"errors"
	"testing"
)

func TestRegions(t *testing.T) {
	src := "package x\n\n\t// README begin\n\nfunc a() {}\n\n\t// README end\nfunc b() {}\n// README begin\nfunc c() {\n}\n// README end\n"
	got, err := Regions(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "func a() {}\n" || got[1] != "func c() {\n}\n" {
		t.Errorf("Regions = %q", got)
	}
	for _, bad := range []string{"// README begin\n", "// README end\n", "// README begin\n// README begin\n// README end\n"} {
		var me *MarkerError
		if _, err := Regions(bad); !errors.As(err, &me) {
			t.Errorf("Regions(%q): %v, want a *MarkerError", bad, err)
		}
	}
}
