package transports

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net"
	"strings"
)

// TLSCipher is get_extra_info("cipher"), Python's SSLSocket.cipher()
// triple: OpenSSL's name of the cipher suite ("TLS_AES_128_GCM_SHA256",
// "ECDHE-RSA-AES128-GCM-SHA256"), the protocol version that defines it
// ("TLSv1.3", "TLSv1.2", "TLSv1.0" or "SSLv3", as OpenSSL's
// SSL_CIPHER_get_version), and its secret bits.
type TLSCipher struct {
	Name    string
	Version string
	Bits    int
}

// SSLObject is get_extra_info("ssl_object"): what Python's SSLObject tells
// about an established TLS connection.
type SSLObject struct {
	state          tls.ConnectionState
	serverSide     bool
	serverHostname string
	verifiesPeer   bool // the config verifies the peer's certificate
}

func newSSLObject(state tls.ConnectionState, serverSide bool, serverHostname string, cfg *tls.Config) *SSLObject {
	return &SSLObject{state: state, serverSide: serverSide, serverHostname: serverHostname, verifiesPeer: verifiesPeer(cfg, serverSide)}
}

// verifiesPeer is Python's verify_mode != CERT_NONE for a config: a client
// that does not skip verification, a server that verifies client
// certificates, or either with its own verification callback.
func verifiesPeer(cfg *tls.Config, serverSide bool) bool {
	if cfg.VerifyPeerCertificate != nil || cfg.VerifyConnection != nil {
		return true
	}
	if serverSide {
		return cfg.ClientAuth == tls.VerifyClientCertIfGiven || cfg.ClientAuth == tls.RequireAndVerifyClientCert
	}
	return !cfg.InsecureSkipVerify
}

// Version returns the negotiated protocol version as Python names it:
// "TLSv1.3", "TLSv1.2", "TLSv1.1" or "TLSv1".
func (o *SSLObject) Version() string { return tlsVersionName(o.state.Version) }

// SelectedALPNProtocol returns the protocol ALPN negotiated, "" when none
// was (Python's None).
func (o *SSLObject) SelectedALPNProtocol() string { return o.state.NegotiatedProtocol }

// Cipher returns the cipher suite (Python's cipher()).
func (o *SSLObject) Cipher() TLSCipher { return cipherInfo(o.state.CipherSuite) }

// PeerCert returns the peer's certificate as Python's getpeercert() does
// (see CertificateInfo): nil when the peer sent none, and, as with
// Python's CERT_NONE, an empty map when the config does not verify it
// (InsecureSkipVerify without a verification callback, or a server that
// requests but does not verify client certificates).
func (o *SSLObject) PeerCert() map[string]any {
	if len(o.state.PeerCertificates) == 0 {
		return nil
	}
	if !o.verifiesPeer {
		return map[string]any{}
	}
	return CertificateInfo(o.state.PeerCertificates[0])
}

// PeerCertDER returns the peer's certificate in DER form (Python's
// getpeercert(True)), nil when it sent none.
func (o *SSLObject) PeerCertDER() []byte {
	if len(o.state.PeerCertificates) == 0 {
		return nil
	}
	return o.state.PeerCertificates[0].Raw
}

// ServerSide reports whether this end is the TLS server.
func (o *SSLObject) ServerSide() bool { return o.serverSide }

// ServerHostname returns the name a client checked the server against, ""
// on the server side.
func (o *SSLObject) ServerHostname() string { return o.serverHostname }

// ConnectionState returns crypto/tls's description of the connection.
func (o *SSLObject) ConnectionState() tls.ConnectionState { return o.state }

// tlsVersionName is Python's SSLSocket.version() for a protocol version.
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return fmt.Sprintf("unknown (0x%04x)", v)
}

