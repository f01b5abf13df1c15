// Package cardnum reads and writes card numbers the way Chinese installers,
// card printers and reader manuals write them, and maps them onto the
// Wiegand frames the readers send (package wiegand).
//
// A 125 kHz ID card (EM4100 family) or a 13.56 MHz IC card (Mifare) is
// known by a 32-bit number, its UID. Three ways of writing it are common:
//
//	8H10D  the 32 bits as 10 decimal digits, printed on the card      0012345678
//	hex    the 32 bits as 8 hexadecimal digits                         00BC614E
//	W26    "facility,card": bits 16-23 (3 digits) and bits 0-15         188,24910
//	       (5 digits); printed on the card next to the 10 digits
//
// and a reader sends one of two frames:
//
//	Wiegand 34 (H10306)  facility = bits 16-31, number = bits 0-15: all 32 bits
//	Wiegand 26 (H10301)  facility = bits 16-23, number = bits 0-15: the top
//	                     8 bits (24-31) are not sent
//
// So every written form maps onto a W26 frame, and 8H10D and hex map onto a
// W34 frame too; the W26 form does not carry bits 24-31 and cannot be told
// which W34 frame its card sends. Going back, a W34 frame shows in every
// form, a W26 frame in the W26 form and as the 6 hex digits of its 24 bits.
//
// Byte order: the forms here read the UID as the reader sends it in the
// frame, most significant byte first. A reader set to reverse the bytes of
// a Mifare UID sends another number; such a card is best captured at the
// reader rather than typed.
package cardnum
