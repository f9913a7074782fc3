package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/internal/logtest"
	"github.com/wxlogin/wxlogin/internal/redistest"
)

// checkStore runs the store's contract on two stores of url: caching,
// invalidation across instances, read-your-writes, tombstones, and the
// shared exchange.
func checkStore(t *testing.T, url string) {
	t.Helper()
	a, b := open(t, url), open(t, url)
	exp := time.Now().Add(time.Hour)
	for i := range 20 { // keys spread over the cluster's slots
		tok := fmt.Sprint("topo", i)
		if err := a.Commit(tok, []byte("v1"), exp); err != nil {
			t.Fatal(err)
		}
		if v, _ := mustFind(t, a, tok); v != "v1" {
			t.Fatalf("%s: A reads %q", tok, v)
		}
		if v, _ := mustFind(t, b, tok); v != "v1" {
			t.Fatalf("%s: B reads %q", tok, v)
		}
		eventually(t, "B caches "+tok, func() bool { mustFind(t, b, tok); return cached(b, tok) })
		if err := a.Commit(tok, []byte("v2"), exp); err != nil {
			t.Fatal(err)
		}
		if v, _ := mustFind(t, a, tok); v != "v2" {
			t.Fatalf("%s: A reads %q after its own Commit", tok, v)
		}
		eventually(t, "B sees A's change of "+tok, func() bool { v, _ := mustFind(t, b, tok); return v == "v2" })
		if err := b.Delete(tok); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(tok, []byte("stale"), exp); err != nil {
			t.Fatal(err)
		}
		eventually(t, "A sees B's deletion of "+tok, func() bool { _, ok := mustFind(t, a, tok); return !ok })
	}
	x := NewExchanges(a.Client(), ExchangeOptions{})
	y := NewExchanges(b.Client(), ExchangeOptions{})
	v, err := x.Share(context.Background(), "app:s", func(context.Context) ([]byte, error) { return []byte("r"), nil })
	if err != nil || string(v) != "r" {
		t.Fatal(v, err)
	}
	v, err = y.Share(context.Background(), "app:s", func(context.Context) ([]byte, error) { return []byte("again"), nil })
	if err != nil || string(v) != "r" {
		t.Errorf("second instance: %q %v, want the first one's result", v, err)
	}
}

// A Redis Cluster of three masters, addressed by a URL listing its nodes.
func TestCluster(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("no redis-cli to create the cluster")
	}
	var nodes []*redistest.Server
	for range 3 {
		nodes = append(nodes, redistest.Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"))
	}
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node must agree the cluster is up, and a write to every slot
	// the test uses must go through: node 0 saying "ok" first is not
	// enough (CLUSTERDOWN on another node).
	for _, n := range nodes {
		host, port, _ := strings.Cut(n.Addr(), ":")
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not come up on %s:\n%s", n.Addr(), out)
			}
		}
	}
	url := "redis://" + nodes[0].Addr() + "?addr=" + nodes[1].Addr() + "&addr=" + nodes[2].Addr()
	s := open(t, url)
	for i := range 20 {
		eventually(t, "the cluster takes writes", func() bool {
			return s.Commit(fmt.Sprint("topo", i), []byte("probe"), time.Now().Add(time.Minute)) == nil
		})
	}
	if n := len(s.Client().Nodes()); n != 3 {
		t.Fatalf("a cluster client with %d nodes, want 3", n)
	}
	checkStore(t, url)
}

// Sentinel: the URL names the sentinels and the master set.
func TestSentinel(t *testing.T) {
	master := redistest.Start(t)
	dir := t.TempDir()
	host, port, _ := strings.Cut(master.Addr(), ":")
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("sentinel monitor wxmaster %s %s 1\n", host, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	saddr := redistest.FreeAddr(t)
	shost, sport, _ := strings.Cut(saddr, ":")
	log := &logtest.Buffer{}
	exe, _ := exec.LookPath("redis-server") // redistest.Start found it
	cmd := exec.Command(exe, conf, "--sentinel", "--bind", shost, "--port", sport, "--dir", dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); !redistest.Ping(saddr); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server --sentinel did not start:\n%s", log)
		}
	}
	url := "redis://" + saddr + "?master_set=wxmaster"
	checkStore(t, url)
	// The data is on the master the sentinel named.
	s := open(t, master.URL())
	if err := s.Commit("via-master", []byte("m"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustFind(t, open(t, url), "via-master"); v != "m" {
		t.Errorf("through the sentinel: %q", v)
	}
}

// A Cluster with replicas: a hung replica, which the cache never reads,
// leaves the cache on; a hung primary turns it off, which is logged, and
// its return turns it on again.
func TestHeartbeatSkipsReplicas(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("no redis-cli to create the cluster")
	}
	byAddr := map[string]*redistest.Server{}
	args := []string{"--cluster", "create"}
	for range 6 {
		n := redistest.Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
		byAddr[n.Addr()] = n
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for addr := range byAddr {
		host, port, _ := strings.Cut(addr, ":")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not come up on %s:\n%s", addr, out)
			}
		}
	}
	// Every replica known to the Cluster and in sync, so that the
	// topology the client reads at start lists it.
	for addr := range byAddr {
		host, port, _ := strings.Cut(addr, ":")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "slots").Output()
			if strings.Count(string(out), "\n"+host+"\n") == 6 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s does not list the replicas:\n%s", addr, out)
			}
		}
	}
	for addr := range byAddr {
		host, port, _ := strings.Cut(addr, ":")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, _ := exec.Command(cli, "-h", host, "-p", port, "role").Output()
			if strings.HasPrefix(string(out), "master") || strings.Contains(string(out), "\nconnected\n") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s not in sync:\n%s", addr, out)
			}
		}
	}
	var url string
	for addr := range byAddr {
		if url == "" {
			url = "redis://" + addr + "?"
		} else {
			url += "&addr=" + addr
		}
	}
	logs := &logtest.Buffer{}
	s, err := Open(url, Options{Timeout: 300 * time.Millisecond, MaxStale: 400 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if n := len(s.Client().Nodes()); n != 6 {
		t.Fatalf("the client knows %d nodes, want 6", n)
	}
	eventually(t, "the cache is on", s.beat)
	primaries := s.cacheNodes()
	if len(primaries) != 3 {
		t.Fatalf("%d nodes carry the cache, want the 3 primaries", len(primaries))
	}
	var replica, primary *redistest.Server
	for addr, n := range byAddr {
		if _, ok := primaries[addr]; ok {
			primary = n
		} else {
			replica = n
		}
	}
	replica.Pause()
	if !s.beat() {
		t.Error("a hung replica turned the cache off")
	}
	replica.Resume()
	primary.Pause()
	eventually(t, "the cache is off, and logged", func() bool {
		s.beat()
		return !s.cacheFresh() && strings.Contains(logs.String(), "the session cache is off")
	})
	primary.Resume()
	eventually(t, "the cache is on again, and logged", func() bool {
		return s.beat() && strings.Contains(logs.String(), "the session cache is on again")
	})
}
