//! Big-endian byte reading shared by the binary codecs. Callers check lengths first, so reads
//! past the end are programming errors, not input errors.

#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }

    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().expect("split_at gives N bytes")
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }

    pub(crate) fn u128(&mut self) -> u128 {
        u128::from_be_bytes(self.array())
    }

    /// An unsigned big-endian integer of `n ≤ 4` bytes.
    pub(crate) fn uint(&mut self, n: usize) -> u32 {
        self.take(n)
            .iter()
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
    }
}
