// Package osdppd is the firmware of an emulated OSDP v2.2 peripheral device
// (PD): a card reader with a keypad, two LEDs, a buzzer, a one-line text
// display, a fingerprint sensor, four contact inputs, four outputs and the
// secure channel (SIA OSDP v2.2, IEC 60839-11-5). It answers like the libosdp
// 3.2.0 PD captured in testdata/osdp-reference-frames.txt, except where that
// PD departs from the specification (listed below).
//
// It runs inside tests ([PD.Handle] turns one command frame into the reply
// bytes, no I/O) and behind cmd/menwei-emu on a pseudo-terminal ([Serve]).
// Frames are built and parsed with menwei/devices/osdp only.
//
// The files read like the device's manual, one per command family:
//
//	pd.go       configuration, the receive path: address, sequence, security, dispatch
//	reader.go   the receiver: frames as a real PD takes them off the line
//	seq.go      sequence numbers: 0 restarts, a repeat gets the last reply again
//	sc.go       secure channel: CHLNG/CCRYPT, SCRYPT/RMAC_I, MAC checks, sealing
//	poll.go     POLL: the oldest pending report, else ACK
//	id.go       ID → PDID            cap.go     CAP → PDCAP
//	status.go   LSTAT/ISTAT/OSTAT/RSTAT → LSTATR/ISTATR/OSTATR/RSTATR
//	out.go      OUT (control codes 0-6, timers in 100 ms)
//	led.go      LED                  buz.go     BUZ
//	text.go     TEXT                 comset.go  COMSET → COM, then the new address
//	bio.go      BIOREAD → BIOREADR, BIOMATCH → BIOMATCHR
//	keyset.go   KEYSET (secure channel only)
//	mfg.go      MFG, MFGREP          link.go    ACURXSIZE, KEEPACTIVE
//	history.go  the commands received, WaitCommand
//	script.go   the control surface: present a card, type keys, open a contact...
//	serve.go    several PDs on one multi-drop line
//
// # Reply frames
//
// Every reply starts with the mark byte 0xFF, uses the command's check mode
// (CRC-16 or checksum) and sequence number, and the PD's address with bit 7
// set (0xFF for a broadcast command):
//
//	FF 53 ADDR|80 LEN_LO LEN_HI CTRL [SCB] CODE DATA [MAC4] CRC_LO CRC_HI
//
// # Protocol decisions
//
// Where the capture and the specification disagree, or neither says:
//
//   - Check mode and mark: the libosdp PD always answers with a CRC and drops
//     the mark when the command had none; this PD answers in the command's
//     check mode and always sends the mark.
//   - Status replies under the secure channel are SCS_18 (libosdp 3.2.0 sends
//     SCS_15 with plaintext data, section 2 of the capture).
//   - A repeated non-zero sequence number gets the cached reply bytes again,
//     without processing the command a second time (libosdp NAKs it).
//   - A skipped sequence number gets NAK 4 carrying the sequence number the PD
//     expected (as captured); the PD's state does not move.
//   - Sequence number 0 restarts the link and ends a secure channel session
//     (as libosdp): a CP that restarts can always ask ID and CAP in plaintext.
//   - A wrong server cryptogram gets RMAC_I with SCB [0x14, 0xFF] (spec D.1.3.4;
//     libosdp sends 0x00) and sixteen zero bytes instead of a MAC; no session.
//   - Under a session, a plaintext command, a bad MAC, a reply-type security
//     block or an SCS_15 command carrying unencrypted data (refused by
//     menwei/devices/osdp) ends the session and is answered NAK 6 in
//     plaintext; the CP must never accept that reply. CHLNG always ends the
//     session; SCRYPT during one is NAK 6.
//   - After the sealed ACK to KEYSET the session ends (as libosdp); the CP
//     starts a new one with the new key.
//   - BUSY goes in plaintext with sequence number 0 (as the spec has it) and
//     neither runs the command nor moves the sequence or the MAC chain, so
//     the CP's retry of the same frame is run.
//   - On the line (Serve), a bad CRC or checksum, a frame for another
//     address and a frame with the reply bit set get no answer, as on
//     libosdp's PD. A command whose security block wants a MAC (SCS_15 to
//     SCS_18) is answered even when it is too short to carry one: NAK 6
//     outside a session (how a CP learns to open one), NAK 5 from a PD that
//     cannot open a secure channel; under a session it is a bad MAC.
//   - A length that does not fit the command is NAK 2, an unknown command or a
//     missing output, LED or reader is NAK 3, a record with an impossible value
//     (OUT control code 7, COMSET to 0x7F, a KEYSET that is not a 16-byte SCBK)
//     is NAK 9.
//   - BIOREAD is answered at once: the next queued sample, or status 1
//     (timeout) when none was queued. Output timers do not report by
//     themselves: OSTATR reaches a POLL only through [PD.ReportOutputs].
//
// Card data, keys typed, templates and key material never reach a log line.
package osdppd
