//! Gradient oracles: where an optimizer gets its (possibly stochastic) gradients, and the hooks
//! a fast engine offers (a fused SGD step, minibatch chunks for m-sharpness).

use crate::{Float, Grad};
use sam_objectives::{Gradient, Minibatch};
use std::ops::Range;

/// What [`GradientOracle::fused_sgd_step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fused {
    /// The oracle took the step `x ← x − lr ∇f(x)` itself; the loss at x before it, if known.
    Stepped {
        /// Loss at the point before the step.
        loss: Option<f64>,
    },
    /// The oracle has no fused step: compute the gradient and step.
    Unsupported,
}

/// A SAM step an oracle is asked to fuse into its own passes
/// ([`GradientOracle::fused_sam_step`]): for each chunk k of the batch (the whole batch when
/// `chunk` is `None`), with g_k the gradient of the chunk's mean loss at x, climb to
/// x + ê_k, ê_k = s(‖g_k‖) g_k, take the gradient g'_k of the chunk's mean loss there, and step
/// x ← x − lr Σ_k (|k|/B) g'_k from the unperturbed x.
///
/// ```
/// use sam_optim::{Gd, Grad, GradientOracle, Optimizer, Sam, SamPass, SamRequest, Schedule};
/// // f(x) = x²/2 (g = x), with its SAM step fused: the same step as the two phases
/// struct Fused { gradients: usize }
/// impl GradientOracle for Fused {
///     fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
///         self.gradients += 1;
///         out.dense_mut(1)[0] = x[0];
///         Some(x[0] * x[0] / 2.0)
///     }
///     fn fused_sam_step(&mut self, x: &mut [f64], req: &SamRequest<'_, f64>) -> Option<SamPass> {
///         let (g, loss) = (x[0], x[0] * x[0] / 2.0);
///         let s = (req.multiple)(g.abs());
///         x[0] -= req.lr * (x[0] + s * g); // the gradient at x + s g
///         Some(SamPass { loss, grad_norm: g.abs(), perturbation_norm: s.abs() * g.abs() })
///     }
/// }
/// let mut sam = Sam::new(Gd::new(Schedule::constant(0.1).unwrap()), Schedule::constant(0.5).unwrap());
/// let (mut x, mut oracle) = ([2.0], Fused { gradients: 0 });
/// let info = sam.step(&mut x, 0, &mut oracle).unwrap();
/// assert_eq!((x[0], info.perturbation_norm), (1.75, 0.5)); // 2 − 0.1 · (2 + 0.5)
/// assert_eq!(oracle.gradients, 0); // the fused step was taken, not the two phases
/// ```
pub struct SamRequest<'a, T> {
    /// SGD's step size.
    pub lr: T,
    /// Samples per perturbation (m-sharpness, m < batch); `None`: one for the batch.
    pub chunk: Option<usize>,
    /// The perturbation rule's multiple s(‖g_k‖) (see
    /// [`crate::PerturbationRule::gradient_multiple`]).
    pub multiple: &'a dyn Fn(f64) -> T,
}

/// What a fused SAM step measured on its way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamPass {
    /// The mean loss at x over the batch.
    pub loss: f64,
    /// ‖g‖ (one perturbation) or the largest ‖g_k‖ over the chunks. When it or the loss is not
    /// finite the oracle must not have stepped.
    pub grad_norm: f64,
    /// ‖ê‖, or the chunks' ‖ê_k‖ averaged by chunk size.
    pub perturbation_norm: f64,
}

/// A source of gradients for the optimizers.
///
/// Stochastic oracles draw their randomness (minibatch, noise) in [`GradientOracle::begin_step`],
/// so that both of SAM's gradient calls in one step see the same sample, as in the SAM paper's
/// minibatch algorithm. Minibatch oracles also report their batch size and can restrict the
/// following gradients to a chunk of the batch ([`GradientOracle::focus`]), which is all that
/// m-sharpness needs.
pub trait GradientOracle<T: Float = f64> {
    /// Called once at the start of every step t (0-based).
    fn begin_step(&mut self, _t: usize) {}
    /// Writes the gradient at x into `out` (values and support) and returns the loss at x when
    /// the oracle computes it on the way.
    fn gradient(&mut self, x: &[T], out: &mut Grad<T>) -> Option<f64>;
    /// An SGD step fused into the gradient computation, if the oracle has one; it must give the
    /// same result as computing the gradient and stepping.
    fn fused_sgd_step(&mut self, _x: &mut [T], _lr: T) -> Fused {
        Fused::Unsupported
    }
    /// A whole SAM step with an SGD base fused into the oracle's own passes, if it has one
    /// (see [`SamRequest`]); it must equal the two-phase step of [`crate::Sam`] up to rounding.
    /// `None`: not offered, [`crate::Sam`] takes its two phases.
    fn fused_sam_step(&mut self, _x: &mut [T], _req: &SamRequest<'_, T>) -> Option<SamPass> {
        None
    }
    /// Samples in the current step's batch (1 for a deterministic objective).
    fn batch_len(&self) -> usize {
        1
    }
    /// Restricts the following gradients to the samples `chunk` of the current batch (`None`:
    /// the whole batch again). Oracles without a batch ignore it.
    fn focus(&mut self, _chunk: Option<Range<usize>>) {}
}

