// Package integration holds carpd's end-to-end tests: real carpd
// processes (and Debian's ucarp, where installed) run inside the network
// namespaces of an internal/netns LAN, a client namespace checks that the
// virtual IP answers, and crafted adverts are injected from a raw socket.
//
// The package has no code of its own, only tests. They need root; without
// it every test skips. TestMain builds cmd/carpd once (with -race when the
// tests run with -race) and every node runs that binary:
//
//	sudo go test -race -count=1 ./internal/integration
//
// Every wait is for a condition with a generous deadline ("converged":
// exactly one host holds the VIP, the expected one, and keeps it); nothing
// asserts how fast something happened.
package integration
