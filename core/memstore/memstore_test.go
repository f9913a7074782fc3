package memstore_test

import (
	"testing"
	"time"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/memstore"
	"github.com/wxlogin/wxlogin/internal/storetest"
)

func TestMemoryStoreKeepsDeletesFinal(t *testing.T) {
	storetest.FinalDeletes(t, memstore.New())
}

func TestMemoryStoreForgetsExpired(t *testing.T) {
	m := memstore.New()
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

func TestInterfaces(t *testing.T) {
	var s any = memstore.New()
	if _, ok := s.(core.ForwardingStore); !ok {
		t.Error("not a core.ForwardingStore")
	}
}
