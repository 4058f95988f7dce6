//! Gradients with a support (the ranges where entries may be nonzero), and the saved values that
//! SAM restores after its climb.
//!
//! A dense oracle's gradient has the whole vector as its support. The MNIST engine's first layer
//! only has nonzero gradient rows for the pixels that are nonzero in the batch; its support lists
//! those rows, so that norms, climbs and SGD steps touch only them (the values outside are kept
//! at zero, so a rule that needs the whole vector, such as Adam, may read all of it).

use crate::{kernels, Float};
use std::ops::Range;

/// A gradient: `values` (zero outside `support`) and `support`, sorted, disjoint ranges.
///
/// ```
/// use sam_optim::Grad;
/// let mut g = Grad::<f64>::default();
/// g.dense_mut(2).copy_from_slice(&[3.0, 4.0]);
/// assert_eq!((g.norm(), g.support()), (5.0, &[0..2][..]));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grad<T> {
    values: Vec<T>,
    support: Vec<Range<usize>>,
}

impl<T: Float> Grad<T> {
    /// A zero gradient of dimension `d` with full support.
    pub fn zeros(d: usize) -> Self {
        Grad {
            values: vec![T::ZERO; d],
            support: vec![0..d],
        }
    }
    /// Sets the dimension to `d` and the support to everything; returns the values to fill.
    pub fn dense_mut(&mut self, d: usize) -> &mut [T] {
        self.values.resize(d, T::ZERO);
        self.support.clear();
        self.support.push(0..d);
        &mut self.values
    }
    /// All values (zero outside the support).
    pub fn values(&self) -> &[T] {
        &self.values
    }
    /// The ranges where values may be nonzero.
    pub fn support(&self) -> &[Range<usize>] {
        &self.support
    }
    /// Values and support, for an oracle that writes a sparse gradient. The oracle must leave
    /// every value outside the support it sets at zero.
    pub fn parts_mut(&mut self) -> (&mut Vec<T>, &mut Vec<Range<usize>>) {
        (&mut self.values, &mut self.support)
    }
    /// The dimension.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Whether the dimension is 0.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// ‖g‖ (the kernel seam's norm for `T`).
    pub fn norm(&self) -> f64 {
        T::norm(&self.values, &self.support)
    }
    /// Sets every value to zero and the support to the whole vector of dimension `d`.
    pub fn reset(&mut self, d: usize) {
        self.values.clear();
        self.values.resize(d, T::ZERO);
        self.support.clear();
        self.support.push(0..d);
    }
    /// `self ← self + a·g` on `g`'s support (`self` must have full support).
    pub fn add_scaled(&mut self, g: &Grad<T>, a: T) {
        for r in &g.support {
            kernels::add_scaled(&mut self.values[r.clone()], &g.values[r.clone()], a);
        }
    }
    /// Whether every value on the support is finite.
    pub fn is_finite(&self) -> bool {
        self.support
            .iter()
            .all(|r| self.values[r.clone()].iter().all(|v| v.is_finite()))
    }
}

/// Values of `x` saved on some ranges before a perturbation, to be restored after it.
///
/// ```
/// use sam_optim::Saved;
/// let mut x = [1.0, 2.0, 3.0];
/// let mut s = Saved::default();
/// s.capture(&x, &[1..3]);
/// x[1] = 9.0;
/// s.restore(&mut x);
/// assert_eq!(x, [1.0, 2.0, 3.0]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saved<T> {
    ranges: Vec<Range<usize>>,
    values: Vec<T>,
}

impl<T: Float> Saved<T> {
    /// Saves `x` on `ranges` (replacing what was saved).
    pub fn capture(&mut self, x: &[T], ranges: &[Range<usize>]) {
        self.ranges.clear();
        self.ranges.extend_from_slice(ranges);
        self.values.clear();
        for r in ranges {
            self.values.extend_from_slice(&x[r.clone()]);
        }
    }
    /// Saves `x` on `g`'s support and climbs `x ← x + s·g` there, in one pass.
    pub fn climb(&mut self, x: &mut [T], g: &Grad<T>, s: T) {
        self.ranges.clear();
        self.ranges.extend_from_slice(g.support());
        let total: usize = self.ranges.iter().map(|r| r.len()).sum();
        self.values.resize(total, T::ZERO);
        let mut off = 0;
        for r in &self.ranges {
            let sv = &mut self.values[off..off + r.len()];
            kernels::climb(&mut x[r.clone()], &g.values()[r.clone()], s, sv);
            off += r.len();
        }
    }
    /// Writes the saved values back into `x`.
    pub fn restore(&self, x: &mut [T]) {
        let mut off = 0;
        for r in &self.ranges {
            x[r.clone()].copy_from_slice(&self.values[off..off + r.len()]);
            off += r.len();
        }
    }
    /// The saved ranges.
    pub fn ranges(&self) -> &[Range<usize>] {
        &self.ranges
    }
    /// The saved values, concatenated in range order.
    pub fn values(&self) -> &[T] {
        &self.values
    }
}
