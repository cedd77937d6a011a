//! Gate and lookup expressions as a stack program over the scalar field.
//!
//! halo2 stores a gate's polynomial as an expression tree over queried evaluations. An EVM
//! verifier that unrolls every tree into code outgrows EIP-170 long before the batch circuit is
//! complete (see `docs/circuit.md`), so the trees are compiled to bytes that one fixed
//! interpreter runs: a post-order walk, each node one instruction.
//!
//! | byte | operands | effect |
//! |---|---|---|
//! | `0x01` EVAL | `u16` i | push `evals[i]` (the proof's evaluations, in the order it holds them) |
//! | `0x02` INSTANCE | | push the instance column's evaluation at `x` |
//! | `0x03` CONST | `u16` i | push `constants[i]` |
//! | `0x04` NEG | | `a → −a` |
//! | `0x05` ADD | | `a, b → a + b` |
//! | `0x06` MUL | | `a, b → a·b` |
//! | `0x07` SCALE | `u16` i | `a → a·constants[i]` |
//! | `0x08` FOLD | | pop `v`; `acc ← acc·c + v` (`c` is `y` for gates, `θ` for lookups) |
//!
//! Operands are big-endian. A program must leave the stack empty; the interpreter refuses one
//! that underflows, overflows [`MAX_STACK`], or ends with values left.

use crate::Fr;
use halo2_proofs::plonk::Expression;
use zksettle_halo2_circuit::halo2_proofs;

/// Push an evaluation the proof holds.
pub const EVAL: u8 = 0x01;
/// Push the instance column's evaluation.
pub const INSTANCE: u8 = 0x02;
/// Push a constant.
pub const CONST: u8 = 0x03;
/// Negate the top.
pub const NEG: u8 = 0x04;
/// Add the top two.
pub const ADD: u8 = 0x05;
/// Multiply the top two.
pub const MUL: u8 = 0x06;
/// Multiply the top by a constant.
pub const SCALE: u8 = 0x07;
/// Fold the top into the accumulator.
pub const FOLD: u8 = 0x08;

/// The deepest stack a program may use (a Solidity interpreter reserves this much memory).
pub const MAX_STACK: usize = 64;

/// Why an expression cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    /// A virtual selector survived key generation (halo2 replaces them with fixed columns).
    #[error("a virtual selector is left in an expression")]
    Selector,
    /// A challenge (a multi-phase circuit): the verifier supports one phase.
    #[error("challenges (multi-phase circuits) are not supported")]
    Challenge,
    /// A query the constraint system does not list.
    #[error("an expression queries a column the constraint system does not")]
    UnknownQuery,
    /// More than 65,536 evaluations or constants.
    #[error("more than 65,536 evaluations or constants")]
    TooLarge,
    /// An expression deeper than the interpreter's stack.
    #[error("an expression needs more than {MAX_STACK} stack slots")]
    TooDeep,
}

/// Where an expression's queries are found: the index in the proof's evaluations of each
/// advice and fixed query, and whether a query is the instance one.
pub trait QueryIndex {
    /// The evaluation index of advice column `column` at `rotation`.
    fn advice(&self, column: usize, rotation: i32) -> Option<usize>;
    /// The evaluation index of fixed column `column` at `rotation`.
    fn fixed(&self, column: usize, rotation: i32) -> Option<usize>;
    /// Whether instance column `column` at `rotation` is the one instance query.
    fn instance(&self, column: usize, rotation: i32) -> bool;
}

/// A program under construction, with the constant pool it shares with other programs.
#[derive(Debug)]
pub struct Compiler<'a, Q: QueryIndex> {
    queries: &'a Q,
    constants: &'a mut Vec<Fr>,
    code: Vec<u8>,
    depth: usize,
}

impl<'a, Q: QueryIndex> Compiler<'a, Q> {
    /// A compiler appending constants to `constants`.
    pub fn new(queries: &'a Q, constants: &'a mut Vec<Fr>) -> Self {
        Self {
            queries,
            constants,
            code: Vec::new(),
            depth: 0,
        }
    }

    /// Compiles `expression` and a FOLD of its value.
    pub fn fold(&mut self, expression: &Expression<Fr>) -> Result<(), ProgramError> {
        self.expression(expression)?;
        self.op(FOLD, None, -1)
    }

    /// The program.
    pub fn finish(self) -> Vec<u8> {
        self.code
    }

    fn constant(&mut self, value: Fr) -> Result<u16, ProgramError> {
        let index = match self.constants.iter().position(|c| *c == value) {
            Some(index) => index,
            None => {
                self.constants.push(value);
                self.constants.len() - 1
            }
        };
        u16::try_from(index).map_err(|_| ProgramError::TooLarge)
    }