// opensslCiphers are OpenSSL's names, defining versions and bits for the
// cipher suites crypto/tls implements.
var opensslCiphers = map[uint16]TLSCipher{
	tls.TLS_AES_128_GCM_SHA256:                        {"TLS_AES_128_GCM_SHA256", "TLSv1.3", 128},
	tls.TLS_AES_256_GCM_SHA384:                        {"TLS_AES_256_GCM_SHA384", "TLSv1.3", 256},
	tls.TLS_CHACHA20_POLY1305_SHA256:                  {"TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3", 256},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLSv1.2", 256},
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         {"ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", 128},
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         {"ECDHE-RSA-AES256-GCM-SHA384", "TLSv1.2", 256},
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLSv1.2", 256},
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   {"ECDHE-RSA-CHACHA20-POLY1305", "TLSv1.2", 256},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       {"ECDHE-ECDSA-AES128-SHA256", "TLSv1.2", 128},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         {"ECDHE-RSA-AES128-SHA256", "TLSv1.2", 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          {"ECDHE-ECDSA-AES128-SHA", "TLSv1.0", 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          {"ECDHE-ECDSA-AES256-SHA", "TLSv1.0", 256},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            {"ECDHE-RSA-AES128-SHA", "TLSv1.0", 128},
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            {"ECDHE-RSA-AES256-SHA", "TLSv1.0", 256},
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           {"ECDHE-RSA-DES-CBC3-SHA", "TLSv1.0", 112},
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:              {"ECDHE-ECDSA-RC4-SHA", "TLSv1.0", 128},
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA:                {"ECDHE-RSA-RC4-SHA", "TLSv1.0", 128},
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               {"AES128-GCM-SHA256", "TLSv1.2", 128},
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               {"AES256-GCM-SHA384", "TLSv1.2", 256},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               {"AES128-SHA256", "TLSv1.2", 128},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  {"AES128-SHA", "SSLv3", 128},
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  {"AES256-SHA", "SSLv3", 256},
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 {"DES-CBC3-SHA", "SSLv3", 112},
	tls.TLS_RSA_WITH_RC4_128_SHA:                      {"RC4-SHA", "SSLv3", 128},
}

// cipherInfo describes a cipher suite; one OpenSSL does not know keeps Go's
// name.
func cipherInfo(id uint16) TLSCipher {
	if c, ok := opensslCiphers[id]; ok {
		return c
	}
	return TLSCipher{Name: tls.CipherSuiteName(id), Version: "TLSv1.2"}
}

// CertificateInfo describes a certificate as Python's getpeercert() does,
// with the same keys, in this order when present: "subject", "issuer"
// (sequences of relative distinguished names, each a sequence of
// (attribute, value) pairs, attributes by OpenSSL's long names:
// "commonName", "organizationName", ...), "version" (int, 3 for X.509v3),
// "serialNumber" (upper-case hex), "notBefore" and "notAfter" (as
// "Jan  5 09:34:43 2026 GMT"), "subjectAltName" (pairs such as ("DNS",
// "example.com") and ("IP Address", "127.0.0.1"), in the certificate's
// order), "OCSP", "caIssuers" and "crlDistributionPoints" (URIs). Every
// sequence is a []any, to become a Python tuple; strings are strings and the
// version an int. The map is new on each call.
func CertificateInfo(cert *x509.Certificate) map[string]any {
	info := map[string]any{
		"subject":      nameTuple(cert.RawSubject, cert.Subject),
		"issuer":       nameTuple(cert.RawIssuer, cert.Issuer),
		"version":      cert.Version,
		"serialNumber": serialHex(cert),
		"notBefore":    cert.NotBefore.UTC().Format("Jan _2 15:04:05 2006 GMT"),
		"notAfter":     cert.NotAfter.UTC().Format("Jan _2 15:04:05 2006 GMT"),
	}
	if san := subjectAltNames(cert); len(san) > 0 {
		info["subjectAltName"] = san
	}
	if len(cert.OCSPServer) > 0 {
		info["OCSP"] = stringTuple(cert.OCSPServer)
	}
	if len(cert.IssuingCertificateURL) > 0 {
		info["caIssuers"] = stringTuple(cert.IssuingCertificateURL)
	}
	if len(cert.CRLDistributionPoints) > 0 {
		info["crlDistributionPoints"] = stringTuple(cert.CRLDistributionPoints)
	}
	return info
}

// CertificateInfoKeys returns the keys of CertificateInfo in Python's order.
func CertificateInfoKeys() []string {
	return []string{"subject", "issuer", "version", "serialNumber", "notBefore", "notAfter",
		"subjectAltName", "OCSP", "caIssuers", "crlDistributionPoints"}
}

func stringTuple(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// serialHex is OpenSSL's i2a_ASN1_INTEGER: two upper-case hex digits per
// byte of the magnitude, "00" for zero.
func serialHex(cert *x509.Certificate) string {
	n := cert.SerialNumber
	if n == nil {
		return ""
	}
	sign := ""
	if n.Sign() < 0 {
		sign = "-"
	}
	b := n.Bytes()
	if len(b) == 0 {
		return "00"
	}
	return fmt.Sprintf("%s%X", sign, b)
}

// nameTuple is Python's tuple for an X.509 name: one tuple per relative
// distinguished name, in the DER order, each holding (attribute, value)
// pairs. raw is the DER name; parsed is the fallback if it cannot be parsed.
func nameTuple(raw []byte, parsed pkix.Name) []any {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		seq = parsed.ToRDNSequence()
	}
	out := make([]any, 0, len(seq))
	for _, rdn := range seq {
		pairs := make([]any, 0, len(rdn))
		for _, atv := range rdn {
			pairs = append(pairs, []any{oidLongName(atv.Type), fmt.Sprint(atv.Value)})
		}
		out = append(out, pairs)
	}
	return out
}

// oidLongNames are OpenSSL's long names of the usual name attributes.
var oidLongNames = map[string]string{
	"2.5.4.3":                    "commonName",
	"2.5.4.4":                    "surname",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "countryName",
	"2.5.4.7":                    "localityName",
	"2.5.4.8":                    "stateOrProvinceName",
	"2.5.4.9":                    "streetAddress",
	"2.5.4.10":                   "organizationName",
	"2.5.4.11":                   "organizationalUnitName",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "givenName",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.97":                   "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.1":  "userId",
	"0.9.2342.19200300.100.1.25": "domainComponent",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionLocalityName",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionStateOrProvinceName",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionCountryName",
}

// oidLongName is OpenSSL's OBJ_obj2txt: the long name, else the dotted
// number.
func oidLongName(oid asn1.ObjectIdentifier) string {
	s := oid.String()
	if name, ok := oidLongNames[s]; ok {
		return name
	}
	return s
}

// oidSubjectAltName is the subjectAltName extension.
var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// subjectAltNames reads the subjectAltName extension in its own order, as
// Python's _get_peer_alt_names.
func subjectAltNames(cert *x509.Certificate) []any {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSubjectAltName) {
			return parseGeneralNames(ext.Value)
		}
	}
	return nil
}

