package lib

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// formatValues are the values TestFormatMatchesPython formats, as Python
// source and as Starlark values.
func formatValues() ([]string, []starlark.Value) {
	big70 := new(big.Int).Lsh(big.NewInt(1), 70)
	py := []string{"0", "1", "-1", "42", "-42", "1234567", "2**70", "-2**70", "True", "False", "65",
		"0.0", "-0.0", "1.0", "3.14159", "-2.5", "1e-05", "123456.789", "1e+16", "1e+22", "1.5e+300", "0.1", "0.5", "2.5", "-0.0001",
		"float('inf')", "float('-inf')", "float('nan')",
		`"abc"`, `"h\u00e9llo"`, `""`, "None", "[1, 2]"}
	sv := []starlark.Value{starlark.MakeInt(0), starlark.MakeInt(1), starlark.MakeInt(-1), starlark.MakeInt(42), starlark.MakeInt(-42),
		starlark.MakeInt(1234567), starlark.MakeBigInt(big70), starlark.MakeBigInt(new(big.Int).Neg(big70)), starlark.True, starlark.False, starlark.MakeInt(65),
		starlark.Float(0), starlark.Float(math.Copysign(0, -1)), starlark.Float(1), starlark.Float(3.14159), starlark.Float(-2.5), starlark.Float(1e-5),
		starlark.Float(123456.789), starlark.Float(1e16), starlark.Float(1e22), starlark.Float(1.5e300), starlark.Float(0.1), starlark.Float(0.5), starlark.Float(2.5), starlark.Float(-0.0001),
		starlark.Float(math.Inf(1)), starlark.Float(math.Inf(-1)), starlark.Float(math.NaN()),
		starlark.String("abc"), starlark.String("héllo"), starlark.String(""), starlark.None, starlark.NewList([]starlark.Value{starlark.MakeInt(1), starlark.MakeInt(2)})}
	return py, sv
}

// formatSpecs are the specs it tries on each value.
var formatSpecs = []string{"", "10", "<10", ">10", "^10", "*^9", "é>6", "=+10", "+", " ", "-", "010", "#x", "#X", "#o", "#b",
	"x", "o", "b", "X", ",", "_", "_x", "_b", "08,", "012,", ",x", ".2f", ".0f", "#.0f", "10.3f", "-10.3f", "e", ".3e", "#.0e", "E",
	"g", ".3g", "#.3g", ".0g", "#g", "G", ".1", ".3", ".10", ".17", "%", ".1%", "z.1f", "z", "+.2e", "n", "c", "s", ".2s", "10.2s", "d",
	",.2f", "012,.2f", "_.3f", "^+12.3e", "0=10", ">010", "<010", "0<5", " 8.2f", "+#x", "z+.0f", ".3s", ",d", ",,", ",_", "=10s",
	"+s", "#s", "10.", ".x", "xx", "q", ".2d", "+c", "_n", ",c", "#c", ".2%", "3.3"}

// TestFormatMatchesPython: format(value, spec) gives python3's result, or
// fails with python3's exception class, for every value and spec above.
func TestFormatMatchesPython(t *testing.T) {
	t.Parallel()
	py, sv := formatValues()
	specs, err := json.Marshal(formatSpecs)
	require.NoError(t, err)
	code := `
import json, sys
values = [` + strings.Join(py, ", ") + `]
out = []
for v in values:
    row = []
    for spec in json.loads(sys.argv[1]):
        try:
            row.append(format(v, spec))
        except Exception as e:
            row.append("!" + type(e).__name__)
    out.append(row)
print(json.dumps(out))
`
	var want [][]string
	require.NoError(t, json.Unmarshal([]byte(testkit.RunPython(t, code, string(specs))), &want))
	for i, v := range sv {
		for j, spec := range formatSpecs {
			got, err := formatValue(v, spec)
			if err != nil {
				var ex loop.Exception
				require.True(t, errors.As(err, &ex), "format(%s, %q): %v has no class", py[i], spec, err)
				got = "!" + ex.ExceptionKind()
			}
			assert.Equal(t, want[i][j], got, "format(%s, %q)", py[i], spec)
		}
	}
}
