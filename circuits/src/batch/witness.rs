//! Witness generation in parallel over the chunks.
//!
//! Groth16 needs the circuit's full assignment `z = (1, x, w)`; the constraint matrices are the
//! same for every batch of a shape and come from setup-mode synthesis once
//! (the prover's `ShapeConstraints`). Synthesis is sequential in arkworks (one constraint system,
//! one counter of variables), but a chunk reads only three things from outside itself: the
//! root before it, the deployment domain and the fee slots' tokens. So each chunk is
//! synthesized on its own rayon task, in a constraint system of its own where those inputs
//! are instance variables, with the root before it taken from the witness's leaf updates.
//! The batch's constraint system then takes the chunks' witness values in order, exactly where
//! sequential synthesis would have allocated them, and continues with framing, fees and the
//! commitment over the chunks' outputs.
//!
//! The result is the assignment sequential synthesis produces for an honest witness (tested).
//! A witness whose leaf-update roots do not chain gives an assignment that does not satisfy
//! the circuit, which the prover's self-check rejects, as it would anyway: soundness never
//! rests on this module.

use super::chunk::ChunkOut;
use super::{BatchAssignment, BatchCircuit, Header};
use crate::gadgets::FrVar;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{
    ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisError, SynthesisMode,
    Variable,
};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// A batch's full Groth16 assignment: instance (`1` first, then the commitment) and witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullAssignment {
    /// `(1, commitment)`.
    pub instance: Vec<Fr>,
    /// Every witness variable, in allocation order.
    pub witness: Vec<Fr>,
}

impl FullAssignment {
    /// `instance ‖ witness`, the vector `z` the QAP is evaluated at.
    pub fn concatenated(mut self) -> Vec<Fr> {
        self.instance.append(&mut self.witness);
        self.instance
    }
}

/// A chunk output as plain data, so it can leave the rayon task that made it.
#[derive(Debug, Clone, Copy)]
enum Exported {
    Constant(Fr),
    /// One of the chunk's inputs: 0 the root, 1 the domain, `2 + k` fee slot `k`'s token.
    Input(usize),
    /// A variable of the chunk's own system (a witness or a combination of them) and its value.
    Derived(Fr),
}

/// One chunk synthesized on its own.
struct ChunkWitness {
    witness: Vec<Fr>,
    starts: Exported,
    last: Exported,
    position: Exported,
    identity: Vec<Exported>,
    root: Exported,
    pubdata: Vec<Exported>,
    fees: Vec<Exported>,
}

fn prove_mode_system() -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    cs
}

impl BatchCircuit {
    /// The full assignment of this batch, chunks synthesized in parallel (rayon).
    pub fn full_assignment(&self) -> Result<FullAssignment, SynthesisError> {
        let a = &self.assignment;
        let cs = prove_mode_system();
        let commitment = FpVar::new_input(cs.clone(), || Ok(a.commitment))?;
        let header = self.header(&cs)?;
        let domain = header.domain.value()?;
        let fee_tokens = header
            .fee_tokens
            .iter()
            .map(GR1CSVar::value)
            .collect::<Result<Vec<_>, _>>()?;
        let roots = roots_before_chunks(a);
        #[cfg(feature = "parallel")]
        let chunk_indices = (0..a.chunks.len()).into_par_iter();
        #[cfg(not(feature = "parallel"))]
        let chunk_indices = 0..a.chunks.len();
        let chunks = chunk_indices
            .map(|j| self.chunk_alone(j, roots[j], domain, &fee_tokens))
            .collect::<Result<Vec<_>, _>>()?;

        let mut root = header.old_root.clone();
        let mut adopted = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let out = adopt(&cs, chunk, &root, &header)?;
            root = out.root.clone();
            adopted.push(out);
        }
        self.finish(&cs, header, &adopted)?
            .enforce_equal(&commitment)?;
        Ok(FullAssignment {
            instance: cs.instance_assignment()?,
            witness: cs.witness_assignment()?,
        })
    }

    /// Chunk `j` in a constraint system of its own, its inputs as instance variables.
    fn chunk_alone(
        &self,
        j: usize,
        root: Fr,
        domain: Fr,
        fee_tokens: &[Fr],
    ) -> Result<ChunkWitness, SynthesisError> {
        let cs = prove_mode_system();
        let input = |value: Fr| FpVar::new_input(cs.clone(), || Ok(value));
        let header = Header {
            domain_bits: Vec::new(),
            domain: input(domain)?,
            number: Vec::new(),
            old_root: FpVar::zero(),
            fee_tokens: fee_tokens
                .iter()
                .map(|t| input(*t))
                .collect::<Result<_, _>>()?,
        };
        let root = input(root)?;
        let mut inputs = vec![variable(&root), variable(&header.domain)];
        inputs.extend(header.fee_tokens.iter().map(variable));
        let out = self.chunk(&cs, j, &root, &header)?;
        let export = |v: &FrVar| export(v, &inputs);
        let all = |vs: &[FrVar]| vs.iter().map(export).collect::<Result<Vec<_>, _>>();
        Ok(ChunkWitness {
            starts: export(&out.starts)?,
            last: export(&out.last)?,
            position: export(&out.position)?,
            identity: all(&out.identity)?,
            root: export(&out.root)?,
            pubdata: all(&out.pubdata)?,
            fees: all(&out.fees)?,
            witness: cs.witness_assignment()?,
        })
    }
}