// parseGeneralNames converts a GeneralNames SEQUENCE to Python's pairs.
func parseGeneralNames(der []byte) []any {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return nil
	}
	var out []any
	rest := seq.Bytes
	for len(rest) > 0 {
		var v asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &v); err != nil {
			break
		}
		if v.Class != asn1.ClassContextSpecific {
			continue
		}
		out = append(out, generalName(v))
	}
	return out
}

// generalName is one GeneralName as Python's (type, value) pair.
func generalName(v asn1.RawValue) []any {
	switch v.Tag {
	case 0:
		return []any{"othername", "<unsupported>"}
	case 1:
		return []any{"email", string(v.Bytes)}
	case 2:
		return []any{"DNS", string(v.Bytes)}
	case 3:
		return []any{"X400Name", "<unsupported>"}
	case 4:
		return []any{"DirName", nameTuple(v.Bytes, pkix.Name{})}
	case 5:
		return []any{"EdiPartyName", "<unsupported>"}
	case 6:
		return []any{"URI", string(v.Bytes)}
	case 7:
		return []any{"IP Address", ipAddressText(v.Bytes)}
	case 8:
		var oid asn1.ObjectIdentifier
		if len(v.Bytes) >= 128 {
			return []any{"Registered ID", "<invalid>"}
		}
		if _, err := asn1.Unmarshal(append([]byte{asn1.TagOID, byte(len(v.Bytes))}, v.Bytes...), &oid); err == nil {
			return []any{"Registered ID", oidLongName(oid)}
		}
		return []any{"Registered ID", "<invalid>"}
	}
	return []any{fmt.Sprintf("GeneralName(%d)", v.Tag), "<unsupported>"}
}

// ipAddressText formats an address as Python does: dotted IPv4, IPv6 as
// eight upper-case hex groups without compression ("2001:DB8:0:0:0:0:0:1").
func ipAddressText(b []byte) string {
	switch len(b) {
	case net.IPv4len:
		return net.IP(b).String()
	case net.IPv6len:
		groups := make([]string, 8)
		for i := range groups {
			groups[i] = fmt.Sprintf("%X", int(b[2*i])<<8|int(b[2*i+1]))
		}
		return strings.Join(groups, ":")
	}
	return "<invalid>"
}
