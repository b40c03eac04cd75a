package bulk_test

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/bulk"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// BenchmarkImport is the figure: 200 practices, 5,000 staff and 800
// enrolment rows into a fresh region, and the same at half size to show that
// memory does not follow file size. The files are generated into a pipe as
// the importer reads them, so no file is ever whole in memory; peak-heap-MiB
// is the largest HeapInuse sampled every 2 ms during the imports, less the
// heap before them.
//
//	go test ./models/bulk -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	for _, size := range []struct {
		name                         string
		practices, staff, enrolments int
	}{{"full", 200, 5000, 800}, {"half", 100, 2500, 400}} {
		b.Run(size.name, func(b *testing.B) {
			var phases [3]time.Duration
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				w := newWorld(b)
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapInuse
				var top atomic.Uint64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					var m runtime.MemStats
					tick := time.NewTicker(2 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							runtime.ReadMemStats(&m)
							if m.HeapInuse > top.Load() {
								top.Store(m.HeapInuse)
							}
						}
					}
				}()
				b.StartTimer()

				slugs := make([]string, size.practices)
				for i := range slugs {
					slugs[i] = dbtest.Slug(fmt.Sprintf("bench%d", i))
				}
				files := []struct {
					kind bulk.Kind
					gen  func(io.Writer)
				}{
					{bulk.Practices, func(out io.Writer) {
						fmt.Fprintln(out, "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email")
						for i, s := range slugs {
							fmt.Fprintf(out, "%s,%s,Whare Hauora %d,,,Pacific/Auckland,\"1 Te Ara, Ōtautahi\",kiaora@example.co.nz\n", w.pho.Slug, s, i)
						}
					}},
					{bulk.Staff, func(out io.Writer) {
						fmt.Fprintln(out, "email,name,practice_slug,roles,fte")
						for i := range size.staff {
							fmt.Fprintf(out, "kaimahi%d@example.co.nz,Kaimahi %d,%s,hip health_coach,0.%02d\n", i, i, slugs[i%len(slugs)], i%100)
						}
					}},
					{bulk.Enrolment, func(out io.Writer) {
						fmt.Fprintln(out, "practice_slug,quarter,ethnic_group,age_band,gender,nzdep_quintile,count")
						for i := range size.enrolments {
							fmt.Fprintf(out, "%s,FY2026-Q1,%s,%s,female,%d,%d\n", slugs[i/len(bulk.AgeBands)/len(bulk.EthnicGroups)%len(slugs)],
								bulk.EthnicGroups[i/len(bulk.AgeBands)%len(bulk.EthnicGroups)], bulk.AgeBands[i%len(bulk.AgeBands)], 1+i%5, i)
						}
					}},
				}
				for i, f := range files {
					pr, pw := io.Pipe()
					go func() { f.gen(pw); pw.Close() }()
					start := time.Now()
					res, err := w.im.Import(w.ctx, f.kind, pr)
					phases[i] += time.Since(start)
					if err != nil || !res.OK() {
						b.Fatalf("%s: %v %+v", f.kind, err, res.Problems)
					}
				}

				b.StopTimer()
				close(stop)
				<-done
				if t := top.Load(); t > base && t-base > peak {
					peak = t - base
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(phases[0].Seconds()/n, "practices-s")
			b.ReportMetric(phases[1].Seconds()/n, "staff-s")
			b.ReportMetric(phases[2].Seconds()/n, "enrolment-s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
