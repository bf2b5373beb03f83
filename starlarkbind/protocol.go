package starlarkbind

import (
	"fmt"
	"sort"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// protocol(name, **methods) (API.md "Protocols"): a protocol class. Calling the class
// makes an instance: Echo(**attrs) sets attributes, or, when the class has
// an `init` method, Echo(*args, **kwargs) calls init(self, *args, **kwargs).
// Instances are mutable; lookup finds instance attributes first, then the
// class's members (callables bound to the instance).

// ProtocolClass is the value protocol() returns.
type ProtocolClass struct {
	name     string
	typeName string              // what instances' Type() returns
	members  starlark.StringDict // methods (callables) and class-level defaults
	names    []string            // sorted member names
	frozen   bool

	// callbacks caches the members named like callbacks, by slot, so that
	// the adapter finds them without hashing a name (members never change).
	callbacks [numCallbacks]classCallback

	// args is the argument tuple that the adapters of this class's
	// instances reuse for calls to Starlark functions (which copy their
	// arguments on entry), so that no adapter carries one. Only adapters
	// whose env runs on owner, the thread that made the class, use it: they
	// all run on owner's goroutine.
	owner *starlark.Thread
	args  [2]starlark.Value
}

// classCallback is a class member that the adapter calls.
type classCallback struct {
	fn       starlark.Value // the member; nil when the class has none
	bound    bool           // fn is callable: called with the instance first
	function bool           // fn is a *starlark.Function (copies its arguments)
}

var (
	_ starlark.Callable = (*ProtocolClass)(nil)
	_ starlark.HasAttrs = (*ProtocolClass)(nil)
)

// protocolBuiltin implements protocol(name, **methods).
func protocolBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var nameA className
	if err := unpack(b.Name(), args, nil, "name", &nameA); err != nil {
		return nil, err
	}
	name := string(nameA)
	c := &ProtocolClass{name: name, typeName: name, members: make(starlark.StringDict, len(kwargs)), owner: thread}
	if reservedTypeNames[name] {
		c.typeName = "protocol:" + name
	}
	for _, kv := range kwargs {
		key := string(kv[0].(starlark.String))
		c.members[key] = kv[1]
		c.names = append(c.names, key)
	}
	sort.Strings(c.names)
	if err := checkClassMembers(name, c.members, c.names); err != nil {
		return nil, err
	}
	c.cacheCallbacks()
	if init, ok := c.members["init"]; ok {
		if err := bind.UnpackArg(b.Name(), "init", init, new(initArg)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// className unpacks protocol()'s name: a non-empty string.
type className string

func (n *className) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return bind.Want(v, "string")
	}
	if s == "" {
		return bind.Invalid("must not be empty")
	}
	*n = className(s)
	return nil
}

// initArg checks protocol()'s init: a function.
type initArg struct{}

func (initArg) Unpack(v starlark.Value) error {
	if _, ok := v.(starlark.Callable); !ok {
		return bind.Want(v, "a function")
	}
	return nil
}

// cacheCallbacks fills c.callbacks from the members.
func (c *ProtocolClass) cacheCallbacks() {
	for slot, name := range callbackNames {
		v, ok := c.members[name]
		if !ok {
			continue
		}
		_, callable := v.(starlark.Callable)
		_, function := v.(*starlark.Function)
		c.callbacks[slot] = classCallback{fn: v, bound: callable, function: function}
	}
}

// Name returns the class name.
func (c *ProtocolClass) Name() string { return c.name }

// String returns "<protocol Name>".
func (c *ProtocolClass) String() string { return "<protocol " + c.name + ">" }

// Type returns "protocol".
func (c *ProtocolClass) Type() string { return "protocol" }

// Freeze freezes the class's members.
func (c *ProtocolClass) Freeze() {
	if !c.frozen {
		c.frozen = true
		c.members.Freeze()
	}
}

// Truth is always true.
func (c *ProtocolClass) Truth() starlark.Bool { return starlark.True }

// Hash hashes the class's identity.
func (c *ProtocolClass) Hash() (uint32, error) { return identityHash(c), nil }

// Attr returns a class member (unbound) or the class name (`__name__`).
func (c *ProtocolClass) Attr(name string) (starlark.Value, error) {
	if name == "__name__" {
		return starlark.String(c.name), nil
	}
	if v, ok := c.members[name]; ok {
		return v, nil
	}
	return nil, nil
}

// AttrNames lists the members.
func (c *ProtocolClass) AttrNames() []string { return append([]string{"__name__"}, c.names...) }

// CallInternal makes an instance.
func (c *ProtocolClass) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	inst := &ProtocolInstance{class: c}
	if init, ok := c.members["init"]; ok {
		initArgs := make(starlark.Tuple, 0, len(args)+1)
		initArgs = append(initArgs, inst)
		initArgs = append(initArgs, args...)
		if _, err := starlark.Call(thread, init, initArgs, kwargs); err != nil {
			return nil, err
		}
		return inst, nil
	}
	if len(args) > 0 {
		return nil, typeErrorf("%s: got %d positional arguments, want keyword arguments only (or define init)", c.name, len(args))
	}
	for _, kv := range kwargs {
		inst.set(string(kv[0].(starlark.String)), kv[1])
	}
	return inst, nil
}

