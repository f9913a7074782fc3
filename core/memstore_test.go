package core_test

import (
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/internal/storetest"
)

func TestMemoryStoreKeepsDeletesFinal(t *testing.T) {
	storetest.FinalDeletes(t, core.NewMemoryStore())
}

func TestMemoryStoreForgetsExpired(t *testing.T) {
	m := core.NewMemoryStore()
	m.Commit("a", []byte("x"), time.Now().Add(-time.Second)) // the first call sweeps; this one is expired already
	m.Commit("b", []byte("y"), time.Now().Add(time.Hour))
	if _, ok, _ := m.Find("a"); ok {
		t.Error("an expired session was found")
	}
	all, _ := m.All()
	if len(all) != 1 || string(all["b"]) != "y" {
		t.Errorf("All = %q", all)
	}
}

func TestNewReplacesTheDefaultMemstore(t *testing.T) {
	e := newEnv(t) // sets scs' memstore
	if _, ok := e.sm.Store.(*core.MemoryStore); !ok {
		t.Fatalf("store %T, want *core.MemoryStore", e.sm.Store)
	}
}
