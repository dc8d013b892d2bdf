//go:build !js && !wasip1

package secrets

import (
	"os"
	"syscall"
)

// openFlags opens a secret file for reading without blocking: a named pipe
// would otherwise block the open until a writer appears. Regular files read
// as usual; anything else is rejected after the open.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
