package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

// Summary counts what ReadPcap saw.
type Summary struct {
	// Packets is every packet (record) read, CARP or not.
	Packets int
	// CARP counts IPv4/IPv6 packets of protocol 112, malformed ones
	// included. (VRRP uses 112 too: its packets show up as malformed or
	// with version 3.)
	CARP int
	// ChecksumBad counts decoded adverts whose IPv4 header checksum or
	// CARP checksum is wrong.
	ChecksumBad int
	// AuthOK, AuthSecure and AuthBad count decoded adverts whose digest
	// was checked (a password and the VIPs were given): the compatible
	// HMAC-SHA1 digest matched, gocarp's secure-mode digest matched, or
	// neither did.
	AuthOK, AuthSecure, AuthBad int
	// Malformed counts protocol-112 packets that could not be decoded as
	// a CARP advertisement (too short, bad IP header, later fragment).
	Malformed int
}

// String is a one-line account, for the end of a run.
func (s Summary) String() string {
	auth := fmt.Sprintf("auth %d ok / %d bad", s.AuthOK, s.AuthBad)
	if s.AuthSecure > 0 {
		auth = fmt.Sprintf("auth %d ok / %d secure / %d bad", s.AuthOK, s.AuthSecure, s.AuthBad)
	}
	return fmt.Sprintf("%d packets, %d CARP (%d malformed), %d bad checksum, %s",
		s.Packets, s.CARP, s.Malformed, s.ChecksumBad, auth)
}

// Auth results, as printed.
const (
	authOK        = "ok"
	authSecure    = "secure" // gocarp's secure-mode digest (hmac.NewSecureSigner)
	authBad       = "bad"
	authUnchecked = "unchecked"
)

// Hints written once to Options.Stderr.
const (
	hintNeedVIPs = "carpd inspect: -a VIP needed to check the digest (the HMAC covers the group's virtual addresses); auth shown as unchecked\n"
	hintNoMatch  = "carpd inspect: no digest matched: check the password, and that -a lists every VIP of the group (BSD peers hash all of them)\n"
)

// timeLayout is RFC 3339 with microseconds, as captures carry them.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// record is one JSON output line. The field order is the output order.
type record struct {
	Time    string `json:"time"`
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	TTL     uint8  `json:"ttl"`
	Version uint8  `json:"version"`
	Type    uint8  `json:"type"`
	VHID    uint8  `json:"vhid"`
	AdvBase uint8  `json:"advbase"`
	AdvSkew uint8  `json:"advskew"`
	Demote  uint8  `json:"demote"`
	Counter string `json:"counter"`
	CksumOK bool   `json:"cksum_ok"`
	Auth    string `json:"auth"`
}

// engine decodes, verifies and prints packets; ReadPcap and Live feed it.
type engine struct {
	opts    Options
	w       io.Writer
	stderr  io.Writer
	signers map[uint8]signerPair // one per VHID seen: the VHID is hashed
	sum     Summary
	hinted  map[string]bool
	line    []byte
}

func newEngine(opts Options, w io.Writer) (*engine, error) {
	if opts.Password != nil {
		// Refuse a bad password or VIP before any output, not per packet.
		if _, err := hmac.NewSigner(opts.Password, 0, opts.VIPs); err != nil {
			return nil, fmt.Errorf("inspect: %w", err)
		}
	}
	e := &engine{opts: opts, w: w, stderr: opts.Stderr, signers: map[uint8]signerPair{}, hinted: map[string]bool{}}
	if e.stderr == nil {
		e.stderr = os.Stderr
	}
	return e, nil
}

// hint writes msg to stderr the first time only.
func (e *engine) hint(msg string) {
	if e.hinted[msg] {
		return
	}
	e.hinted[msg] = true
	_, _ = io.WriteString(e.stderr, msg)
}

// finish gives the end-of-run hint for the "bad digest" hunt.
func (e *engine) finish() {
	if e.sum.AuthBad > 0 && e.sum.AuthOK == 0 && e.sum.AuthSecure == 0 {
		e.hint(hintNoMatch)
	}
}

// isCARP reports whether the IP packet says it carries protocol 112.
// Anything else is skipped, not reported.
func isCARP(ip []byte) bool {
	if len(ip) == 0 {
		return false
	}
	switch ip[0] >> 4 {
	case 4:
		return len(ip) > 9 && ip[9] == wire.ProtocolNumber
	case 6:
		return len(ip) > 6 && ip[6] == wire.ProtocolNumber
	}
	return false
}

// ipHeader extracts what a malformed line can still show.
func ipHeader(ip []byte) (src, dst netip.Addr, ttl uint8) {
	switch {
	case ip[0]>>4 == 4 && len(ip) >= wire.IPv4HeaderLen:
		return netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20])), ip[8]
	case ip[0]>>4 == 6 && len(ip) >= wire.IPv6HeaderLen:
		return netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), ip[7]
	}
	return netip.Addr{}, netip.Addr{}, 0
}