/// The root before each chunk of an honest witness: an op's first chunk starts from the root
/// before its first write and leaves the root after its last; other chunks write nothing.
fn roots_before_chunks(a: &BatchAssignment) -> Vec<Fr> {
    let mut root = a.old_root;
    let mut roots = Vec::with_capacity(a.chunks.len());
    for chunk in &a.chunks {
        roots.push(root);
        if let Some(last) = chunk.write_b.as_ref().or(chunk.write_a.as_ref()) {
            root = last.root_after;
        }
    }
    roots
}

fn variable(v: &FrVar) -> Option<Variable> {
    match v {
        FpVar::Var(a) => Some(a.variable),
        FpVar::Constant(_) => None,
    }
}

fn export(v: &FrVar, inputs: &[Option<Variable>]) -> Result<Exported, SynthesisError> {
    Ok(match v {
        FpVar::Constant(c) => Exported::Constant(*c),
        FpVar::Var(a) => match inputs.iter().position(|i| *i == Some(a.variable)) {
            Some(k) => Exported::Input(k),
            None => Exported::Derived(a.value()?),
        },
    })
}

/// Appends a chunk's witness values to the batch's system, where sequential synthesis would
/// have allocated them, and rebuilds its outputs there. Without constraint matrices only
/// values flow on from here, so an adopted output needs its value, not its wiring.
fn adopt(
    cs: &ConstraintSystemRef<Fr>,
    chunk: ChunkWitness,
    root: &FrVar,
    header: &Header,
) -> Result<ChunkOut, SynthesisError> {
    for value in chunk.witness {
        // Allocation order is the assignment: the variable itself is not needed.
        let _ = cs.new_witness_variable(|| Ok(value))?;
    }
    let rebuild = |e: Exported| -> Result<FrVar, SynthesisError> {
        Ok(match e {
            Exported::Constant(c) => FpVar::Constant(c),
            Exported::Input(0) => root.clone(),
            Exported::Input(1) => header.domain.clone(),
            Exported::Input(k) => header
                .fee_tokens
                .get(k - 2)
                .cloned()
                .ok_or(SynthesisError::AssignmentMissing)?,
            Exported::Derived(value) => {
                let placeholder = cs.new_lc(ark_relations::gr1cs::LinearCombination::zero)?;
                FpVar::Var(AllocatedFp::new(Some(value), placeholder, cs.clone()))
            }
        })
    };
    let all = |es: Vec<Exported>| es.into_iter().map(rebuild).collect::<Result<Vec<_>, _>>();
    Ok(ChunkOut {
        starts: rebuild(chunk.starts)?,
        last: rebuild(chunk.last)?,
        position: rebuild(chunk.position)?,
        identity: all(chunk.identity)?,
        root: rebuild(chunk.root)?,
        pubdata: all(chunk.pubdata)?,
        fees: all(chunk.fees)?,
    })
}
