// Package faceindex is the in-memory 1:N index of enrolled face
// descriptors (dlib's 128-dimension float32 embeddings, compared by
// Euclidean distance). It answers "whose face is this?" with open-set
// rejection, and knows nothing about doors or storage: identities and
// descriptor ids are opaque strings.
//
// # Decision
//
// Search finds the nearest enrolled descriptor and the nearest descriptor
// of any other identity (the runner). It matches only if the nearest is
// closer than Config.Threshold (default 0.5) and the runner is at least
// Config.Margin (default 0.08) farther; otherwise it says why not
// (too_far, ambiguous). With dlib, one person's descriptors are typically
// 0.05–0.5 apart and different people's mostly 0.63–0.95: the usual 0.6
// threshold alone would hand a stranger to the nearest resident, the
// margin rule refuses look-alikes. An identity's own descriptors never
// count as its runner.
//
// # Exact, and fast
//
// The answer is exactly that of an exhaustive search with Distance (same
// float32 arithmetic, ties between identities at equal distance to the
// smaller name); only the work is smaller. A search is about five times
// faster than a plain float32 loop, three times faster than an unrolled
// one (numbers in docs/performance.md):
//
//   - Each descriptor also has a 4-bit code per component (64 bytes): the
//     16 Lloyd-Max levels of a normal distribution fitted to that
//     component over the enrolled descriptors.
//   - Per query, a table gives the squared distance from the query to every
//     level, two components per table row (64 rows of 256 uint16 entries,
//     32 KiB, in L1 cache), so the squared distance A from the query to a
//     descriptor's quantised reconstruction x̂ is 64 table loads and adds.
//   - With |x − x̂| ≤ err and |x − μ|² − |x̂ − μ|² ≥ corr kept per
//     descriptor (one byte each, μ the mean descriptor),
//     |q − x|² ≥ A − 2|q − μ|·err + corr. Every descriptor whose
//     lower bound exceeds the current runner's exact distance (with the
//     rounding of the table and of float32 accounted for) can be neither
//     the nearest nor the runner and is skipped; every other one is
//     computed exactly. The thresholds tighten as the scan goes: a
//     descriptor that looks nearer than the runner is computed at once.
//
// On random unit vectors about 200 descriptors in 100 000 are computed
// exactly. The bound is a proof, not a statistic: the tests compare every
// answer with an exhaustive search, and the benchmarks do too.
//
// # Layout and memory
//
// Descriptors live in chunks of 1024 in structure-of-arrays layout: the
// codes contiguous (the only data the scan streams), and the exact
// descriptors packed losslessly in 29 bits per component (464 bytes;
// see pack.go). Ids are length-prefixed in an arena and found through an
// open-addressing table of 4-byte entries. About 575 bytes per descriptor
// in all.
//
// # Concurrency
//
// Searches run on an immutable snapshot reached through an atomic
// pointer, and never wait for writers. Writers (Add, Remove,
// RemoveIdentity, Load) are serialised by a mutex and publish a new
// snapshot: appended descriptors go into chunk slots past the published
// length, removals copy the removal bitmap. When many descriptors were
// removed, or the index doubled since its quantiser was fitted, the writer
// rebuilds the index (O(n), amortised O(1) per write) while searches go
// on with the previous snapshot. Load rebuilds once for a whole batch.
package faceindex
