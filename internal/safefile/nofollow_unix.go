//go:build unix

package safefile

import "syscall"

// oNoFollow makes the final open refuse a symbolic link even if one appeared
// after the checks.
const oNoFollow = syscall.O_NOFOLLOW
