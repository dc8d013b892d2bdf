//go:build js || wasip1

package secrets

import "os"

// openFlags: these ports have no O_NONBLOCK (nor named pipes to block on).
const openFlags = os.O_RDONLY
