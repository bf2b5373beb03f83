package lib

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"sort"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The random and secrets modules. The random module's functions draw from
// the operating system's generator (crypto/rand), so that no script can
// predict them; random.Random(seed) is a generator of its own (ChaCha8
// seeded from the seed's SHA-256) for reproducible runs. Its sequences are
// not CPython's Mersenne Twister's.

// source is where a generator's bits come from.
type source interface {
	Uint64() uint64
	Read(p []byte) (int, error)
}

// cryptoSource reads the operating system's generator.
type cryptoSource struct{}

func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return binary.LittleEndian.Uint64(b[:])
}

func (cryptoSource) Read(p []byte) (int, error) { return crand.Read(p) }

// randomValue is a generator: the module's (crypto) or a Random(seed).
type randomValue struct {
	src    source
	seeded bool
}

var _ starlark.HasAttrs = (*randomValue)(nil)

// randomMethod is one function of a generator.
type randomMethod func(r *randomValue, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

var randomMethods = map[string]randomMethod{
	"random":      (*randomValue).random,
	"uniform":     (*randomValue).uniform,
	"randint":     (*randomValue).randint,
	"randrange":   (*randomValue).randrange,
	"getrandbits": (*randomValue).getrandbits,
	"choice":      (*randomValue).choice,
	"choices":     (*randomValue).choices,
	"sample":      (*randomValue).sample,
	"shuffle":     (*randomValue).shuffle,
	"randbytes":   (*randomValue).randbytes,
	"seed":        (*randomValue).seed,
}

func newRandomModule() *starlarkstruct.Module {
	r := &randomValue{src: cryptoSource{}}
	members := starlark.StringDict{
		"Random": starlark.NewBuiltin("random.Random", newRandom),
	}
	for name := range randomMethods {
		members[name] = r.builtin("random." + name)
	}
	return &starlarkstruct.Module{Name: "random", Members: members}
}

// builtin is the method named fnname ("random.choice") bound to r.
func (r *randomValue) builtin(fnname string) *starlark.Builtin {
	return r.builtinOf(fnname, lastPart(fnname))
}

// builtinOf is the method named method, bound to r, called fnname.
func (r *randomValue) builtinOf(fnname, method string) *starlark.Builtin {
	m := randomMethods[method]
	return starlark.NewBuiltin(fnname, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(r, b.Name(), args, kwargs)
	})
}

// newRandom is random.Random(seed=None): seeded from seed (an int, str or
// bytes), or from the operating system's generator when it is None.
func newRandom(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seed seedArg
	if err := unpack(b.Name(), args, kwargs, "seed?", &seed); err != nil {
		return nil, err
	}
	r := &randomValue{seeded: true}
	r.reseed(seed)
	return r, nil
}

// seedArg unpacks a seed: an int, str or bytes, or None (the operating
// system's generator picks one).
type seedArg struct{ key [32]byte }

// Unpack implements starlark.Unpacker.
func (a *seedArg) Unpack(v starlark.Value) error {
	switch s := v.(type) {
	case starlark.NoneType:
		a.key = [32]byte{}
	case starlark.Int:
		a.key = sha256.Sum256([]byte("int:" + s.String()))
	case starlark.String:
		a.key = sha256.Sum256([]byte("str:" + string(s)))
	case starlark.Bytes:
		a.key = sha256.Sum256([]byte("bytes:" + string(s)))
	default:
		return bind.Want(v, "int, str, bytes or None")
	}
	return nil
}

// reseed starts the generator again from seed (a zero key: a random one).
func (r *randomValue) reseed(seed seedArg) {
	if seed.key == ([32]byte{}) {
		_, _ = crand.Read(seed.key[:])
	}
	r.src = mrand.NewChaCha8(seed.key)
}

// String reads as Python's repr.
func (r *randomValue) String() string {
	if r.seeded {
		return "<random.Random object>"
	}
	return "<random.SystemRandom object>"
}

// Type is "random.Random".
func (r *randomValue) Type() string { return "random.Random" }

// Freeze does nothing: drawing from a generator is not a mutation a
// script can see.
func (r *randomValue) Freeze() {}

// Truth is true.
func (r *randomValue) Truth() starlark.Bool { return starlark.True }

// Hash hashes the identity.
func (r *randomValue) Hash() (uint32, error) {
	return starlark.String(fmt.Sprintf("%p", r)).Hash()
}

// randomTable is a Random's table, made from randomMethods.
var randomTable = func() *bind.Methods[*randomValue] {
	table := map[string]bind.Method[*randomValue]{}
	for name, fn := range randomMethods {
		table[name] = bind.Method[*randomValue]{Fn: fn}
	}
	return bind.NewMethods("Random", table)
}()

// AttrNames lists the methods.
func (r *randomValue) AttrNames() []string { return randomTable.AttrNames(r) }

// Attr returns a bound method.
func (r *randomValue) Attr(name string) (starlark.Value, error) {
	return randomTable.Attr(r, nil, name)
}

