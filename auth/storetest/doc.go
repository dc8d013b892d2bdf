// Package storetest is the conformance suite of [auth.SessionStore]. Every
// backend runs it, and so can anyone writing another one:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) auth.SessionStore { return newStore(t) })
//	}
//
// [Unavailable] checks how a store behaves when its backend is down or
// hung (stopped or paused server): every call must fail with
// [auth.ErrStoreUnavailable] within its deadline.
//
// The suite uses times near the real clock (stores may use them for
// server-side TTLs) truncated to milliseconds, the precision stores must
// keep.
package storetest
