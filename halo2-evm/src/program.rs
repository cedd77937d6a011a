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
//! | `0x09` STORE | `u16` i | `registers[i] ← top` (the top stays) |
//! | `0x0a` LOAD | `u16` i | push `registers[i]` |
//!
//! Operands are big-endian. A program must leave the stack empty; the interpreter refuses one
//! that underflows, overflows [`MAX_STACK`], or ends with values left.
//!
//! halo2's trees repeat themselves: every constraint of a Poseidon round recomputes the same
//! S-boxes, every gate multiplies by the same selector. So the expressions are interned into one
//! DAG first (sums and products with their operands ordered), and a node used more than once is
//! computed once, kept in a register and loaded after that: one program's registers stay set
//! for the programs after it (the gates run first, then each lookup's input and table).

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
/// Copy the top into a register.
pub const STORE: u8 = 0x09;
/// Push a register.
pub const LOAD: u8 = 0x0a;

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

/// A node of the interned expression DAG (children by node id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Constant(u16),
    Eval(u16),
    Instance,
    Negated(u32),
    Sum(u32, u32),
    Product(u32, u32),
    Scaled(u32, u16),
}

impl Node {
    /// Leaves are one instruction: never worth a register.
    fn is_leaf(&self) -> bool {
        matches!(self, Node::Constant(_) | Node::Eval(_) | Node::Instance)
    }
}

/// Programs over one constant pool, one DAG and one register file: add every expression first
/// ([`Compiler::add`]), then emit the programs in the order they run ([`Compiler::emit`]).
#[derive(Debug)]
pub struct Compiler<'a, Q: QueryIndex> {
    queries: &'a Q,
    constants: Vec<Fr>,
    nodes: Vec<Node>,
    ids: std::collections::HashMap<Node, u32>,
    uses: Vec<u32>,
    registers: std::collections::HashMap<u32, u16>,
}

impl<'a, Q: QueryIndex> Compiler<'a, Q> {
    /// An empty compiler.
    pub fn new(queries: &'a Q) -> Self {
        Self {
            queries,
            constants: Vec::new(),
            nodes: Vec::new(),
            ids: std::collections::HashMap::new(),
            uses: Vec::new(),
            registers: std::collections::HashMap::new(),
        }
    }

    /// Interns `expression`; returns its node for [`Compiler::emit`].
    pub fn add(&mut self, expression: &Expression<Fr>) -> Result<u32, ProgramError> {
        let node = match expression {
            Expression::Constant(value) => Node::Constant(self.constant(*value)?),
            Expression::Selector(_) => return Err(ProgramError::Selector),
            Expression::Challenge(_) => return Err(ProgramError::Challenge),
            Expression::Fixed(query) => {
                let index = self
                    .queries
                    .fixed(query.column_index(), query.rotation().0)
                    .ok_or(ProgramError::UnknownQuery)?;
                Node::Eval(u16::try_from(index).map_err(|_| ProgramError::TooLarge)?)
            }
            Expression::Advice(query) => {
                let index = self
                    .queries
                    .advice(query.column_index(), query.rotation().0)
                    .ok_or(ProgramError::UnknownQuery)?;
                Node::Eval(u16::try_from(index).map_err(|_| ProgramError::TooLarge)?)
            }
            Expression::Instance(query) => {
                if !self
                    .queries
                    .instance(query.column_index(), query.rotation().0)
                {
                    return Err(ProgramError::UnknownQuery);
                }
                Node::Instance
            }
            Expression::Negated(a) => Node::Negated(self.add(a)?),
            Expression::Sum(a, b) => {
                let (a, b) = (self.add(a)?, self.add(b)?);
                Node::Sum(a.min(b), a.max(b))
            }
            Expression::Product(a, b) => {
                let (a, b) = (self.add(a)?, self.add(b)?);
                Node::Product(a.min(b), a.max(b))
            }
            Expression::Scaled(a, scalar) => {
                let a = self.add(a)?;
                Node::Scaled(a, self.constant(*scalar)?)
            }
        };
        let id = match self.ids.get(&node) {
            Some(id) => *id,
            None => {
                let id = u32::try_from(self.nodes.len()).map_err(|_| ProgramError::TooLarge)?;
                self.nodes.push(node);
                self.uses.push(0);
                self.ids.insert(node, id);
                id
            }
        };
        self.uses[id as usize] += 1;
        Ok(id)
    }

    /// The program that folds `roots` in order.
    pub fn emit(&mut self, roots: &[u32]) -> Result<Vec<u8>, ProgramError> {
        let mut program = Program::default();
        for root in roots {
            self.emit_node(*root, &mut program)?;
            program.op(FOLD, None, -1)?;
        }
        Ok(program.code)
    }