// ProtocolInstance is an instance of a protocol class.
//
// Its attributes are a short slice searched in order (an instance holds a
// few: a transport, a buffer, some counters), which costs less memory and
// time than a map; past maxListedAttrs they move to a map.
type ProtocolInstance struct {
	class  *ProtocolClass
	attrs  []instanceAttr            // while the instance has few attributes
	many   map[string]starlark.Value // instead of attrs, once it has many
	shadow callbackSet               // callbacks set as instance attributes
	frozen bool
}

// instanceAttr is one instance attribute.
type instanceAttr struct {
	name string
	v    starlark.Value
}

// maxListedAttrs is how many attributes an instance keeps in its slice.
const maxListedAttrs = 8

var (
	_ starlark.HasSetField = (*ProtocolInstance)(nil)
)

// Class returns the instance's class.
func (p *ProtocolInstance) Class() *ProtocolClass { return p.class }

// String returns "<Name object>".
func (p *ProtocolInstance) String() string { return "<" + p.class.name + " object>" }

// Type returns the class name, as Python's type(x).__name__. A class named
// like a built-in type ("int", "list", ...) gets "protocol:" before it: the
// interpreter compares values whose Type() strings are equal as values of
// one type, which must not be confused.
func (p *ProtocolInstance) Type() string { return p.class.typeName }

// Freeze freezes the instance and its attributes.
func (p *ProtocolInstance) Freeze() {
	if p.frozen {
		return
	}
	p.frozen = true
	for _, a := range p.attrs {
		a.v.Freeze()
	}
	for _, v := range p.many {
		v.Freeze()
	}
	p.class.Freeze()
}

// Truth is always true.
func (p *ProtocolInstance) Truth() starlark.Bool { return starlark.True }

// Hash hashes the instance's identity.
func (p *ProtocolInstance) Hash() (uint32, error) { return identityHash(p), nil }

// get returns the instance attribute name.
func (p *ProtocolInstance) get(name string) (starlark.Value, bool) {
	if p.many != nil {
		v, ok := p.many[name]
		return v, ok
	}
	for i := range p.attrs {
		if p.attrs[i].name == name {
			return p.attrs[i].v, true
		}
	}
	return nil, false
}

// set sets the instance attribute name.
func (p *ProtocolInstance) set(name string, v starlark.Value) {
	if slot, ok := callbackSlot(name); ok {
		p.shadow |= 1 << slot
	}
	if p.many != nil {
		p.many[name] = v
		return
	}
	for i := range p.attrs {
		if p.attrs[i].name == name {
			p.attrs[i].v = v
			return
		}
	}
	if len(p.attrs) < maxListedAttrs {
		p.attrs = append(p.attrs, instanceAttr{name, v})
		return
	}
	p.many = make(map[string]starlark.Value, 2*maxListedAttrs)
	for _, a := range p.attrs {
		p.many[a.name] = a.v
	}
	p.many[name] = v
	p.attrs = nil
}

