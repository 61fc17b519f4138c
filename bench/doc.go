// Package bench compares the async library with the libraries people would
// use instead. It is its own module so that those peers never enter the
// library's go.mod.
package bench
