package transports

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
)

// TLS errors, as Python's ssl module names them. A certificate that fails
// verification is an SSLCertVerificationError whose message reads like
// OpenSSL's: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
// certificate has expired". An alert from the peer is an SSLError named as
// OpenSSL names it: "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca".
// Any other crypto/tls failure (a bad record, garbage instead of a
// handshake, an alert this end sent) is an SSLError carrying Go's text:
// "[SSL] tls: first record does not look like a TLS handshake". Python's
// trailing "(_ssl.c:1000)" is left out.

// mapTLSError maps a crypto/tls or crypto/x509 error; nil for any other.
func mapTLSError(err error) *Error {
	if reason, ok := certVerifyReason(err); ok {
		return &Error{
			Kind:    KindSSLCertVerifyError,
			Message: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + reason,
			Err:     err,
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		if code, ok := tlsAlertCode(op.Err); ok {
			return &Error{Kind: KindSSLError, Message: remoteAlertMessage(code), Err: err}
		}
	}
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	var ech *tls.ECHRejectionError
	if errors.As(err, &op) && op.Op == "local error" || errors.As(err, &alert) ||
		errors.As(err, &rec) || errors.As(err, &ech) || strings.HasPrefix(err.Error(), "tls: ") {
		return &Error{Kind: KindSSLError, Message: "[SSL] " + strings.TrimPrefix(err.Error(), "local error: "), Err: err}
	}
	return nil
}

// certVerifyReason returns OpenSSL's verify message for a certificate
// verification error.
func certVerifyReason(err error) (string, bool) {
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		if net.ParseIP(hostErr.Host) != nil {
			return fmt.Sprintf("IP address mismatch, certificate is not valid for '%s'.", hostErr.Host), true
		}
		return fmt.Sprintf("Hostname mismatch, certificate is not valid for '%s'.", hostErr.Host), true
	}
	var authErr x509.UnknownAuthorityError
	if errors.As(err, &authErr) {
		return unknownAuthorityReason(err, authErr.Cert), true
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		return invalidCertReason(invalid), true
	}
	var roots x509.SystemRootsError
	var constraint x509.ConstraintViolationError
	var critical x509.UnhandledCriticalExtension
	var insecure x509.InsecureAlgorithmError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &roots), errors.As(err, &constraint), errors.As(err, &critical), errors.As(err, &insecure):
		return err.Error(), true
	case errors.As(err, &verify):
		return verify.Err.Error(), true
	}
	return "", false
}

// unknownAuthorityReason tells a self-signed leaf, a self-signed
// certificate higher in the chain and a missing issuer apart, as OpenSSL
// does.
func unknownAuthorityReason(err error, cert *x509.Certificate) string {
	if cert == nil || !bytes.Equal(cert.RawIssuer, cert.RawSubject) ||
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil {
		return "unable to get local issuer certificate"
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 && !verify.UnverifiedCertificates[0].Equal(cert) {
		return "self-signed certificate in certificate chain"
	}
	return "self-signed certificate"
}

// invalidCertReason is OpenSSL's message for each x509.InvalidReason that
// has one, else Go's.
func invalidCertReason(e x509.CertificateInvalidError) string {
	switch e.Reason {
	case x509.Expired:
		if strings.Contains(e.Detail, "is before") {
			return "certificate is not yet valid"
		}
		return "certificate has expired"
	case x509.NotAuthorizedToSign:
		return "invalid CA certificate"
	case x509.TooManyIntermediates:
		return "path length constraint exceeded"
	case x509.IncompatibleUsage:
		return "unsupported certificate purpose"
	case x509.CANotAuthorizedForThisName:
		return "permitted subtree violation"
	}
	return e.Error()
}

// tlsAlertCode extracts the alert number from crypto/tls's alert error
// (an unexported uint8 type, or tls.AlertError).
func tlsAlertCode(err error) (uint8, bool) {
	v := reflect.ValueOf(err)
	if !v.IsValid() || v.Kind() != reflect.Uint8 || v.Type().PkgPath() != "crypto/tls" {
		return 0, false
	}
	return uint8(v.Uint()), true
}

// opensslAlertNames are OpenSSL's reason codes for alerts received from the
// peer (SSL_R_SSLV3_ALERT_*, SSL_R_TLSV1_ALERT_*, SSL_R_TLSV13_ALERT_*).
var opensslAlertNames = map[uint8]string{
	10:  "SSLV3_ALERT_UNEXPECTED_MESSAGE",
	20:  "SSLV3_ALERT_BAD_RECORD_MAC",
	21:  "TLSV1_ALERT_DECRYPTION_FAILED",
	22:  "TLSV1_ALERT_RECORD_OVERFLOW",
	30:  "SSLV3_ALERT_DECOMPRESSION_FAILURE",
	40:  "SSLV3_ALERT_HANDSHAKE_FAILURE",
	41:  "SSLV3_ALERT_NO_CERTIFICATE",
	42:  "SSLV3_ALERT_BAD_CERTIFICATE",
	43:  "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
	44:  "SSLV3_ALERT_CERTIFICATE_REVOKED",
	45:  "SSLV3_ALERT_CERTIFICATE_EXPIRED",
	46:  "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
	47:  "SSLV3_ALERT_ILLEGAL_PARAMETER",
	48:  "TLSV1_ALERT_UNKNOWN_CA",
	49:  "TLSV1_ALERT_ACCESS_DENIED",
	50:  "TLSV1_ALERT_DECODE_ERROR",
	51:  "TLSV1_ALERT_DECRYPT_ERROR",
	60:  "TLSV1_ALERT_EXPORT_RESTRICTION",
	70:  "TLSV1_ALERT_PROTOCOL_VERSION",
	71:  "TLSV1_ALERT_INSUFFICIENT_SECURITY",
	80:  "TLSV1_ALERT_INTERNAL_ERROR",
	86:  "TLSV1_ALERT_INAPPROPRIATE_FALLBACK",
	90:  "TLSV1_ALERT_USER_CANCELLED",
	100: "TLSV1_ALERT_NO_RENEGOTIATION",
	109: "TLSV13_ALERT_MISSING_EXTENSION",
	110: "TLSV1_ALERT_UNSUPPORTED_EXTENSION",
	111: "TLSV1_ALERT_CERTIFICATE_UNOBTAINABLE",
	112: "TLSV1_ALERT_UNRECOGNIZED_NAME",
	113: "TLSV1_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE",
	114: "TLSV1_ALERT_BAD_CERTIFICATE_HASH_VALUE",
	115: "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
	116: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
	120: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
}

// remoteAlertMessage reads like OpenSSL's error for an alert received:
// "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca".
func remoteAlertMessage(code uint8) string {
	name, ok := opensslAlertNames[code]
	if !ok {
		return fmt.Sprintf("[SSL] received alert %d: %v", code, tls.AlertError(code))
	}
	return fmt.Sprintf("[SSL: %s] %s", name, strings.ToLower(strings.ReplaceAll(name, "_", " ")))
}
