// Package examples holds the tests of the example apps (nethttp, gin,
// fiber): each is built and started as a real process, pointed at the
// fake WeChat through its environment, and driven through the whole
// contract of README.md; a browser test clicks through one in dev mode.
package examples