    /// Appends one instruction, tracking the stack depth (`change` is its net effect).
    fn op(&mut self, code: u8, operand: Option<usize>, change: isize) -> Result<(), ProgramError> {
        self.code.push(code);
        if let Some(operand) = operand {
            let operand = u16::try_from(operand).map_err(|_| ProgramError::TooLarge)?;
            self.code.extend_from_slice(&operand.to_be_bytes());
        }
        self.depth = self.depth.checked_add_signed(change).unwrap_or(0);
        if self.depth > MAX_STACK {
            return Err(ProgramError::TooDeep);
        }
        Ok(())
    }

    fn expression(&mut self, expression: &Expression<Fr>) -> Result<(), ProgramError> {
        match expression {
            Expression::Constant(value) => {
                let index = self.constant(*value)?;
                self.op(CONST, Some(index.into()), 1)
            }
            Expression::Selector(_) => Err(ProgramError::Selector),
            Expression::Challenge(_) => Err(ProgramError::Challenge),
            Expression::Fixed(query) => {
                let index = self
                    .queries
                    .fixed(query.column_index(), query.rotation().0)
                    .ok_or(ProgramError::UnknownQuery)?;
                self.op(EVAL, Some(index), 1)
            }
            Expression::Advice(query) => {
                let index = self
                    .queries
                    .advice(query.column_index(), query.rotation().0)
                    .ok_or(ProgramError::UnknownQuery)?;
                self.op(EVAL, Some(index), 1)
            }
            Expression::Instance(query) => {
                if !self
                    .queries
                    .instance(query.column_index(), query.rotation().0)
                {
                    return Err(ProgramError::UnknownQuery);
                }
                self.op(INSTANCE, None, 1)
            }
            Expression::Negated(a) => {
                self.expression(a)?;
                self.op(NEG, None, 0)
            }
            Expression::Sum(a, b) => {
                self.expression(a)?;
                self.expression(b)?;
                self.op(ADD, None, -1)
            }
            Expression::Product(a, b) => {
                self.expression(a)?;
                self.expression(b)?;
                self.op(MUL, None, -1)
            }
            Expression::Scaled(a, scalar) => {
                self.expression(a)?;
                let index = self.constant(*scalar)?;
                self.op(SCALE, Some(index.into()), 0)
            }
        }
    }
}

/// Why a program does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// An unknown instruction or a truncated operand.
    #[error("a malformed instruction at byte {0}")]
    Malformed(usize),
    /// An operand past the evaluations or constants.
    #[error("an operand out of range at byte {0}")]
    OutOfRange(usize),
    /// The stack underflowed, overflowed or was left non-empty.
    #[error("the stack is unbalanced")]
    Stack,
}

/// What a program reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The proof's evaluations.
    pub evals: &'a [Fr],
    /// The instance column's evaluation.
    pub instance: Fr,
    /// The constant pool.
    pub constants: &'a [Fr],
}

/// Runs `code`, folding every FOLD into `acc` with factor `c`, as the EVM interpreter does.
pub fn run(code: &[u8], inputs: Inputs<'_>, c: Fr, mut acc: Fr) -> Result<Fr, RunError> {
    let mut stack: Vec<Fr> = Vec::with_capacity(MAX_STACK);
    let mut at = 0;
    while at < code.len() {
        let start = at;
        let op = code[at];
        at += 1;
        let mut operand = || -> Result<usize, RunError> {
            let bytes = code.get(at..at + 2).ok_or(RunError::Malformed(start))?;
            at += 2;
            Ok(usize::from(u16::from_be_bytes([bytes[0], bytes[1]])))
        };
        let pop = |stack: &mut Vec<Fr>| stack.pop().ok_or(RunError::Stack);
        match op {
            EVAL => {
                let i = operand()?;
                stack.push(*inputs.evals.get(i).ok_or(RunError::OutOfRange(start))?);
            }
            INSTANCE => stack.push(inputs.instance),
            CONST => {
                let i = operand()?;
                stack.push(*inputs.constants.get(i).ok_or(RunError::OutOfRange(start))?);
            }
            NEG => {
                let a = pop(&mut stack)?;
                stack.push(-a);
            }
            ADD | MUL => {
                let (b, a) = (pop(&mut stack)?, pop(&mut stack)?);
                stack.push(if op == ADD { a + b } else { a * b });
            }
            SCALE => {
                let i = operand()?;
                let k = *inputs.constants.get(i).ok_or(RunError::OutOfRange(start))?;
                let a = pop(&mut stack)?;
                stack.push(a * k);
            }
            FOLD => {
                let v = pop(&mut stack)?;
                acc = acc * c + v;
            }
            _ => return Err(RunError::Malformed(start)),
        }
        if stack.len() > MAX_STACK {
            return Err(RunError::Stack);
        }
    }
    if stack.is_empty() {
        Ok(acc)
    } else {
        Err(RunError::Stack)
    }
}
