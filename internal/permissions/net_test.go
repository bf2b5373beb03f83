package permissions

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseNetRuleAccepts: every documented form parses, and reads back
// (String) in a normal form.
func TestParseNetRuleAccepts(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]string{
		"*":                 "*",
		"example.com":       "example.com",
		"Example.COM.":      "example.com",
		"example.com:443":   "example.com:443",
		":443":              ":443",
		"127.0.0.1":         "127.0.0.1",
		"127.0.0.1:80":      "127.0.0.1:80",
		"::1":               "::1",
		"[::1]":             "::1",
		"[::1]:80":          "[::1]:80",
		"10.1.2.3/8":        "10.0.0.0/8",
		"10.0.0.0/8:22":     "10.0.0.0/8:22",
		"fe80::/10":         "fe80::/10",
		"fe80::/10:22":      "[fe80::/10]:22",
		"[fe80::/10]:22":    "[fe80::/10]:22",
		"unix:@my-socket":   "unix:@my-socket",
		"  spaced.example ": "spaced.example",
		"under_score.local": "under_score.local",
	} {
		r, err := ParseNetRule(entry)
		require.NoError(t, err, entry)
		assert.Equal(t, want, r.String(), entry)
		again, err := ParseNetRule(r.String())
		require.NoError(t, err, "%q read back from %q", r.String(), entry)
		assert.Equal(t, r, again, entry)
	}
}

// TestParseNetRuleRefuses: entries that used to be dropped silently are
// errors that say what is wrong.
func TestParseNetRuleRefuses(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]string{
		"":               "empty entry",
		"bogus:port":     `"bogus:port": port "port" is not a number from 0 to 65535`,
		"host:70000":     `port "70000" is not a number from 0 to 65535`,
		"300.1.1.1/99":   `"300.1.1.1/99": not a CIDR prefix`,
		"[::1":           `"[::1": unclosed [`,
		"[::1]x":         `unexpected "x" after ]`,
		"exa mple.com":   `"exa mple.com" is neither an IP address nor a host name`,
		"a/b/c:80":       "not a CIDR prefix",
		":":              `":": no host and no port`,
		"unix:@":         "an abstract Unix socket entry is unix:@name",
		"unix:/tmp/sock": "an abstract Unix socket entry is unix:@name",
	} {
		_, err := ParseNetRule(entry)
		require.Error(t, err, entry)
		assert.Contains(t, err.Error(), want, entry)
	}
}

// TestNetRuleMatching: names match names, IPs and CIDRs match addresses
// (IPv4-mapped and zoned addresses included), ports match when given.
func TestNetRuleMatching(t *testing.T) {
	t.Parallel()
	rule := func(s string) NetRule {
		r, err := ParseNetRule(s)
		require.NoError(t, err, s)
		return r
	}
	ip := netip.MustParseAddr
	assert.True(t, rule("example.com").AllowsName("EXAMPLE.com.", 1))
	assert.False(t, rule("example.com").AllowsIP(ip("93.184.216.34"), 1), "a name entry decides by name only")
	assert.True(t, rule("example.com:443").AllowsName("example.com", 443))
	assert.False(t, rule("example.com:443").AllowsName("example.com", 80))
	assert.True(t, rule(":443").AllowsIP(ip("1.2.3.4"), 443))
	assert.False(t, rule(":443").AllowsAbstract("@x"))
	assert.True(t, rule("10.0.0.0/8").AllowsIP(ip("::ffff:10.9.9.9"), 1), "IPv4-mapped")
	assert.True(t, rule("fe80::/10").AllowsIP(ip("fe80::1%eth0"), 1), "zoned")
	assert.True(t, rule("127.0.0.1").AllowsName("127.0.0.1", 5))
	assert.True(t, rule("[::1]:80").AllowsName("[::1]", 80))
	assert.False(t, rule("127.0.0.2").AllowsName("localhost", 80))
	assert.True(t, rule("127.0.0.1").DecidesAfterResolving(80))
	assert.False(t, rule("localhost").DecidesAfterResolving(80))
	assert.True(t, rule("unix:@a").AllowsAbstract("@a"))
	assert.False(t, rule("unix:@a").AllowsName("a", 0))
	assert.True(t, rule("*").AllowsAbstract("@anything"))
	assert.True(t, IsAbstract("\x00name"))
}

// FuzzParseNetRule: the parser never panics, and whatever it accepts reads
// back to the same rule.
func FuzzParseNetRule(f *testing.F) {
	for _, seed := range []string{"*", "example.com:443", "[::1]:80", "10.0.0.0/8:22", "fe80::/10:22", "unix:@x", ":0", "[", "a:b:c", "1.2.3.4/33"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		r, err := ParseNetRule(entry)
		if err != nil {
			return
		}
		again, err := ParseNetRule(r.String())
		require.NoError(t, err, "%q read back from %q", r.String(), entry)
		require.Equal(t, r, again, "%q read back from %q", r.String(), entry)
	})
}
