// Command menwei-emu runs emulated OSDP readers (menwei/firmware-mocks/osdppd)
// on a pseudo-terminal, so menweid can be pointed at a serial port with no
// hardware behind it, and scripts them over a small HTTP control surface.
//
//	menwei-emu -link /tmp/ttyOSDP -pd 1 -pd 2:0102030405060708090a0b0c0d0e0f10 -pd 3:install
//
// -link makes a symlink to the slave end of the pseudo-terminal (replacing a
// stale one, removed on exit). Each -pd is ADDR[:SCBKHEX][:install]: a PD at
// that address, with that secure channel key, in install mode. -key-dir keeps
// each PD's key after a KEYSET, so a restarted emulator still has it.
//
// A PD given :face-jpeg or :face-descriptor is a face terminal
// (menwei/firmware-mocks/facepd). -models DIR loads the dlib models: the
// terminal then computes descriptors and, in JPEG mode, sends what a real
// terminal sends, a crop of the face capped to what the line carries within
// the control panel's reassembly window at -baud (9600: 6 KiB). Without
// -models a JPEG-mode terminal sends the whole photo (~37 KB), which a pty
// carries but a real 9600-baud line would not.
//
// -fingerprint LINK adds an R30x/AS608 fingerprint module
// (menwei/firmware-mocks/fpmodule) on a pseudo-terminal of its own.
// -fingerprint-addr, -fingerprint-password and -fingerprint-packet-size set
// its address (0xffffffff), handshake password (0, none) and data packet
// size (128); -fingerprint-timing r307, the default, makes it take as long
// as a real module over each instruction (capture 300 ms, char file 200 ms,
// search 150-300 ms), -fingerprint-timing instant answers at once.
//
// Control surface (JSON; loopback only unless -control says otherwise):
//
//	GET  /pd                 all PDs' state
//	GET  /pd/{addr}          one PD: outputs, LEDs, text, secure channel, last commands
//	POST /pd/{addr}/card     {"bits":26,"hex":"8a123480"} or {"facility":1,"card":1234}
//	POST /pd/{addr}/keys     {"keys":"1234#"}
//	POST /pd/{addr}/input    {"n":0,"active":true}
//	POST /pd/{addr}/tamper   {"on":true}
//	POST /pd/{addr}/power    {"fail":true}
//	POST /pd/{addr}/mode     {"mode":"normal|silent|garbage|nak|plaintext"}
//	POST /pd/{addr}/busy     {"n":3}
//	POST /pd/{addr}/key      {"scbk":"hex"} ("" removes the key)
//	POST /fingerprint/finger {"id":7}: a finger on the module's sensor
//	POST /fingerprint/lift   the finger off
package main
