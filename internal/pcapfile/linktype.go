package pcapfile

// LinkType is a LINKTYPE_ value of the tcpdump.org registry: the framing
// of every packet of a pcap file, or of one pcapng interface.
type LinkType uint16

// The link types "carpd inspect" decodes, and a few common ones it does
// not, for their names. The Go names follow tcpdump's DLT_ names.
const (
	LinkTypeNull      LinkType = 0   // DLT_NULL: BSD loopback, family in host order
	LinkTypeEN10MB    LinkType = 1   // DLT_EN10MB: Ethernet
	LinkTypePPP       LinkType = 9   // DLT_PPP
	LinkTypeRawBSD    LinkType = 12  // DLT_RAW as most BSDs and Linux number it: old files carry it
	LinkTypeRawOpen   LinkType = 14  // DLT_RAW as OpenBSD numbers it
	LinkTypeRaw       LinkType = 101 // LINKTYPE_RAW: raw IPv4 or IPv6
	LinkTypeIEEE80211 LinkType = 105 // DLT_IEEE802_11
	LinkTypeLoop      LinkType = 108 // DLT_LOOP: OpenBSD loopback, family in network order
	LinkTypeLinuxSLL  LinkType = 113 // LINKTYPE_LINUX_SLL: tcpdump -i any
	LinkTypePFLog     LinkType = 117 // DLT_PFLOG
	LinkTypeRadiotap  LinkType = 127 // DLT_IEEE802_11_RADIO
	LinkTypeUSBLinux  LinkType = 220 // DLT_USB_LINUX_MMAPPED
	LinkTypeIPv4      LinkType = 228 // LINKTYPE_IPV4
	LinkTypeIPv6      LinkType = 229 // LINKTYPE_IPV6
	LinkTypeNFLog     LinkType = 239 // DLT_NFLOG
	LinkTypeLinuxSLL2 LinkType = 276 // LINKTYPE_LINUX_SLL2: tcpdump -i any, libpcap >= 1.10
)

// String is the name pcap_datalink_val_to_name gives, which tcpdump
// prints ("link-type EN10MB"), so that an operator can look it up in
// tcpdump's and Wireshark's documentation; "unknown" for the rest. A switch,
// not a table: the daemon links this package and pays for no init.
func (lt LinkType) String() string {
	switch lt {
	case LinkTypeNull:
		return "NULL"
	case LinkTypeEN10MB:
		return "EN10MB"
	case LinkTypePPP:
		return "PPP"
	case LinkTypeRawBSD, LinkTypeRawOpen, LinkTypeRaw:
		return "RAW"
	case LinkTypeIEEE80211:
		return "IEEE802_11"
	case LinkTypeLoop:
		return "LOOP"
	case LinkTypeLinuxSLL:
		return "LINUX_SLL"
	case LinkTypePFLog:
		return "PFLOG"
	case LinkTypeRadiotap:
		return "IEEE802_11_RADIO"
	case LinkTypeUSBLinux:
		return "USB_LINUX_MMAPPED"
	case LinkTypeIPv4:
		return "IPV4"
	case LinkTypeIPv6:
		return "IPV6"
	case LinkTypeNFLog:
		return "NFLOG"
	case LinkTypeLinuxSLL2:
		return "LINUX_SLL2"
	}
	return "unknown"
}
