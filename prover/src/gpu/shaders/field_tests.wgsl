// Test kernels (tests only): the field operations and the point programs on buffers, compared with arkworks
// by `gpu::tests`.

@group(0) @binding(0) var<storage, read> lhs: array<u32>;
@group(0) @binding(1) var<storage, read> rhs: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> count: vec4<u32>;

fn lhs_fe(at: u32) -> Fe {
    var w: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        w[k] = lhs[at + k];
    }
    return fe_unpack(w);
}

fn rhs_fe(at: u32) -> Fe {
    var w: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        w[k] = rhs[at + k];
    }
    return fe_unpack(w);
}

fn out_fe(at: u32, a: Fe) {
    var w = fe_pack(a);
    for (var k = 0u; k < 8u; k++) {
        out[at + k] = w[k];
    }
}

@compute @workgroup_size(64)
fn field_mul(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < count.x) {
        out_fe(8u * i, fe_mul(lhs_fe(8u * i), rhs_fe(8u * i)));
    }
}

@compute @workgroup_size(64)
fn field_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < count.x) {
        out_fe(8u * i, fe_add(lhs_fe(8u * i), rhs_fe(8u * i)));
    }
}

@compute @workgroup_size(64)
fn field_sub(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < count.x) {
        out_fe(8u * i, fe_sub(lhs_fe(8u * i), rhs_fe(8u * i)));
    }
}

// lhs, rhs: projective points P, Q (24 words each); count.y: the addition program's length.
// out: P + Q (A ← A + B), P - Q (A ← A - B) and P + Q again (C ← C + A with C = P, A = Q) by
// the point programs, as the MSM kernels run them, 72 words per pair.
@compute @workgroup_size(16)
fn curve_programs(@builtin(global_invocation_id) gid: vec3<u32>,
                  @builtin(local_invocation_index) slot: u32) {
    let i = gid.x;
    if (i >= count.x) {
        return;
    }
    registers_begin(slot);
    let l = count.y;
    for (var case_ = 0u; case_ < 3u; case_++) {
        var first = REG_A;
        var second = REG_B;
        var program = vec2<u32>(1u, 1u + l);
        if (case_ == 1u) {
            program = vec2<u32>(0u, 1u + l);
        } else if (case_ == 2u) {
            first = REG_C;
            second = REG_A;
            program = vec2<u32>(1u + l, 1u + 2u * l);
        }
        for (var c = 0u; c < 3u; c++) {
            var x: array<u32, 8>;
            var y: array<u32, 8>;
            for (var k = 0u; k < 8u; k++) {
                x[k] = lhs[24u * i + 8u * c + k];
                y[k] = rhs[24u * i + 8u * c + k];
            }
            register_set_words(slot, first + c, x);
            register_set_words(slot, second + c, y);
        }
        run_program(slot, program.x, program.y);
        for (var c = 0u; c < 3u; c++) {
            var w = register_words(slot, first + c);
            for (var k = 0u; k < 8u; k++) {
                out[72u * i + 24u * case_ + 8u * c + k] = w[k];
            }
        }
    }
}
