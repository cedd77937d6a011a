//! The batch circuit and its assignments in iden3's binary formats, the ones circom writes and
//! snarkjs reads (`docs/snarkjs-formats.md`), so that the ecosystem's ceremony tools take
//! zksettle's circuit as it is: `snarkjs r1cs info`, `snarkjs wtns check`, and
//! `snarkjs groth16 setup` for a phase-2 ceremony.
//!
//! Both files are iden3's section container: the 4-byte magic, a u32 version, a u32 section
//! count, then per section a u32 type, a u64 byte size and the bytes; integers little-endian.
//!
//! - `.r1cs` (version 1): section 1, the header (field size 32, the scalar field's modulus `r`,
//!   wires, public outputs 0, public inputs 1 (the batch commitment), private inputs 0, labels,
//!   constraints); section 2, every constraint as its `A`, `B` and `C` combinations (a u32 term
//!   count, then per term a u32 wire and the coefficient's 32 bytes in standard form); section
//!   3, one u64 label per wire (the wire's own index).
//! - `.wtns` (version 2): section 1, the field size, `r` and the number of values; section 2,
//!   the full assignment `z = (1, x, w)` in standard form.
//!
//! arkworks numbers the variables as iden3 numbers the wires: the constant one, the public
//! inputs, then the witness. So a matrix column is the wire's index and `z` is the witness
//! file's order, with no renumbering.

use crate::prove::ShapeConstraints;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::Matrix;
use std::io::{self, Write};
use zksettle_core::Fr;

/// Bytes of a field element in these files.
const FIELD_BYTES: usize = 32;

/// A count that must fit the format's u32.
fn u32_of(n: usize, what: &'static str) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {n} does not fit the format's 32 bits"),
        )
    })
}

/// `x` in standard form, 32 little-endian bytes.
fn field_bytes(x: &Fr) -> Vec<u8> {
    x.into_bigint().to_bytes_le()
}

/// The container's file header.
fn container(out: &mut impl Write, magic: &[u8; 4], version: u32, sections: u32) -> io::Result<()> {
    out.write_all(magic)?;
    out.write_all(&version.to_le_bytes())?;
    out.write_all(&sections.to_le_bytes())
}

/// A section's header: its type and the size of what follows.
fn section(out: &mut impl Write, kind: u32, size: u64) -> io::Result<()> {
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&size.to_le_bytes())
}

/// Writes `shape`'s circuit as an iden3 `.r1cs` file.
pub fn write_r1cs(shape: &ShapeConstraints, out: &mut impl Write) -> io::Result<()> {
    write_r1cs_matrices(
        shape.matrices(),
        shape.instance_variables(),
        shape.instance_variables() + shape.witness_variables(),
        shape.constraints(),
        out,
    )
}

/// Writes any R1CS in arkworks' layout as an iden3 `.r1cs` file: `matrices` = `A, B, C` (row
/// `i`'s terms as `(coefficient, variable)`), `instance_variables` (the constant one
/// included; the rest are public inputs), `wires` variables in all, `rows` constraints.
pub fn write_r1cs_matrices(
    matrices: &[Matrix<Fr>],
    instance_variables: usize,
    wires: usize,
    rows: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    let [a, b, c] = matrices else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an R1CS has three matrices",
        ));
    };
    if instance_variables == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the constant one is an instance variable",
        ));
    }
    container(out, b"r1cs", 1, 3)?;

    let header_size = 4 + FIELD_BYTES + 4 * 4 + 8 + 4;
    section(out, 1, header_size as u64)?;
    out.write_all(&u32_of(FIELD_BYTES, "field size")?.to_le_bytes())?;
    out.write_all(&Fr::MODULUS.to_bytes_le())?;
    out.write_all(&u32_of(wires, "wire count")?.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?; // public outputs
    out.write_all(&u32_of(instance_variables - 1, "public inputs")?.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?; // private inputs: every witness wire is internal
    out.write_all(&(wires as u64).to_le_bytes())?; // labels
    out.write_all(&u32_of(rows, "constraint count")?.to_le_bytes())?;

    let term_bytes = 4 + FIELD_BYTES;
    let size: usize = [a, b, c]
        .iter()
        .flat_map(|m| m.iter().take(rows))
        .map(|row| 4 + row.len() * term_bytes)
        .sum();
    section(out, 2, size as u64)?;
    for i in 0..rows {
        for matrix in [a, b, c] {
            let row = matrix.get(i).map_or(&[][..], Vec::as_slice);
            out.write_all(&u32_of(row.len(), "terms")?.to_le_bytes())?;
            for (coefficient, column) in row {
                out.write_all(&u32_of(*column, "wire")?.to_le_bytes())?;
                out.write_all(&field_bytes(coefficient))?;
            }
        }
    }

    section(out, 3, 8 * wires as u64)?;
    for wire in 0..wires as u64 {
        out.write_all(&wire.to_le_bytes())?;
    }
    Ok(())
}

/// Writes a full assignment `z = (1, x, w)` as an iden3 `.wtns` file.
pub fn write_wtns(assignment: &[Fr], out: &mut impl Write) -> io::Result<()> {
    container(out, b"wtns", 2, 2)?;
    section(out, 1, (4 + FIELD_BYTES + 4) as u64)?;
    out.write_all(&u32_of(FIELD_BYTES, "field size")?.to_le_bytes())?;
    out.write_all(&Fr::MODULUS.to_bytes_le())?;
    out.write_all(&u32_of(assignment.len(), "witness length")?.to_le_bytes())?;
    section(out, 2, (assignment.len() * FIELD_BYTES) as u64)?;
    for value in assignment {
        out.write_all(&field_bytes(value))?;
    }
    Ok(())
}
