package deps

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCheckLargeLockfile reads a package-lock.json of 50,000 packages
// and checks it against 10,000 npm advisories (a large ecosystem export):
// what deps check does on a monorepo.
func BenchmarkCheckLargeLockfile(b *testing.B) {
	dir := b.TempDir()
	pkgs := map[string]any{"": map[string]any{"name": "app"}}
	for i := range 50_000 {
		pkgs[fmt.Sprintf("node_modules/pkg-%d", i)] = map[string]any{"version": fmt.Sprintf("1.%d.%d", i%50, i%7)}
	}
	lb, _ := json.Marshal(map[string]any{"lockfileVersion": 3, "packages": pkgs})
	lock := filepath.Join(dir, "package-lock.json")
	os.WriteFile(lock, lb, 0o644)
	var advs []*Advisory
	for i := range 10_000 {
		advs = append(advs, &Advisory{ID: fmt.Sprintf("GHSA-%d", i), Affected: []Affected{{
			Package: Package{Ecosystem: NPM, Name: fmt.Sprintf("pkg-%d", i*5)},
			Ranges:  []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}, {Fixed: "1.25.0"}}}},
		}}})
	}
	b.ReportMetric(float64(len(lb))/(1<<20), "lockfile-MB")
	for b.Loop() {
		lf, err := ReadLockfile(lock)
		if err != nil {
			b.Fatal(err)
		}
		rep := Check([]*Lockfile{lf}, &AdvisorySet{List: advs, Read: len(advs)})
		if len(rep.Findings) == 0 {
			b.Fatal("nothing found")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/check")
}
