// Package storetest checks that an scs session store keeps deletes final
// (core.FinalDeleteStore): the contract that makes a logout hold against
// requests that loaded the session before it and commit after it.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core"
)

// FinalDeletes runs the contract's checks against store, a fresh store
// (or one whose keys do not collide with the tokens used here).
func FinalDeletes(t *testing.T, store scs.Store) {
	t.Helper()
	if _, ok := store.(core.FinalDeleteStore); !ok {
		t.Errorf("%T does not implement core.FinalDeleteStore", store)
	}
	prefix := fmt.Sprintf("storetest-%d-", time.Now().UnixNano())
	later := time.Now().Add(time.Hour)

	t.Run("commit, find, delete", func(t *testing.T) {
		tok := prefix + "a"
		mustCommit(t, store, tok, []byte("one"), later)
		wantFound(t, store, tok, "one")
		mustCommit(t, store, tok, []byte("two"), later)
		wantFound(t, store, tok, "two")
		if err := store.Delete(tok); err != nil {
			t.Fatal(err)
		}
		wantGone(t, store, tok)
	})

	t.Run("a deleted token is never written again", func(t *testing.T) {
		tok := prefix + "b"
		mustCommit(t, store, tok, []byte("logged in"), later)
		if err := store.Delete(tok); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, store, tok, []byte("written back by a late request"), later)
		wantGone(t, store, tok)
		if err := store.Delete(tok); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		wantGone(t, store, tok)
	})

	t.Run("deleting an unknown token leaves it free", func(t *testing.T) {
		tok := prefix + "c"
		if err := store.Delete(tok); err != nil {
			t.Fatal(err)
		}
		mustCommit(t, store, tok, []byte("new"), later)
		wantFound(t, store, tok, "new")
	})

	t.Run("expiry", func(t *testing.T) {
		tok := prefix + "d"
		mustCommit(t, store, tok, []byte("brief"), time.Now().Add(300*time.Millisecond))
		wantFound(t, store, tok, "brief")
		time.Sleep(400 * time.Millisecond)
		wantGone(t, store, tok)
	})

	t.Run("a tombstone outlives the session's idle time", func(t *testing.T) {
		// Under an IdleTimeout a session's remaining lifetime can be
		// short; a request that loaded it before the delete may commit
		// after that time.
		tok := prefix + "idle"
		mustCommit(t, store, tok, []byte("logged in"), time.Now().Add(200*time.Millisecond))
		if err := store.Delete(tok); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		mustCommit(t, store, tok, []byte("written back by a slow request"), time.Now().Add(time.Hour))
		wantGone(t, store, tok)
	})

	if fs, ok := store.(core.ForwardingStore); ok {
		t.Run("a note in place of a deleted session", func(t *testing.T) {
			ctx := context.Background()
			tok := prefix + "note"
			mustCommit(t, store, tok, []byte("pre-login"), later)
			if err := fs.DeleteWithNote(ctx, tok, []byte("first note"), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			wantFound(t, store, tok, "first note")
			if err := fs.DeleteWithNote(ctx, tok, []byte("note"), time.Now().Add(300*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			wantFound(t, store, tok, "note")
			if err := store.Delete(tok); err != nil { // renewing the id deletes it again: the note stays
				t.Fatal(err)
			}
			mustCommit(t, store, tok, []byte("written back"), later)
			wantFound(t, store, tok, "note")
			time.Sleep(400 * time.Millisecond)
			wantGone(t, store, tok) // the note is gone, the tombstone stays
			mustCommit(t, store, tok, []byte("written back"), later)
			wantGone(t, store, tok)
		})
	}

	t.Run("a delete racing commits wins", func(t *testing.T) {
		const trials, writers = 20, 8
		for i := range trials {
			tok := fmt.Sprintf("%srace-%d", prefix, i)
			mustCommit(t, store, tok, []byte("logged in"), later)
			var wg sync.WaitGroup
			start := make(chan struct{})
			var deleted sync.WaitGroup
			deleted.Add(1)
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for range 10 {
						if err := store.Commit(tok, []byte("written back"), later); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			go func() {
				defer deleted.Done()
				<-start
				if err := store.Delete(tok); err != nil {
					t.Error(err)
				}
			}()
			close(start)
			deleted.Wait()
			wg.Wait()
			wantGone(t, store, tok)
		}
	})
}

func mustCommit(t *testing.T, store scs.Store, token string, b []byte, expiry time.Time) {
	t.Helper()
	if err := store.Commit(token, b, expiry); err != nil {
		t.Fatalf("commit %s: %v", token, err)
	}
}

func wantFound(t *testing.T, store scs.Store, token, want string) {
	t.Helper()
	b, ok, err := store.Find(token)
	if err != nil || !ok || !bytes.Equal(b, []byte(want)) {
		t.Fatalf("find %s = %q, %v, %v; want %q", token, b, ok, err, want)
	}
}

func wantGone(t *testing.T, store scs.Store, token string) {
	t.Helper()
	b, ok, err := store.Find(token)
	if err != nil || ok {
		t.Fatalf("find %s = %q, %v, %v; want not found", token, b, ok, err)
	}
}
