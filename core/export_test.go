package core

import (
	"encoding/gob"
	"sync"
	"time"
)

// SetRetryBackoff shortens the wait between retries for a test and
// returns a function that restores it.
func SetRetryBackoff(d time.Duration) (restore func()) {
	old := retryBackoff
	retryBackoff = d
	return func() { retryBackoff = old }
}

var registerApp sync.Once

func gobRegisterOnce() { registerApp.Do(func() { gob.Register(appValue{}) }) }
