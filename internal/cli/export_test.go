package cli

// Internals the black-box tests use.
var (
	ReadPassword     = readPassword
	PassfileBuffer   = passfileBuffer
	MaxPassfileCount = maxPassfileCount
)
