package core_test

import (
	"testing"

	"github.com/wxlogin/wxlogin/core"
	"github.com/wxlogin/wxlogin/core/linkstore"
	"github.com/wxlogin/wxlogin/internal/linktest"
)

// The contract of account linking, on a linkstore.Memory reached by
// several instances.
func TestAccountsMemory(t *testing.T) {
	linktest.Run(t, func(t *testing.T) []core.LinkStore {
		st := linkstore.NewMemory()
		return []core.LinkStore{st, st}
	})
}