// float53 is a float in [0, 1) with 53 random bits.
func (r *randomValue) float53() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// below returns a uniform int in [0, n), n > 0.
func (r *randomValue) below(n *big.Int) *big.Int {
	if n.IsUint64() {
		return new(big.Int).SetUint64(uint64Below(r.src, n.Uint64()))
	}
	k := n.BitLen()
	for {
		x := r.bits(k)
		if x.Cmp(n) < 0 {
			return x
		}
	}
}

// uint64Below is a uniform uint64 in [0, n), without bias.
func uint64Below(src source, n uint64) uint64 {
	if n&(n-1) == 0 {
		return src.Uint64() & (n - 1)
	}
	limit := -n % n // 2**64 mod n
	for {
		x := src.Uint64()
		if x >= limit {
			return x % n
		}
	}
}

// bits returns a random int of k bits.
func (r *randomValue) bits(k int) *big.Int {
	buf := make([]byte, (k+7)/8)
	_, _ = r.src.Read(buf)
	if extra := len(buf)*8 - k; extra > 0 {
		buf[0] &= 0xff >> extra
	}
	return new(big.Int).SetBytes(buf)
}

func (r *randomValue) random(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Float(r.float53()), nil
}

func (r *randomValue) uniform(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, b bind.Number
	if err := unpack(fnname, args, kwargs, "a", &a, "b", &b); err != nil {
		return nil, err
	}
	return starlark.Float(float64(a) + float64(b-a)*r.float53()), nil
}

func (r *randomValue) randint(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, b starlark.Int
	if err := unpack(fnname, args, kwargs, "a", &a, "b", &b); err != nil {
		return nil, err
	}
	lo, hi := a.BigInt(), b.BigInt()
	if hi.Cmp(lo) < 0 {
		return nil, valueErrorf("%s: empty range (%s, %s)", fnname, a, b)
	}
	n := new(big.Int).Sub(hi, lo)
	n.Add(n, big.NewInt(1))
	return starlark.MakeBigInt(new(big.Int).Add(lo, r.below(n))), nil
}

func (r *randomValue) randrange(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var start, stop starlark.Int
	step := starlark.MakeInt(1)
	if err := unpack(fnname, args, kwargs, "start", &start, "stop??", &stop, "step?", &step); err != nil {
		return nil, err
	}
	lo, hi := big.NewInt(0), start.BigInt()
	if stop != (starlark.Int{}) {
		lo, hi = start.BigInt(), stop.BigInt()
	}
	st := step.BigInt()
	if st.Sign() == 0 {
		return nil, valueErrorf("%s: zero step for randrange()", fnname)
	}
	// n = ceil((hi - lo) / st), the number of values.
	width := new(big.Int).Sub(hi, lo)
	n := new(big.Int).Add(width, st)
	if st.Sign() > 0 {
		n.Sub(n, big.NewInt(1))
	} else {
		n.Add(n, big.NewInt(1))
	}
	n.Quo(n, st)
	if n.Sign() <= 0 {
		return nil, valueErrorf("%s: empty range in randrange(%s, %s, %s)", fnname, lo, hi, st)
	}
	x := new(big.Int).Mul(r.below(n), st)
	return starlark.MakeBigInt(x.Add(x, lo)), nil
}

func (r *randomValue) getrandbits(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var k int
	if err := unpack(fnname, args, kwargs, "k", &k); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, valueErrorf("%s: number of bits must be non-negative", fnname)
	}
	if err := checkSize(fnname, k/8); err != nil {
		return nil, err
	}
	return starlark.MakeBigInt(r.bits(k)), nil
}

func (r *randomValue) choice(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ix seqArg
	if err := unpack(fnname, args, kwargs, "seq", &ix); err != nil {
		return nil, err
	}
	if ix.Len() == 0 {
		return nil, loopIndexError("%s: cannot choose from an empty sequence", fnname)
	}
	return ix.Index(int(uint64Below(r.src, uint64(ix.Len())))), nil
}

func (r *randomValue) choices(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ix seqArg
	var weights weightsArg
	k := bind.Count{N: 1}
	if err := unpack(fnname, args, kwargs, "population", &ix, "weights??", &weights, "k?", &k); err != nil {
		return nil, err
	}
	if err := checkSize(fnname, k.N*8); err != nil {
		return nil, err
	}
	cum := weights.cum
	if cum != nil && len(cum) != ix.Len() {
		return nil, valueErrorf("%s: the number of weights does not match the population", fnname)
	}
	if len(cum) > 0 && !(cum[len(cum)-1] > 0) {
		return nil, valueErrorf("%s: total of weights must be greater than zero", fnname)
	}
	if ix.Len() == 0 && k.N > 0 {
		return nil, loopIndexError("%s: cannot choose from an empty population", fnname)
	}
	out := make([]starlark.Value, k.N)
	for i := range out {
		if cum == nil {
			out[i] = ix.Index(int(uint64Below(r.src, uint64(ix.Len()))))
			continue
		}
		x := r.float53() * cum[len(cum)-1]
		out[i] = ix.Index(sort.Search(len(cum)-1, func(j int) bool { return cum[j] > x }))
	}
	return starlark.NewList(out), nil
}

