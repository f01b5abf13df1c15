package faceindex

import "encoding/binary"

// scores writes to out, for each descriptor i of a chunk (64 code bytes
// and 2 grid code bytes each), its table sum S plus its two grid terms:
// S + etab[ec] + ctab[cc], the lower bound the search prunes with (see
// searcher). S is the squared distance from the query to the descriptor's
// quantised reconstruction, in table units (see lut).
//
// This loop is most of a search's cost, so it is unrolled by hand: per
// code byte one table load and one add, the code bytes loaded half as
// single bytes and half as 16-bit words, which balances the load ports
// against the ALUs of current cores.
func scores(t *lut, codes, aux []byte, out []int32) {
	codes = codes[:len(out)*64]
	aux = aux[:len(out)*2]
	for i := range out {
		c := (*[64]byte)(codes[i*64:])
		a := binary.LittleEndian.Uint16(aux[2*i:])
		s0 := t.etab[uint8(a)]
		s1 := t.ctab[a>>8]
		var s2, s3 int32
		w0 := binary.LittleEndian.Uint16(c[0:])
		s0 += int32(t.t[0][uint8(w0)])
		s1 += int32(t.t[1][w0>>8])
		s2 += int32(t.t[2][c[2]])
		s3 += int32(t.t[3][c[3]])
		w4 := binary.LittleEndian.Uint16(c[4:])
		s0 += int32(t.t[4][uint8(w4)])
		s1 += int32(t.t[5][w4>>8])
		s2 += int32(t.t[6][c[6]])
		s3 += int32(t.t[7][c[7]])
		w8 := binary.LittleEndian.Uint16(c[8:])
		s0 += int32(t.t[8][uint8(w8)])
		s1 += int32(t.t[9][w8>>8])
		s2 += int32(t.t[10][c[10]])
		s3 += int32(t.t[11][c[11]])
		w12 := binary.LittleEndian.Uint16(c[12:])
		s0 += int32(t.t[12][uint8(w12)])
		s1 += int32(t.t[13][w12>>8])
		s2 += int32(t.t[14][c[14]])
		s3 += int32(t.t[15][c[15]])
		w16 := binary.LittleEndian.Uint16(c[16:])
		s0 += int32(t.t[16][uint8(w16)])
		s1 += int32(t.t[17][w16>>8])
		s2 += int32(t.t[18][c[18]])
		s3 += int32(t.t[19][c[19]])
		w20 := binary.LittleEndian.Uint16(c[20:])
		s0 += int32(t.t[20][uint8(w20)])
		s1 += int32(t.t[21][w20>>8])
		s2 += int32(t.t[22][c[22]])
		s3 += int32(t.t[23][c[23]])
		w24 := binary.LittleEndian.Uint16(c[24:])
		s0 += int32(t.t[24][uint8(w24)])
		s1 += int32(t.t[25][w24>>8])
		s2 += int32(t.t[26][c[26]])
		s3 += int32(t.t[27][c[27]])
		w28 := binary.LittleEndian.Uint16(c[28:])
		s0 += int32(t.t[28][uint8(w28)])
		s1 += int32(t.t[29][w28>>8])
		s2 += int32(t.t[30][c[30]])
		s3 += int32(t.t[31][c[31]])
		w32 := binary.LittleEndian.Uint16(c[32:])
		s0 += int32(t.t[32][uint8(w32)])
		s1 += int32(t.t[33][w32>>8])
		s2 += int32(t.t[34][c[34]])
		s3 += int32(t.t[35][c[35]])
		w36 := binary.LittleEndian.Uint16(c[36:])
		s0 += int32(t.t[36][uint8(w36)])
		s1 += int32(t.t[37][w36>>8])
		s2 += int32(t.t[38][c[38]])
		s3 += int32(t.t[39][c[39]])
		w40 := binary.LittleEndian.Uint16(c[40:])
		s0 += int32(t.t[40][uint8(w40)])
		s1 += int32(t.t[41][w40>>8])
		s2 += int32(t.t[42][c[42]])
		s3 += int32(t.t[43][c[43]])
		w44 := binary.LittleEndian.Uint16(c[44:])
		s0 += int32(t.t[44][uint8(w44)])
		s1 += int32(t.t[45][w44>>8])
		s2 += int32(t.t[46][c[46]])
		s3 += int32(t.t[47][c[47]])
		w48 := binary.LittleEndian.Uint16(c[48:])
		s0 += int32(t.t[48][uint8(w48)])
		s1 += int32(t.t[49][w48>>8])
		s2 += int32(t.t[50][c[50]])
		s3 += int32(t.t[51][c[51]])
		w52 := binary.LittleEndian.Uint16(c[52:])
		s0 += int32(t.t[52][uint8(w52)])
		s1 += int32(t.t[53][w52>>8])
		s2 += int32(t.t[54][c[54]])
		s3 += int32(t.t[55][c[55]])
		w56 := binary.LittleEndian.Uint16(c[56:])
		s0 += int32(t.t[56][uint8(w56)])
		s1 += int32(t.t[57][w56>>8])
		s2 += int32(t.t[58][c[58]])
		s3 += int32(t.t[59][c[59]])
		w60 := binary.LittleEndian.Uint16(c[60:])
		s0 += int32(t.t[60][uint8(w60)])
		s1 += int32(t.t[61][w60>>8])
		s2 += int32(t.t[62][c[62]])
		s3 += int32(t.t[63][c[63]])
		out[i] = (s0 + s1) + (s2 + s3)
	}
}