/// The exact gradient of a deterministic objective (GD).
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{ExactGradient, Grad, GradientOracle};
/// let mut g = Grad::default();
/// ExactGradient(&Fig2).gradient(&[2.0, 3.0], &mut g);
/// assert_eq!(g.values(), &[18.0, 6.0]);
/// ```
pub struct ExactGradient<'a, F: ?Sized>(pub &'a F);

impl<F: Gradient + ?Sized> GradientOracle<f64> for ExactGradient<'_, F> {
    fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
        self.0.gradient_into(x, out.dense_mut(x.len()));
        None
    }
}

/// A finite-sum objective f = (1/n) Σᵢ ℓᵢ as a minibatch oracle whose batch is every sample at
/// every step (full-batch GD and SAM), so that m-sharpness can split it: after
/// [`GradientOracle::focus`] on a chunk, the gradient is the chunk's mean. With m = 1 this is
/// "1-SAM", one perturbation per sample; with m = n it is plain SAM, the same computation.
///
/// ```
/// use sam_objectives::{DiagNet, Gradient};
/// use sam_optim::{FullBatch, Grad, GradientOracle};
/// let p = DiagNet::sparse_regression(3, 4, 1, 0);
/// let w = p.start(0.5);
/// let mut o = FullBatch::new(&p);
/// let mut g = Grad::default();
/// o.gradient(&w, &mut g);
/// assert_eq!(g.values(), &p.gradient(&w)[..]);
/// o.focus(Some(0..4)); // the whole batch as one chunk: the same numbers
/// let mut h = Grad::default();
/// o.gradient(&w, &mut h);
/// assert_eq!(g, h);
/// ```
pub struct FullBatch<'a, F: ?Sized> {
    f: &'a F,
    chunk: Option<Range<usize>>,
    all: Vec<usize>,
}

impl<'a, F: Minibatch + ?Sized> FullBatch<'a, F> {
    /// The oracle of `f`.
    pub fn new(f: &'a F) -> Self {
        FullBatch {
            f,
            chunk: None,
            all: (0..f.n_samples()).collect(),
        }
    }
}

impl<F: Minibatch + ?Sized> GradientOracle<f64> for FullBatch<'_, F> {
    fn begin_step(&mut self, _t: usize) {
        self.chunk = None;
    }
    fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
        let rows = match &self.chunk {
            Some(c) => &self.all[c.clone()],
            None => &self.all[..],
        };
        out.dense_mut(x.len())
            .copy_from_slice(&self.f.batch_gradient(x, rows));
        None
    }
    fn batch_len(&self) -> usize {
        self.all.len()
    }
    fn focus(&mut self, chunk: Option<Range<usize>>) {
        self.chunk = chunk;
    }
}

/// Wraps an oracle and counts its gradient evaluations in full-batch equivalents (a gradient on
/// a chunk of m of the batch's B samples counts m/B; a fused step counts 1); the run loop uses
/// it.
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{CountingOracle, ExactGradient, Grad, GradientOracle};
/// let mut inner = ExactGradient(&Fig2);
/// let mut c = CountingOracle::new(&mut inner);
/// c.gradient(&[0.0, 0.0], &mut Grad::default());
/// assert_eq!(c.count(), 1);
/// ```
pub struct CountingOracle<'a, T: Float = f64> {
    inner: &'a mut dyn GradientOracle<T>,
    full: u64,
    // gradients on chunks: samples used, in units of 1/batch
    chunk_samples: u64,
    batch: u64,
    focused: Option<u64>,
}

impl<'a, T: Float> CountingOracle<'a, T> {
    /// Wraps `inner` with a zero count.
    pub fn new(inner: &'a mut dyn GradientOracle<T>) -> Self {
        Self {
            inner,
            full: 0,
            chunk_samples: 0,
            batch: 1,
            focused: None,
        }
    }
    /// Gradient evaluations so far (full-batch equivalents, rounded down).
    pub fn count(&self) -> u64 {
        self.full + self.chunk_samples / self.batch.max(1)
    }
}

impl<T: Float> GradientOracle<T> for CountingOracle<'_, T> {
    fn begin_step(&mut self, t: usize) {
        self.inner.begin_step(t);
        self.batch = self.inner.batch_len().max(1) as u64;
    }
    fn gradient(&mut self, x: &[T], out: &mut Grad<T>) -> Option<f64> {
        match self.focused {
            Some(m) => self.chunk_samples += m,
            None => self.full += 1,
        }
        self.inner.gradient(x, out)
    }
    fn fused_sgd_step(&mut self, x: &mut [T], lr: T) -> Fused {
        let r = self.inner.fused_sgd_step(x, lr);
        if matches!(r, Fused::Stepped { .. }) {
            self.full += 1;
        }
        r
    }
    fn fused_sam_step(&mut self, x: &mut [T], req: &SamRequest<'_, T>) -> Option<SamPass> {
        let r = self.inner.fused_sam_step(x, req);
        if r.is_some() {
            self.full += 2; // a gradient at x and one at x + ê, chunk by chunk
        }
        r
    }
    fn batch_len(&self) -> usize {
        self.inner.batch_len()
    }
    fn focus(&mut self, chunk: Option<Range<usize>>) {
        self.focused = chunk.as_ref().map(|c| c.len() as u64);
        self.inner.focus(chunk);
    }
}
