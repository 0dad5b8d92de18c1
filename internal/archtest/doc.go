// Package archtest holds repository-wide checks of the architecture: which
// packages may import what, and that every package is documented. It has no
// code of its own.
package archtest
