package inspect

import (
	"golang.org/x/net/bpf"
)

// filterSnapLen is what the filter keeps of an accepted packet: all of it
// (an advert is 56 or 76 bytes; anything longer is still shown whole).
const filterSnapLen = 1 << 16

// carpFilter is the classic BPF program for a cooked (SOCK_DGRAM) packet
// socket, where offset 0 is the IP header: it accepts IPv4 with protocol
// 112 and IPv6 with next header 112 and drops everything else in the
// kernel. loadProto must leave the packet's EtherType in A: the kernel
// program uses the SKF_AD_PROTOCOL extension, which x/net/bpf's VM does not
// run, so tests pass a constant instead.
func carpFilter(loadProto bpf.Instruction) []bpf.Instruction {
	return []bpf.Instruction{
		/* 0 */ loadProto,
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 2}, // else 4
		/* 2 */ bpf.LoadAbsolute{Off: 9, Size: 1}, // IPv4 protocol
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 112, SkipTrue: 3, SkipFalse: 4}, // 7 or 8
		/* 4 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv6, SkipFalse: 3}, // else 8
		/* 5 */ bpf.LoadAbsolute{Off: 6, Size: 1}, // IPv6 next header
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 112, SkipFalse: 1}, // else 8
		/* 7 */ bpf.RetConstant{Val: filterSnapLen},
		/* 8 */ bpf.RetConstant{Val: 0},
	}
}

// kernelFilter is carpFilter for the kernel, assembled.
func kernelFilter() ([]bpf.RawInstruction, error) {
	return bpf.Assemble(carpFilter(bpf.LoadExtension{Num: bpf.ExtProto}))
}