// weightsArg unpacks choices' weights (numbers ≥ 0) as their running
// sums.
type weightsArg struct{ cum []float64 }

// Unpack implements starlark.Unpacker.
func (a *weightsArg) Unpack(v starlark.Value) error {
	ix, ok := v.(starlark.Indexable)
	if !ok {
		return bind.Want(v, "a sequence of numbers")
	}
	a.cum = make([]float64, ix.Len())
	total := 0.0
	for i := range a.cum {
		w, ok := starlark.AsFloat(ix.Index(i))
		if !ok {
			return bind.Mistyped("element " + itoa(i) + ": got " + ix.Index(i).Type() + ", want float or int")
		}
		if !(w >= 0) {
			return bind.Invalid("element " + itoa(i) + ": want a number ≥ 0, got " + ix.Index(i).String())
		}
		total += w
		a.cum[i] = total
	}
	return nil
}

func (r *randomValue) sample(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ix seqArg
	var k int
	if err := unpack(fnname, args, kwargs, "population", &ix, "k", &k); err != nil {
		return nil, err
	}
	if k < 0 || k > ix.Len() {
		return nil, valueErrorf("%s: sample larger than population or is negative", fnname)
	}
	picked := make([]int, ix.Len())
	for i := range picked {
		picked[i] = i
	}
	out := make([]starlark.Value, k)
	for i := range out {
		j := i + int(uint64Below(r.src, uint64(len(picked)-i)))
		picked[i], picked[j] = picked[j], picked[i]
		out[i] = ix.Index(picked[i])
	}
	return starlark.NewList(out), nil
}

func (r *randomValue) shuffle(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var list *starlark.List
	if err := unpack(fnname, args, kwargs, "x", &list); err != nil {
		return nil, err
	}
	for i := list.Len() - 1; i > 0; i-- {
		j := int(uint64Below(r.src, uint64(i+1)))
		a, b := list.Index(i), list.Index(j)
		if err := list.SetIndex(i, b); err != nil {
			return nil, fmt.Errorf("%s: %w", fnname, err)
		}
		_ = list.SetIndex(j, a)
	}
	return starlark.None, nil
}

func (r *randomValue) randbytes(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n int
	if err := unpack(fnname, args, kwargs, "n", &n); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, valueErrorf("%s: negative argument not allowed", fnname)
	}
	if err := checkSize(fnname, n); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	_, _ = r.src.Read(buf)
	return starlark.Bytes(buf), nil
}

// seed is Random.seed(a=None); the module's generator cannot be seeded.
func (r *randomValue) seed(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a seedArg
	if err := unpack(fnname, args, kwargs, "a?", &a); err != nil {
		return nil, err
	}
	if !r.seeded {
		return nil, valueErrorf("%s: the module's generator is the operating system's and cannot be seeded; for a reproducible sequence use r = random.Random(seed) and r's methods", fnname)
	}
	r.reseed(a)
	return starlark.None, nil
}

// The secrets module: tokens and choices from the operating system's
// generator.
func newSecretsModule() *starlarkstruct.Module {
	r := &randomValue{src: cryptoSource{}}
	return &starlarkstruct.Module{
		Name: "secrets",
		Members: starlark.StringDict{
			"token_bytes":    starlark.NewBuiltin("secrets.token_bytes", token),
			"token_hex":      starlark.NewBuiltin("secrets.token_hex", token),
			"token_urlsafe":  starlark.NewBuiltin("secrets.token_urlsafe", token),
			"randbelow":      starlark.NewBuiltin("secrets.randbelow", r.randbelow),
			"randbits":       r.builtinOf("secrets.randbits", "getrandbits"),
			"choice":         r.builtin("secrets.choice"),
			"compare_digest": starlark.NewBuiltin("secrets.compare_digest", compareDigest),
		},
	}
}

// defaultTokenBytes is Python's secrets.DEFAULT_ENTROPY.
const defaultTokenBytes = 32

// token is secrets.token_bytes/token_hex/token_urlsafe(nbytes=None).
func token(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	nbytes := bind.Count{N: defaultTokenBytes}
	if err := unpack(b.Name(), args, kwargs, "nbytes??", &nbytes); err != nil {
		return nil, err
	}
	n := min(nbytes.N, maxSize)
	if err := checkSize(b.Name(), 2*n); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	_, _ = crand.Read(buf)
	switch shortName(b) {
	case "token_hex":
		return starlark.String(hex.EncodeToString(buf)), nil
	case "token_urlsafe":
		return starlark.String(base64.RawURLEncoding.EncodeToString(buf)), nil
	}
	return starlark.Bytes(buf), nil
}

// randbelow is secrets.randbelow(exclusive_upper_bound).
func (r *randomValue) randbelow(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n starlark.Int
	if err := unpack(b.Name(), args, kwargs, "exclusive_upper_bound", &n); err != nil {
		return nil, err
	}
	if n.Sign() <= 0 {
		return nil, valueErrorf("%s: Upper bound must be positive.", b.Name())
	}
	return starlark.MakeBigInt(r.below(n.BigInt())), nil
}
