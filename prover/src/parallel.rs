//! The prover's one seam for threads, as ark-std's `cfg_iter!` family is arkworks': every
//! data-parallel loop, fork and thread pool of the prover is written against these names.
//!
//! - With the `parallel` feature (default) they are rayon's own: `prelude`, [`join`],
//!   [`current_num_threads`], [`ThreadPool`], [`ThreadPoolBuilder`].
//! - Without it they are sequential stand-ins with the same signatures, so the algorithms
//!   contain no `cfg`: `par_iter`/`par_chunks`/`into_par_iter` are the standard iterators,
//!   `join` runs its two halves in order, a thread pool runs its work on the calling thread
//!   and counts one thread. Rayon is then not compiled at all (for targets without threads,
//!   or an embedder that schedules proofs itself).
//!
//! The results are the same either way: every parallel loop here writes disjoint outputs or
//! reduces with an associative, commutative group law, so the order the work runs in does
//! not change any value.

#[cfg(feature = "parallel")]
pub use rayon::{
    current_num_threads, join, prelude, ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder,
};

#[cfg(not(feature = "parallel"))]
pub use sequential::{
    current_num_threads, join, prelude, ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder,
};

/// The stand-ins for rayon's names when the `parallel` feature is off.
#[cfg(not(feature = "parallel"))]
mod sequential {
    /// Threads of the current pool: one.
    pub fn current_num_threads() -> usize {
        1
    }

    /// Runs `a`, then `b`.
    pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA,
        B: FnOnce() -> RB,
    {
        let ra = a();
        (ra, b())
    }

    /// Building a sequential pool cannot fail: this type has no values.
    #[derive(Debug)]
    pub enum ThreadPoolBuildError {}

    impl std::fmt::Display for ThreadPoolBuildError {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match *self {}
        }
    }

    impl std::error::Error for ThreadPoolBuildError {}

    /// Builds a [`ThreadPool`]; the thread count asked for is ignored.
    #[derive(Debug, Default)]
    pub struct ThreadPoolBuilder;

    impl ThreadPoolBuilder {
        /// A builder.
        pub fn new() -> Self {
            ThreadPoolBuilder
        }

        /// Ignored: the pool is the calling thread.
        pub fn num_threads(self, _threads: usize) -> Self {
            self
        }

        /// The pool.
        pub fn build(self) -> Result<ThreadPool, ThreadPoolBuildError> {
            Ok(ThreadPool)
        }
    }

    /// A pool that runs its work on the calling thread.
    #[derive(Debug)]
    pub struct ThreadPool;

    impl ThreadPool {
        /// Runs `f` on the calling thread.
        pub fn install<R>(&self, f: impl FnOnce() -> R) -> R {
            f()
        }

        /// One thread.
        pub fn current_num_threads(&self) -> usize {
            1
        }
    }

    /// rayon's iterator methods, as the standard library's sequential iterators.
    pub mod prelude {
        /// `par_iter`, `par_iter_mut`, `par_chunks` and `par_chunks_mut` on slices (and so on
        /// vectors).
        pub trait ParallelSlice<T> {
            /// [`slice::iter`].
            fn par_iter(&self) -> std::slice::Iter<'_, T>;
            /// [`slice::iter_mut`].
            fn par_iter_mut(&mut self) -> std::slice::IterMut<'_, T>;
            /// [`slice::chunks`].
            fn par_chunks(&self, size: usize) -> std::slice::Chunks<'_, T>;
            /// [`slice::chunks_mut`].
            fn par_chunks_mut(&mut self, size: usize) -> std::slice::ChunksMut<'_, T>;
        }

        impl<T> ParallelSlice<T> for [T] {
            fn par_iter(&self) -> std::slice::Iter<'_, T> {
                self.iter()
            }
            fn par_iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
                self.iter_mut()
            }
            fn par_chunks(&self, size: usize) -> std::slice::Chunks<'_, T> {
                self.chunks(size)
            }
            fn par_chunks_mut(&mut self, size: usize) -> std::slice::ChunksMut<'_, T> {
                self.chunks_mut(size)
            }
        }

        /// `into_par_iter` on anything iterable (ranges, vectors).
        pub trait IntoParallelIterator: IntoIterator + Sized {
            /// [`IntoIterator::into_iter`].
            fn into_par_iter(self) -> Self::IntoIter {
                self.into_iter()
            }
        }

        impl<I: IntoIterator> IntoParallelIterator for I {}

        /// `par_extend` on vectors.
        pub trait ParallelExtend<T> {
            /// [`Extend::extend`].
            fn par_extend<I: IntoIterator<Item = T>>(&mut self, items: I);
        }

        impl<T> ParallelExtend<T> for Vec<T> {
            fn par_extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
                self.extend(items);
            }
        }

        /// rayon's iterator adaptors that the standard library lacks.
        pub trait ParallelIterator: Iterator + Sized {
            /// Splitting hint: meaningless on one thread.
            fn with_max_len(self, _max: usize) -> Self {
                self
            }

            /// `map` with a state made once by `init` (rayon makes one per split; one thread
            /// has one split).
            fn map_init<S, R>(
                self,
                init: impl FnOnce() -> S,
                mut f: impl FnMut(&mut S, Self::Item) -> R,
            ) -> impl Iterator<Item = R> {
                let mut state = init();
                self.map(move |item| f(&mut state, item))
            }
        }

        impl<I: Iterator> ParallelIterator for I {}
    }
}
