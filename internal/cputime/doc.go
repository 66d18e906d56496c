// Package cputime gives paired benchmarks a clock of the CPU time their
// own thread uses. On a machine shared with other work, wall time mostly
// measures the other work; a ratio of CPU times does not.
package cputime