// lookup finds name without allocating: an instance attribute (self nil),
// or a class member; callable members come back with self set, to be called
// with self first.
func (p *ProtocolInstance) lookup(name string) (v starlark.Value, self starlark.Value) {
	if v, ok := p.get(name); ok {
		return v, nil
	}
	if v, ok := p.class.members[name]; ok {
		if _, callable := v.(starlark.Callable); callable {
			return v, p
		}
		return v, nil
	}
	return nil, nil
}

// callback finds a callback by slot as lookup finds it by name, without
// hashing the name unless an instance attribute shadows the class member.
// function reports that fn is a *starlark.Function.
func (p *ProtocolInstance) callback(slot int) (fn, self starlark.Value, function bool) {
	if p.shadow&(1<<slot) != 0 {
		fn, self = p.lookup(callbackNames[slot])
		_, function = fn.(*starlark.Function)
		return fn, self, function
	}
	cb := &p.class.callbacks[slot]
	if cb.bound {
		return cb.fn, p, cb.function
	}
	return cb.fn, nil, false
}

// Attr returns an instance attribute, or a class member (methods bound).
func (p *ProtocolInstance) Attr(name string) (starlark.Value, error) {
	v, self := p.lookup(name)
	if v == nil {
		return nil, nil
	}
	if self != nil {
		return &boundMethod{fn: v, self: self}, nil
	}
	return v, nil
}

// AttrNames lists instance attributes and class members.
func (p *ProtocolInstance) AttrNames() []string {
	names := make([]string, 0, len(p.attrs)+len(p.many)+len(p.class.names))
	for _, a := range p.attrs {
		names = append(names, a.name)
	}
	for k := range p.many {
		names = append(names, k)
	}
	for _, k := range p.class.names {
		if _, ok := p.get(k); !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// SetField sets an instance attribute.
func (p *ProtocolInstance) SetField(name string, v starlark.Value) error {
	if p.frozen {
		return fmt.Errorf("cannot set .%s of frozen %s object", name, p.class.name)
	}
	p.set(name, v)
	return nil
}

// boundMethod is a class member bound to an instance.
type boundMethod struct {
	fn   starlark.Value
	self starlark.Value
}

var _ starlark.Callable = (*boundMethod)(nil)

func (m *boundMethod) Name() string {
	if c, ok := m.fn.(starlark.Callable); ok {
		return c.Name()
	}
	return "method"
}

func (m *boundMethod) String() string {
	return fmt.Sprintf("<bound method %s of %s>", m.Name(), m.self)
}

func (m *boundMethod) Type() string          { return "bound_method" }
func (m *boundMethod) Freeze()               { m.fn.Freeze(); m.self.Freeze() }
func (m *boundMethod) Truth() starlark.Bool  { return starlark.True }
func (m *boundMethod) Hash() (uint32, error) { return identityHash(m), nil }

func (m *boundMethod) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	full := make(starlark.Tuple, 0, len(args)+1)
	full = append(full, m.self)
	full = append(full, args...)
	return starlark.Call(thread, m.fn, full, kwargs)
}

// reservedTypeNames are the Type() strings of values scripts can meet.
var reservedTypeNames = map[string]bool{
	"NoneType": true, "bool": true, "int": true, "float": true, "string": true, "bytes": true,
	"list": true, "tuple": true, "dict": true, "set": true, "range": true, "function": true,
	"builtin_function_or_method": true, "struct": true, "module": true, "error": true,
	"future": true, "transport": true, "server": true, "socket": true, "handle": true,
	"timer_handle": true, "loop": true, "protocol": true, "bound_method": true, "buffer": true,
	"file": true, "go_factory": true, "go_protocol": true, "time.time": true, "time.duration": true,
	"string.elems": true, "bytes.elems": true, "string.codepoints": true,
	"lock": true, "event": true, "semaphore": true, "bounded_semaphore": true, "queue": true,
}
