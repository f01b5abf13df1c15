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
// smaller name); only the work is smaller. Numbers, and the ratio to FAISS
// IndexFlatL2 measured in the same run, are in docs/performance.md.
//
//   - Each descriptor also has a 4-bit code per component (64 bytes): the
//     16 Lloyd-Max levels of a normal distribution fitted to that
//     component over the enrolled descriptors.
//   - With |x − x̂| ≤ err and |x − μ|² − |x̂ − μ|² ≥ corr kept per
//     descriptor (one byte each, μ the mean descriptor, x̂ the quantised
//     reconstruction), |q − x|² ≥ |q − x̂|² − 2|q − μ|·err + corr. Every
//     descriptor whose lower bound exceeds the current runner's exact
//     distance (with every rounding accounted for) can be neither the
//     nearest nor the runner and is skipped; every other one is computed
//     exactly. The thresholds tighten as the scan goes: a descriptor that
//     looks nearer than the runner is computed at once.
//   - The bound is applied twice. First to every descriptor by the fast
//     scan (kernel.go): per query, a 16-entry table of 8-bit entries per
//     component (and two for err and corr, coarsened to 4 bits), each
//     entry rounded down; the codes of 32 descriptors are transposed into
//     a block so that one AVX2 byte shuffle looks up one component of all
//     32, summed in 16-bit lanes. The kernel is Go assembly generated with
//     avo (_asm/, go generate); a pure-Go kernel computing the same sums
//     is the fallback (other architectures, no AVX2, -tags purego). The
//     few descriptors it lets through (about 2% at 100 000, fewer as the
//     index grows) are checked with the finer 16-bit table (|q − x̂|² two
//     components per entry, within 1 unit) and the triangle inequality,
//     and about 200 in 100 000 are computed exactly.
//
// The bound is a proof, not a statistic: the tests compare every answer
// with an exhaustive search, with every kernel, check the 8-bit bound
// against the exact distance descriptor by descriptor, and check that the
// kernels give the same sums; the benchmarks compare every answer too.
//
// # Layout and memory
//
// Descriptors live in chunks of 1024 in structure-of-arrays layout: the
// codes in blocks of 32 descriptors, transposed (65 bytes per descriptor,
// the only data the scan streams), and the exact descriptors packed
// losslessly in 29 bits per component (464 bytes; see pack.go). Ids are
// length-prefixed in an arena and found through an open-addressing table
// of 4-byte entries. About 583 bytes per descriptor in all.
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
