package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkSignInServers drives reference servers that run as processes of
// their own, typically two builds of this package (the code before a
// change and after it) on one PostgreSQL, with first SMS sign-ins at 16
// clients. The servers take turns in slices of 100 sign-ins, the order
// swapped every round, so that both see the same load on the machine. It
// reports each server's sign-ins/s, its CPU and its PostgreSQL backends'
// CPU per sign-in (read from /proc), and the ratio of the last server's
// sign-ins/s to the first's.
//
// AUTHKIT_BENCH_SERVERS lists the servers, space-separated, each as
// name,pid,base: base is the API root (http://host:port/api/v0/sdk/{env});
// pid is the server's process (0: CPU not measured). The PostgreSQL CPU is
// that of the backends whose application_name is the server's name, found
// through AUTHKIT_TEST_POSTGRES. Skipped without AUTHKIT_BENCH_SERVERS.
// examples/server/testdata/pgpaired.sh builds two commits, starts them and
// runs this benchmark.
func BenchmarkSignInServers(b *testing.B) {
	spec := os.Getenv("AUTHKIT_BENCH_SERVERS")
	if spec == "" {
		b.Skip("AUTHKIT_BENCH_SERVERS is not set")
	}
	type target struct {
		name, origin, base string
		pid                int
		n                  int
		elapsed            time.Duration
		cpu, pgCPU         time.Duration
	}
	var targets []*target
	for _, f := range strings.Fields(spec) {
		parts := strings.SplitN(f, ",", 3)
		if len(parts) != 3 {
			b.Fatalf("AUTHKIT_BENCH_SERVERS: %q is not name,pid,base", f)
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil {
			b.Fatalf("AUTHKIT_BENCH_SERVERS: %q: %v", f, err)
		}
		u, err := url.Parse(parts[2])
		if err != nil {
			b.Fatal(err)
		}
		targets = append(targets, &target{name: parts[0], pid: pid, base: parts[2], origin: u.Scheme + "://" + u.Host})
	}
	var pg *pgx.Conn
	if dsn := os.Getenv("AUTHKIT_TEST_POSTGRES"); dsn != "" {
		var err error
		if pg, err = pgx.Connect(context.Background(), dsn); err != nil {
			b.Fatal(err)
		}
		defer pg.Close(context.Background())
	}
	const clients, slice = 16, 100
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()
	run := func(t *target, n int) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := signInOverHTTP(client, t.origin, t.base, pairedNumber(t.name)); err != nil {
						errs <- fmt.Errorf("%s: %w", t.name, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	for _, t := range targets { // warm up: connections, pools, prepared statements
		if err := run(t, 2*clients); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for round, done := 0, 0; done < b.N; round++ {
		n := min(slice, b.N-done)
		for i := range targets {
			t := targets[i]
			if round%2 == 1 {
				t = targets[len(targets)-1-i]
			}
			cpu0, pg0 := procCPU(b, t.pid), backendsCPU(b, pg, t.name)
			start := time.Now()
			if err := run(t, n); err != nil {
				b.Fatal(err)
			}
			t.elapsed += time.Since(start)
			t.cpu += procCPU(b, t.pid) - cpu0
			for pid, c := range backendsCPU(b, pg, t.name) {
				t.pgCPU += c - pg0[pid] // a backend started in the slice counts whole
			}
			t.n += n
		}
		done += n
	}
	b.StopTimer()
	for _, t := range targets {
		b.ReportMetric(float64(t.n)/t.elapsed.Seconds(), t.name+"-signins/s")
		if t.pid != 0 {
			b.ReportMetric(float64(t.cpu.Microseconds())/float64(t.n), t.name+"-cpu-µs/signin")
		}
		if pg != nil {
			b.ReportMetric(float64(t.pgCPU.Microseconds())/float64(t.n), t.name+"-pgcpu-µs/signin")
		}
	}
	first, last := targets[0], targets[len(targets)-1]
	b.ReportMetric((float64(last.n)/last.elapsed.Seconds())/(float64(first.n)/first.elapsed.Seconds()), last.name+"/"+first.name)
}

// pairedSeq numbers each server's sign-ins, so that every server gets the
// same sequence of new numbers.
var pairedSeq sync.Map // name → *atomic.Int64

// pairedNumber returns the next unused valid US number (national form)
// for the server called name, starting at a point drawn from the clock so
// that runs against long-lived servers do not reuse numbers.
func pairedNumber(name string) string {
	v, loaded := pairedSeq.LoadOrStore(name, new(atomic.Int64))
	seq := v.(*atomic.Int64)
	if !loaded {
		seq.CompareAndSwap(0, pairedStart)
	}
	for {
		if nat, ok := benchNumber(seq.Add(1)); ok {
			return nat
		}
	}
}

// pairedStart is where every server's number sequence begins in this
// process.
var pairedStart = time.Now().Unix() % 8_000_000

// procCPU is the user+system CPU time of process pid so far (0 for pid 0).
func procCPU(b *testing.B, pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, err := cpuOf(pid)
	if err != nil {
		b.Fatalf("CPU of process %d: %v", pid, err)
	}
	return d
}

// cpuOf reads the user+system CPU time of process pid from /proc.
func cpuOf(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses:
	// utime and stime are the 12th and 13th, in clock ticks (USER_HZ,
	// 100 on Linux).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// backendsCPU is the CPU time so far of each PostgreSQL backend whose
// application_name is name, by process id (none without a connection).
func backendsCPU(b *testing.B, pg *pgx.Conn, name string) map[int32]time.Duration {
	if pg == nil {
		return nil
	}
	rows, err := pg.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, name)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	cpu := make(map[int32]time.Duration, len(pids))
	for _, pid := range pids {
		if d, err := cpuOf(int(pid)); err == nil { // else it has just exited
			cpu[pid] = d
		}
	}
	return cpu
}
