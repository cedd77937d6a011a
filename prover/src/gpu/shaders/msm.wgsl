// Pippenger's bucket method for Σ s_i·P_i on G1, every step but the last on the device.
//
// With windows of c bits and signed digits d ∈ [-2^(c-1), 2^(c-1)] (a digit above 2^(c-1)
// borrows from the next window), W = floor(254/c) + 1 windows cover every scalar below
// r < 2^254 with no carry out of the top one, and window w has B = 2^(c-1) buckets: digit d
// puts ±P_i in bucket |d| - 1. The passes, one dispatch each:
//
//   count        one thread per scalar: the digits, and an atomic count per bucket
//   scan_blocks  exclusive prefix sums of the counts (CSR row offsets) and of the
//   scan_top     segments per bucket, in blocks of 1024 then over the blocks
//   scan_add
//   scatter      one thread per scalar: each ±i into its bucket's row (the sparse matrix's
//                transpose, as cuZK and the ZPrize 2023 WebGPU MSMs sort), by atomic cursors
//   accumulate   one thread per segment of at most S entries of one bucket (its bucket found
//                by binary search over the segment offsets): their sum, by additions of the
//                affine points (so a bucket holding every point, as when every scalar is
//                equal, is summed by many threads)
//   fold ×F      one thread per group of FOLD of a bucket's remaining segment sums: their sum,
//                in place (stride FOLD^level), until each bucket's sum is its first segment's
//   reduce       one thread per run of B/T buckets [lo, lo + B/T) of a window: the run's sum
//                Σ bucket_b and its weighted sum Σ (b − lo + 1)·bucket_b, as a running sum
//                from the top
//
// Every thread makes at most 128 additions (layout.rs: Mesa's software Vulkan stops loops
// after 65,535 iterations per invocation)
// and the host finishes each window, Σ_runs weighted + lo·sum (one running sum over the T
// runs), and combines the windows with c doublings each (Horner). The order of the points within a bucket depends on the atomics, but the sum
// does not: the group is abelian and the formulas complete.

struct Params {
    // Points and scalars.
    n: u32,
    // Window bits, windows, buckets per window.
    c: u32,
    windows: u32,
    buckets: u32,
    // Entries per segment at most; runs per window in `reduce`.
    segment: u32,
    runs: u32,
    // Sections of `index` (word offsets).
    offsets: u32,
    segment_offsets: u32,
    block_sums: u32,
    totals: u32,
    sorted: u32,
    // Sections of `sums` (point offsets, 24 words a point).
    segment_sums: u32,
    run_sums: u32,
    // Segments the accumulate and fold dispatches cover (an upper bound on the real number).
    max_segments: u32,
    // Instructions in one point addition (program.rs).
    add_length: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// Affine points, sixteen words each: x then y, (0, 0) for the point at infinity.
@group(0) @binding(1) var<storage, read> points: array<u32>;
// Scalars in standard form, eight little-endian words each.
@group(0) @binding(2) var<storage, read> scalars: array<u32>;
// Bucket counts (W·B) then cursors (W·B).
@group(0) @binding(3) var<storage, read_write> counters: array<atomic<u32>>;
// Offsets, segment offsets, block sums, totals and the sorted entries.
@group(0) @binding(4) var<storage, read_write> index: array<u32>;
// Projective points, 24 words each: segment sums, run sums (two per run).
@group(0) @binding(5) var<storage, read_write> sums: array<u32>;
// The fold pass's stride, FOLD^level (x), one binding per pass.
@group(0) @binding(7) var<uniform> fold_pass: vec4<u32>;

const WORKGROUP: u32 = 64u;
const SCAN_THREADS: u32 = 256u;
const SCAN_PER_THREAD: u32 = 4u;
const NEGATED: u32 = 0x80000000u;
const FOLD: u32 = 64u;

// The invocation's index in a dispatch of `groups` workgroups of `size` invocations, laid out
// in two dimensions past the 65,535 workgroups a dimension may have.
fn linear_id(gid: vec3<u32>, groups: vec3<u32>, size: u32) -> u32 {
    return gid.x + gid.y * groups.x * size;
}

fn is_infinity(i: u32) -> bool {
    var acc = 0u;
    for (var k = 0u; k < 16u; k++) {
        acc |= points[16u * i + k];
    }
    return acc == 0u;
}

// Registers r..r + 2 := point i, affine (Z = 1).
fn register_set_point(slot: u32, r: u32, i: u32) {
    var x: array<u32, 8>;
    var y: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        x[k] = points[16u * i + k];
        y[k] = points[16u * i + 8u + k];
    }
    register_set_words(slot, r, x);
    register_set_words(slot, r + 1u, y);
    register_set_words(slot, r + 2u, ONE_WORDS);
}

// Registers r..r + 2 := the projective sum at `at` of `sums`.
fn register_set_sum(slot: u32, r: u32, at: u32) {
    for (var c = 0u; c < 3u; c++) {
        var w: array<u32, 8>;
        for (var k = 0u; k < 8u; k++) {
            w[k] = sums[24u * at + 8u * c + k];
        }
        register_set_words(slot, r + c, w);
    }
}

