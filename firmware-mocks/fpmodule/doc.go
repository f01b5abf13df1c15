// Package fpmodule is the firmware of an emulated R30x / AS608 / ZFM
// fingerprint module on a UART: a sensor, an image buffer, char buffers 1
// and 2 and a library of template pages (300 by default), answering the
// instruction set menwei/devices/fpm drives. Packets are built and parsed
// with menwei/devices/fpm only.
//
// It runs inside tests ([Module.Handle] turns one packet into the packets
// sent back, no I/O) and on a pseudo-terminal ([Module.Serve]).
//
// The files read like the module's manual, one per instruction:
//
//	module.go          configuration, the receive path: address, password, dispatch
//	finger.go          fingers, char files and templates; how they match and merge
//	genimg.go          GenImg (0x01)          img2tz.go        Img2Tz (0x02)
//	match.go           Match (0x03)           search.go        Search (0x04)
//	regmodel.go        RegModel (0x05)        store.go         Store (0x06)
//	loadchar.go        LoadChar (0x07)        upchar.go        UpChar (0x08)
//	downchar.go        DownChar (0x09)        upimage.go       UpImage (0x0A)
//	deletechar.go      DeleteChar (0x0C)      empty.go         Empty (0x0D)
//	setsyspara.go      SetSysPara (0x0E)      readsyspara.go   ReadSysPara (0x0F)
//	vfypwd.go          VfyPwd (0x13)          highspeedsearch.go  HighSpeedSearch (0x1B)
//	templatenum.go     TemplateNum (0x1D)     readindextable.go   ReadIndexTable (0x1F)
//	script.go          the control surface: put a finger on, take it off, wipe...
//	timing.go          how long each instruction takes on a real module
//	serve.go           the module on a serial line, answering in its own time
//
// # Time
//
// A real module takes hundreds of milliseconds to capture, convert and
// search. On the line ([Module.Serve]) the emulator waits as long before it
// answers: [Config.Timing], on the injected [Config.After]. The zero Timing
// answers at once, which keeps tests fast; [R307Timing] is a real module's
// (GenImg 300 ms with a finger, Img2Tz 200 ms, Search 150-300 ms, ...).
// [Module.Handle] never waits.
//
// # Fingers
//
// A finger is simulated by its template, [Finger](id): 512 bytes, a 16-byte
// header that names the finger and 496 bytes drawn from a generator seeded
// with its id. GenImg captures the finger on the sensor; Img2Tz makes a
// char file of that capture: the template with the header's kind byte set
// to 1 and four body bytes flipped at places chosen by the capture count,
// so no two captures give the same char file. RegModel restores the bytes
// two char files of one finger disagree on and gives back the template.
// Match and Search compare the headers: the same finger scores 200 less 5
// per differing body byte, at least 50 (160 for two captures, 180 for a
// capture against the template); anything else does not match.
//
// # Decisions where the datasheets are silent
//
//   - Packets to another address, acknowledgements, and every packet while
//     [Module.Silent] is on get no answer and change nothing.
//   - An unknown instruction or parameters of the wrong length are answered
//     0x01 (error receiving the packet); so is a char buffer other than 1
//     or 2, except for DownChar, which answers 0x0E.
//   - [Module.BadImage] spoils the next GenImg of a finger on the sensor or
//     the next Img2Tz, whichever comes first: it answers 0x06. A spoilt GenImg leaves no image; a spoilt
//     Img2Tz leaves the image and the buffer as they were.
//   - With a password configured, every instruction but VfyPwd is answered
//     0x21 until VfyPwd succeeds; a wrong password answers 0x13 and locks
//     the module again.
//   - Failed Match and Search replies carry zero score and page, at full
//     length, as the datasheet tables draw them.
//   - Store of a char buffer nothing was made in, and LoadChar of an empty
//     page, answer 0x0C; UpChar of such a buffer answers 0x0D.
//   - DeleteChar of zero pages or past the library answers 0x10; a start
//     page beyond the library, 0x0B. Search counts are cut at the library's
//     end; a start page beyond it is 0x0B.
//   - ReadIndexTable answers index pages 0..3 (bits beyond the library are
//     0) and 0x0B above.
//   - SetSysPara of a parameter other than 4, 5 and 6, or of a value out of
//     its range, answers 0x1A (invalid register) and changes nothing. The
//     values set last until Wipe; the rate is only reported.
//   - UpImage of an image buffer without a valid image answers 0x0F. The
//     image is drawn from the finger id and capture: ridges in an oval pad.
//   - HighSpeedSearch is Search under another code: same answers, same time.
//   - After DownChar's acknowledgement the data packets are gathered until
//     the last one, which fills the buffer; any command in between abandons
//     the transfer. Data packets at other times are ignored.
//   - With [Module.Garbage] on, every answer is preceded by noise: stray
//     bytes, an acknowledgement with a bad checksum and a header that claims
//     256 bytes of contents.
//
// Templates never reach a log line.
package fpmodule
