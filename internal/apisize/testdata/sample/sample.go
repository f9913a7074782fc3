// Package sample has a known number of exported identifiers.
package sample

// A and B are constants; c is not exported.
const (
	A = 1
	B = 2
	c = 3
)

// V is a variable.
var V, w = 1, 2

// F is a function.
func F() {}

func g() {}

// T has two exported fields and one method.
type T struct {
	X, Y int
	z    int
}

// M is a method of an exported type.
func (T) M() {}

func (T) m() {}

// I is an interface type.
type I interface{}

type hidden struct{}

// N is exported but its type is not: not counted.
func (hidden) N() {}