// The projective sum at `at` of `sums` := registers r..r + 2.
fn store_sum(slot: u32, at: u32, r: u32) {
    for (var c = 0u; c < 3u; c++) {
        var w = register_words(slot, r + c);
        for (var k = 0u; k < 8u; k++) {
            sums[24u * at + 8u * c + k] = w[k];
        }
    }
}

// Program ranges (program.rs): A ← A − B, A ← A + B, C ← C + A.
fn a_minus_b() -> vec2<u32> {
    return vec2<u32>(0u, 1u + params.add_length);
}

fn a_plus_b() -> vec2<u32> {
    return vec2<u32>(1u, 1u + params.add_length);
}

fn c_plus_a() -> vec2<u32> {
    return vec2<u32>(1u + params.add_length, 1u + 2u * params.add_length);
}

// Window w's c raw bits of scalar i.
fn window_bits(i: u32, w: u32) -> u32 {
    let bit = w * params.c;
    let word = bit / 32u;
    let shift = bit % 32u;
    if (word >= 8u) {
        return 0u;
    }
    var raw = scalars[8u * i + word] >> shift;
    if (shift + params.c > 32u && word + 1u < 8u) {
        raw |= scalars[8u * i + word + 1u] << (32u - shift);
    }
    return raw & ((1u << params.c) - 1u);
}

// The signed digit of window w given the carry into it: (digit, carry out).
fn signed_digit(raw: u32, carry: u32) -> vec2<i32> {
    let d = i32(raw + carry);
    if (d > i32(params.buckets)) {
        return vec2<i32>(d - i32(1u << params.c), 1);
    }
    return vec2<i32>(d, 0);
}

@compute @workgroup_size(64)
fn count(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_id(gid, groups, WORKGROUP);
    if (i >= params.n || is_infinity(i)) {
        return;
    }
    var carry = 0u;
    for (var w = 0u; w < params.windows; w++) {
        let dc = signed_digit(window_bits(i, w), carry);
        carry = u32(dc.y);
        if (dc.x != 0i) {
            let b = w * params.buckets + u32(abs(dc.x)) - 1u;
            atomicAdd(&counters[b], 1u);
        }
    }
}

fn bucket_count(b: u32) -> u32 {
    return atomicLoad(&counters[b]);
}

fn segments_of(count: u32) -> u32 {
    return (count + params.segment - 1u) / params.segment;
}

var<workgroup> scan_entries: array<u32, 256>;
var<workgroup> scan_segments: array<u32, 256>;

// Exclusive prefix sums within each block of SCAN_THREADS·SCAN_PER_THREAD buckets, and each
// block's totals.
@compute @workgroup_size(256)
fn scan_blocks(@builtin(local_invocation_id) lid: vec3<u32>,
               @builtin(workgroup_id) wid: vec3<u32>) {
    let total = params.windows * params.buckets;
    let block = wid.x;
    let first = (block * SCAN_THREADS + lid.x) * SCAN_PER_THREAD;
    var entries = 0u;
    var segments = 0u;
    for (var k = 0u; k < SCAN_PER_THREAD; k++) {
        if (first + k < total) {
            let c = bucket_count(first + k);
            entries += c;
            segments += segments_of(c);
        }
    }
    scan_entries[lid.x] = entries;
    scan_segments[lid.x] = segments;
    workgroupBarrier();
    if (lid.x == 0u) {
        var e = 0u;
        var s = 0u;
        for (var t = 0u; t < SCAN_THREADS; t++) {
            let te = scan_entries[t];
            let ts = scan_segments[t];
            scan_entries[t] = e;
            scan_segments[t] = s;
            e += te;
            s += ts;
        }
        index[params.block_sums + 2u * block] = e;
        index[params.block_sums + 2u * block + 1u] = s;
    }
    workgroupBarrier();
    var e = scan_entries[lid.x];
    var s = scan_segments[lid.x];
    for (var k = 0u; k < SCAN_PER_THREAD; k++) {
        if (first + k < total) {
            index[params.offsets + first + k] = e;
            index[params.segment_offsets + first + k] = s;
            let c = bucket_count(first + k);
            e += c;
            s += segments_of(c);
        }
    }
}

// The blocks' exclusive prefix sums, and the totals (entries, segments), by one thread: a few
// hundred blocks at 2^20 points.
@compute @workgroup_size(1)
fn scan_top() {
    let per_block = SCAN_THREADS * SCAN_PER_THREAD;
    let blocks = (params.windows * params.buckets + per_block - 1u) / per_block;
    var e = 0u;
    var s = 0u;
    for (var b = 0u; b < blocks; b++) {
        let be = index[params.block_sums + 2u * b];
        let bs = index[params.block_sums + 2u * b + 1u];
        index[params.block_sums + 2u * b] = e;
        index[params.block_sums + 2u * b + 1u] = s;
        e += be;
        s += bs;
    }
    index[params.totals] = e;
    index[params.totals + 1u] = s;
}