// handle inspects one IP packet. snapped says the capture kept fewer
// bytes than were on the wire. Only a write error is returned.
func (e *engine) handle(ts time.Time, ip []byte, snapped bool) error {
	if !isCARP(ip) {
		return nil
	}
	e.sum.CARP++
	var p wire.Packet
	err := p.UnmarshalBinary(ip)
	if err == nil && ip[0]>>4 == 4 && len(ip) >= wire.IPv4HeaderLen && (ip[6]&0x1f != 0 || ip[7] != 0) {
		// A later fragment's payload is not a CARP header. Real adverts
		// are never fragmented (56 bytes, DF).
		err = errors.New("IPv4 fragment at a non-zero offset")
	}
	if err != nil {
		e.sum.Malformed++
		reason := err.Error()
		if snapped && errors.Is(err, wire.ErrTooShort) {
			reason = "capture cut short by its snap length (capture with tcpdump -s 0): " + reason
		}
		return e.writeMalformed(ts, ip, reason)
	}

	cksumOK := p.IPChecksumOK && p.ChecksumOK
	if !cksumOK {
		e.sum.ChecksumBad++
	}
	auth := authUnchecked
	switch {
	case e.opts.Password != nil && len(e.opts.VIPs) > 0:
		s, ss, err := e.signer(p.Advert.VHID)
		if err != nil {
			return err
		}
		switch {
		case s.Verify(p.Advert.Counter, p.Advert.Digest[:]):
			auth = authOK
			e.sum.AuthOK++
		case ss.VerifyFields(p.Advert.Fields(), p.Src, p.Advert.Counter, p.Advert.Digest[:]):
			auth = authSecure
			e.sum.AuthSecure++
		default:
			auth = authBad
			e.sum.AuthBad++
		}
	case e.opts.Password != nil:
		e.hint(hintNeedVIPs)
	}

	a := &p.Advert
	if e.opts.JSON {
		return e.writeJSON(record{
			Time: ts.UTC().Format(timeLayout), Src: p.Src.String(), Dst: p.Dst.String(), TTL: p.TTL,
			Version: a.Version, Type: a.Type, VHID: a.VHID, AdvBase: a.AdvBase, AdvSkew: a.AdvSkew, Demote: a.Demote,
			Counter: fmt.Sprintf("%016x", a.Counter), CksumOK: cksumOK, Auth: auth,
		})
	}
	b := e.line[:0]
	b = ts.UTC().AppendFormat(b, timeLayout)
	b = fmt.Appendf(b, " %v > %v ttl %d CARPv%d ", p.Src, p.Dst, p.TTL, a.Version)
	if a.Type == wire.TypeAdvertisement {
		b = append(b, "advert"...)
	} else {
		b = fmt.Appendf(b, "type %d", a.Type)
	}
	b = fmt.Appendf(b, " vhid %d advbase %d advskew %d demote %d counter %016x cksum %s auth %s\n",
		a.VHID, a.AdvBase, a.AdvSkew, a.Demote, a.Counter, cksumText(p.IPChecksumOK, p.ChecksumOK), auth)
	e.line = b
	_, err = e.w.Write(b)
	return err
}

// cksumText says which checksum is wrong: an operator needs to know
// whether the IP header or the CARP bytes were damaged.
func cksumText(ipOK, carpOK bool) string {
	switch {
	case ipOK && carpOK:
		return "ok"
	case carpOK:
		return "bad(ip)"
	case ipOK:
		return "bad(carp)"
	}
	return "bad(ip,carp)"
}

// signerPair is a VHID's compatible and secure-mode Signer.
type signerPair struct{ compat, secure *hmac.Signer }

// signer returns the compatible and the secure-mode Signer of vhid.
func (e *engine) signer(vhid uint8) (*hmac.Signer, *hmac.Signer, error) {
	if p, ok := e.signers[vhid]; ok {
		return p.compat, p.secure, nil
	}
	s, err := hmac.NewSigner(e.opts.Password, vhid, e.opts.VIPs)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect: %w", err)
	}
	ss, err := hmac.NewSecureSigner(e.opts.Password, vhid, e.opts.VIPs)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect: %w", err)
	}
	e.signers[vhid] = signerPair{s, ss}
	return s, ss, nil
}

func (e *engine) writeMalformed(ts time.Time, ip []byte, reason string) error {
	src, dst, ttl := ipHeader(ip)
	out := e.w
	if e.opts.JSON {
		// A JSON line has exactly the documented keys, which a packet
		// that is no advert cannot fill: report it on stderr instead,
		// so that nothing is lost silently.
		out = e.stderr
	}
	b := ts.UTC().AppendFormat(e.line[:0], timeLayout)
	if src.IsValid() {
		b = fmt.Appendf(b, " %v > %v ttl %d", src, dst, ttl)
	}
	b = fmt.Appendf(b, " CARP malformed: %s\n", reason)
	e.line = b
	_, err := out.Write(b)
	return err
}

func (e *engine) writeJSON(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = e.w.Write(append(b, '\n'))
	return err
}
