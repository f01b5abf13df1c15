package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	gateEstate = `
estate:
  role: gate
  gate: gate-3a
  office_url: tls://office.local:7422
  tls: { ca: estate-ca.pem }
  nkey_seed_file: keys/gate-3a.nk
`
	officeEstate = `
estate:
  role: office
  tls: { cert: office.pem, key: office.key }
  gates:
    - name: gate-3a
      nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4
    - name: gate-3b
      nkey: UBQ2MN6DKCFV5TXRC6IHGYUR7QOJ2MALOV7ZQRHQ4HTHSPIBDQ4WCNKB
`
)

func TestParseConfigEstate(t *testing.T) {
	c, err := Parse([]byte(goodConfig), "/etc/menwei")
	require.NoError(t, err)
	assert.False(t, c.Estate.Joined(), "no estate: a standalone gate, as before")
	assert.Empty(t, c.Estate.StoreDir)

	c, err = Parse([]byte(goodConfig+gateEstate), "/etc/menwei")
	require.NoError(t, err)
	assert.True(t, c.Estate.Joined())
	assert.Equal(t, Estate{Role: "gate", Gate: "gate-3a", OfficeURL: "tls://office.local:7422", StoreDir: "/etc/menwei/data/nats",
		TLS: EstateTLS{CA: "/etc/menwei/estate-ca.pem"}, NKeySeedFile: "/etc/menwei/keys/gate-3a.nk"}, c.Estate)

	c, err = Parse([]byte(goodConfig+officeEstate), "/etc/menwei")
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:7422", c.Estate.Listen)
	assert.Equal(t, "/etc/menwei/office.pem", c.Estate.TLS.Cert)
	assert.Len(t, c.Estate.Gates, 2)

	// The office needs no terminal of its own; a gate does.
	c, err = Parse([]byte("data_dir: data\n"+officeEstate), "/etc/menwei")
	require.NoError(t, err, "an office without buses")
	assert.Empty(t, c.Buses)
	_, err = Parse([]byte("data_dir: data\n"+gateEstate), "/etc/menwei")
	require.ErrorContains(t, err, "buses: at least one bus")
}

func TestParseConfigEstateErrorsNameTheField(t *testing.T) {
	tests := []struct{ name, estate, field, want string }{
		{"no role", "estate:\n  gate: gate-3a\n", "estate.role", "required when estate is configured"},
		{"bad role", "estate:\n  role: hub\n", "estate.role", `"hub": gate or office`},
		{"gate name", "estate:\n  role: gate\n  gate: Gate.3\n", "estate.gate", `"Gate.3": 1 to 32 of a-z`},
		{"no gate", "estate:\n  role: gate\n", "estate.gate", "required"},
		{"no office url", "estate:\n  role: gate\n  gate: g1\n", "estate.office_url", "required"},
		{"plain url", "estate:\n  role: gate\n  gate: g1\n  office_url: nats://office:7422\n  tls: {ca: ca.pem}\n  nkey_seed_file: s.nk\n", "estate.office_url", "tls://host:port"},
		{"url with user", "estate:\n  role: gate\n  gate: g1\n  office_url: tls://u:p@office:7422\n  tls: {ca: ca.pem}\n  nkey_seed_file: s.nk\n", "estate.office_url", "no user in the URL"},
		{"no ca", "estate:\n  role: gate\n  gate: g1\n  office_url: tls://office:7422\n", "estate.tls.ca", "required"},
		{"no seed", "estate:\n  role: gate\n  gate: g1\n  office_url: tls://office:7422\n  tls: {ca: ca.pem}\n", "estate.nkey_seed_file", "required"},
		{"gate with gates", gateEstate + "  gates: [{name: g2, nkey: x}]\n", "estate.gates", "only for role office"},
		{"gate with cert", "estate:\n  role: gate\n  gate: g1\n  office_url: tls://office:7422\n  tls: {ca: ca.pem, cert: c.pem}\n  nkey_seed_file: s.nk\n", "estate.tls.cert", "only for role office"},
		{"office no cert", "estate:\n  role: office\n  gates: [{name: g1, nkey: x}]\n", "estate.tls.cert", "required"},
		{"office no gates", "estate:\n  role: office\n  tls: {cert: c.pem, key: k.pem}\n", "estate.gates", "at least one gate"},
		{"office seed", officeEstate + "  nkey_seed_file: s.nk\n", "estate.nkey_seed_file", "only for role gate"},
		{"office listen", officeEstate + "  listen: office\n", "estate.listen", "host:port"},
		{"seed as key", "estate:\n  role: office\n  tls: {cert: c.pem, key: k.pem}\n  gates:\n    - name: g1\n      nkey: SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n", "estate.gates[0].nkey", "never the seed"},
		{"twice", "estate:\n  role: office\n  tls: {cert: c.pem, key: k.pem}\n  gates:\n    - name: g1\n      nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n    - name: g1\n      nkey: UBQ2MN6DKCFV5TXRC6IHGYUR7QOJ2MALOV7ZQRHQ4HTHSPIBDQ4WCNKB\n", "estate.gates[1].name", `"g1" given twice`},
		{"same key", "estate:\n  role: office\n  tls: {cert: c.pem, key: k.pem}\n  gates:\n    - name: g1\n      nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n    - name: g2\n      nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n", "estate.gates[1].nkey", "the same key as gate g1"},
		{"bad group", "estate:\n  role: office\n  tls: {cert: c.pem, key: k.pem}\n  gates:\n    - name: g1\n      nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4\n      groups: [bldg-3, \"3 号楼\"]\n", "estate.gates[0].groups[1]", `"3 号楼": a group as people carry it`},
		{"unknown field", "estate:\n  role: gate\n  seed: x\n", "estate", "field seed not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(goodConfig+tt.estate), "/etc/menwei")
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.name != "unknown field" {
				assert.Equal(t, tt.field, fe.Field)
				assert.NotZero(t, fe.Line, "the line of the field or its section")
			}
		})
	}
}
