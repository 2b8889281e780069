package afpacket

// Internals the black-box tests check against captures and the BPF VM.
var (
	Filter      = filter
	RejectAll   = rejectAll
	Destination = destination
	AppendFrame = appendFrame
	IPPacket    = ipPacket
)