@compute @workgroup_size(64)
fn scan_add(@builtin(global_invocation_id) gid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
    let b = linear_id(gid, groups, WORKGROUP);
    if (b >= params.windows * params.buckets) {
        return;
    }
    let block = b / (SCAN_THREADS * SCAN_PER_THREAD);
    index[params.offsets + b] += index[params.block_sums + 2u * block];
    index[params.segment_offsets + b] += index[params.block_sums + 2u * block + 1u];
}

@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_id(gid, groups, WORKGROUP);
    if (i >= params.n || is_infinity(i)) {
        return;
    }
    let cursors = params.windows * params.buckets;
    var carry = 0u;
    for (var w = 0u; w < params.windows; w++) {
        let dc = signed_digit(window_bits(i, w), carry);
        carry = u32(dc.y);
        if (dc.x != 0i) {
            let b = w * params.buckets + u32(abs(dc.x)) - 1u;
            let slot = atomicAdd(&counters[cursors + b], 1u);
            var entry = i;
            if (dc.x < 0i) {
                entry |= NEGATED;
            }
            index[params.sorted + index[params.offsets + b] + slot] = entry;
        }
    }
}

// The bucket segment s belongs to: the last b with segment_offsets[b] ≤ s (buckets without
// segments share their offset with the next one), by binary search.
fn segment_bucket(s: u32) -> u32 {
    var lo = 0u;
    var hi = params.windows * params.buckets;
    loop {
        if (hi - lo <= 1u) {
            break;
        }
        let mid = (lo + hi) / 2u;
        if (index[params.segment_offsets + mid] <= s) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// Each point kernel calls `run_program` from one place (one inlined copy of the field
// operations), choosing the program per step.

@compute @workgroup_size(16)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) slot: u32) {
    let s = linear_id(gid, groups, POINT_WORKGROUP);
    if (s >= params.max_segments || s >= index[params.totals + 1u]) {
        return;
    }
    registers_begin(slot);
    let b = segment_bucket(s);
    let k = s - index[params.segment_offsets + b];
    let row = index[params.offsets + b];
    let start = row + k * params.segment;
    let end = min(start + params.segment, row + bucket_count(b));
    register_set_identity(slot, REG_A);
    for (var e = start; e < end; e++) {
        let entry = index[params.sorted + e];
        register_set_point(slot, REG_B, entry & ~NEGATED);
        var program = a_plus_b();
        if ((entry & NEGATED) != 0u) {
            program = a_minus_b();
        }
        run_program(slot, program.x, program.y);
    }
    store_sum(slot, params.segment_sums + s, REG_A);
}

// Segment k of a bucket, when k is a multiple of FOLD·stride: the sum of its segment sums
// k, k + stride, …, up to FOLD of them, stored in place at k.
@compute @workgroup_size(16)
fn fold(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) slot: u32) {
    let s = linear_id(gid, groups, POINT_WORKGROUP);
    if (s >= params.max_segments || s >= index[params.totals + 1u]) {
        return;
    }
    let b = segment_bucket(s);
    let first = index[params.segment_offsets + b];
    let k = s - first;
    let stride = fold_pass.x;
    let span = stride * FOLD;
    let count = segments_of(bucket_count(b));
    if (k % span != 0u || k + stride >= count) {
        return;
    }
    registers_begin(slot);
    register_set_sum(slot, REG_A, params.segment_sums + s);
    let last = min(k + span, count);
    let program = a_plus_b();
    for (var j = k + stride; j < last; j += stride) {
        register_set_sum(slot, REG_B, params.segment_sums + first + j);
        run_program(slot, program.x, program.y);
    }
    store_sum(slot, params.segment_sums + s, REG_A);
}

// Run t of window w writes its sum (A) at run_sums + 2t and its weighted sum (C) at
// run_sums + 2t + 1. A bucket's sum is its first segment's (after the folds); an empty
// bucket adds nothing.
@compute @workgroup_size(16)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) slot: u32) {
    let t = linear_id(gid, groups, POINT_WORKGROUP);
    if (t >= params.windows * params.runs) {
        return;
    }
    registers_begin(slot);
    let w = t / params.runs;
    let run = t % params.runs;
    let length = params.buckets / params.runs;
    let lo = w * params.buckets + run * length;
    // From the top: A += bucket, then C += A, so bucket lo + j is in C (j + 1) times.
    register_set_identity(slot, REG_A);
    register_set_identity(slot, REG_C);
    for (var step = 0u; step < 2u * length; step++) {
        var program = c_plus_a();
        if (step % 2u == 0u) {
            let b = lo + length - 1u - step / 2u;
            program = vec2<u32>(0u, 0u);
            if (bucket_count(b) > 0u) {
                register_set_sum(slot, REG_B, params.segment_sums + index[params.segment_offsets + b]);
                program = a_plus_b();
            }
        }
        run_program(slot, program.x, program.y);
    }
    store_sum(slot, params.run_sums + 2u * t, REG_A);
    store_sum(slot, params.run_sums + 2u * t + 1u, REG_C);
}