    /// The constant pool.
    pub fn constants(&self) -> &[Fr] {
        &self.constants
    }

    /// Registers the programs use.
    pub fn registers(&self) -> usize {
        self.registers.len()
    }

    fn emit_node(&mut self, id: u32, program: &mut Program) -> Result<(), ProgramError> {
        if let Some(register) = self.registers.get(&id) {
            return program.op(LOAD, Some((*register).into()), 1);
        }
        let node = self.nodes[id as usize];
        match node {
            Node::Constant(i) => program.op(CONST, Some(i.into()), 1)?,
            Node::Eval(i) => program.op(EVAL, Some(i.into()), 1)?,
            Node::Instance => program.op(INSTANCE, None, 1)?,
            Node::Negated(a) => {
                self.emit_node(a, program)?;
                program.op(NEG, None, 0)?;
            }
            Node::Sum(a, b) | Node::Product(a, b) => {
                self.emit_node(a, program)?;
                self.emit_node(b, program)?;
                let op = if matches!(node, Node::Sum(..)) {
                    ADD
                } else {
                    MUL
                };
                program.op(op, None, -1)?;
            }
            Node::Scaled(a, k) => {
                self.emit_node(a, program)?;
                program.op(SCALE, Some(k.into()), 0)?;
            }
        }
        if self.uses[id as usize] > 1 && !node.is_leaf() {
            let register =
                u16::try_from(self.registers.len()).map_err(|_| ProgramError::TooLarge)?;
            self.registers.insert(id, register);
            program.op(STORE, Some(register.into()), 0)?;
        }
        Ok(())
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
}

/// Code under construction and its stack depth.
#[derive(Debug, Default)]
struct Program {
    code: Vec<u8>,
    depth: usize,
}

impl Program {
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

/// Runs `code`, folding every FOLD into `acc` with factor `c`, as the EVM interpreter does, with
/// the register file the programs share.
pub fn run(
    code: &[u8],
    inputs: Inputs<'_>,
    registers: &mut [Fr],
    c: Fr,
    mut acc: Fr,
) -> Result<Fr, RunError> {
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
            STORE => {
                let i = operand()?;
                let top = *stack.last().ok_or(RunError::Stack)?;
                *registers.get_mut(i).ok_or(RunError::OutOfRange(start))? = top;
            }
            LOAD => {
                let i = operand()?;
                stack.push(*registers.get(i).ok_or(RunError::OutOfRange(start))?);
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

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field as _;

    fn inputs<'a>(evals: &'a [Fr], constants: &'a [Fr]) -> Inputs<'a> {
        Inputs {
            evals,
            instance: Fr::from(9),
            constants,
        }
    }

    #[test]
    fn a_program_computes_and_folds_as_the_table_says() {
        let (evals, constants) = ([Fr::from(2), Fr::from(3)], [Fr::from(5)]);
        // (e0 + e1)·5, stored, then (that · that) − instance, each folded with c = 10.
        let code = [
            EVAL, 0, 0, EVAL, 0, 1, ADD, SCALE, 0, 0, STORE, 0, 0, FOLD, LOAD, 0, 0, LOAD, 0, 0,
            MUL, INSTANCE, NEG, ADD, FOLD,
        ];
        let mut registers = [Fr::ZERO];
        let acc = run(
            &code,
            inputs(&evals, &constants),
            &mut registers,
            Fr::from(10),
            Fr::ONE,
        );
        // acc = ((1·10 + 25)·10 + (625 − 9))
        assert_eq!(acc, Ok(Fr::from(350 + 616)));
    }

    #[test]
    fn malformed_programs_are_refused_not_run() {
        let (evals, constants) = ([Fr::ONE], [Fr::ONE]);
        let mut registers = [Fr::ZERO];
        let mut go = |code: &[u8]| {
            run(
                code,
                inputs(&evals, &constants),
                &mut registers,
                Fr::ONE,
                Fr::ZERO,
            )
        };
        assert_eq!(go(&[0xff]), Err(RunError::Malformed(0)));
        assert_eq!(go(&[EVAL, 0]), Err(RunError::Malformed(0)), "a cut operand");
        assert_eq!(go(&[EVAL, 0, 7]), Err(RunError::OutOfRange(0)));
        assert_eq!(go(&[LOAD, 0, 1]), Err(RunError::OutOfRange(0)));
        assert_eq!(go(&[ADD]), Err(RunError::Stack), "underflow");
        assert_eq!(go(&[EVAL, 0, 0]), Err(RunError::Stack), "a value left");
        assert_eq!(go(&[EVAL, 0, 0, FOLD]), Ok(Fr::ONE));
    }
}
