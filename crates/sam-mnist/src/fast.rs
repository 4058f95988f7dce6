//! The f32 hot path: minibatch loss and gradient with hand-written backprop, and the blocked
//! evaluation pass. The first layer reads the inputs as sparse rows (exact: zero pixels add
//! nothing), and its gradient only touches the rows of pixels that are nonzero in the batch.

use crate::kernels::{self, MatRef};
use crate::model::{layer_offsets, Params, Samples};
use sam_optim::Grad;

/// Rows per evaluation block (activations of a block stay in cache).
pub(crate) const EVAL_BLOCK: usize = 192;

/// Softmax cross-entropy of one logit row: returns the loss and writes the probabilities.
#[inline]
fn softmax_ce(z: &[f32], y: usize, p: &mut [f32]) -> f32 {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0f32;
    for &t in z {
        s += (t - m).exp();
    }
    let lse = m + s.ln();
    for (pv, &t) in p.iter_mut().zip(z) {
        *pv = (t - lse).exp();
    }
    lse - z[y]
}

/// Index of the first maximum (like `argmax`).
#[inline]
fn argmax(z: &[f32]) -> usize {
    let mut b = 0;
    for (j, &t) in z.iter().enumerate() {
        if t > z[b] {
            b = j;
        }
    }
    b
}

/// Scratch buffers and the gradient of one training run (single-threaded).
pub(crate) struct Engine {
    pub isa: kernels::Isa,
    sizes: Vec<usize>,
    offs: Vec<(usize, usize)>,
    cap: usize,
    acts: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
    probs: Vec<f32>,
    /// Input pixels nonzero somewhere in the last batch (sorted).
    active: Vec<u32>,
    mark: Vec<bool>,
    group: kernels::GroupScratch,
    /// The batch's inputs restricted to the active pixels, dense (rows x active).
    xa: Vec<f32>,
}

/// The parameters a gradient pass reads: as they are, or to be stepped by SGD in the pass.
pub(crate) enum Pass<'a> {
    /// Compute the gradient at these parameters.
    Gradient(&'a [f32]),
    /// Take the SGD step `p <- p - lr g` fused into the gradient kernels.
    Sgd(&'a mut [f32], f32),
}

impl Pass<'_> {
    fn params(&self) -> &[f32] {
        match self {
            Pass::Gradient(p) => p,
            Pass::Sgd(p, _) => p,
        }
    }
    fn lr(&self) -> Option<f32> {
        match self {
            Pass::Gradient(_) => None,
            Pass::Sgd(_, lr) => Some(*lr),
        }
    }
}

impl Engine {
    pub fn new(sizes: &[usize], cap: usize) -> Self {
        let nl = sizes.len() - 1;
        Engine {
            isa: kernels::isa(),
            sizes: sizes.to_vec(),
            offs: layer_offsets(sizes),
            cap,
            acts: (0..nl).map(|l| vec![0.0; cap * sizes[l + 1]]).collect(),
            deltas: (0..nl).map(|l| vec![0.0; cap * sizes[l + 1]]).collect(),
            probs: vec![0.0; sizes[nl]],
            active: Vec::new(),
            mark: vec![false; sizes[0]],
            group: kernels::GroupScratch::new(sizes[0]),
            xa: Vec::new(),
        }
    }

    /// The hidden units' on/off pattern (activation > 0) of the forward pass on `rows`, layer
    /// by layer, row-major within a layer: exactly what a gradient pass on these rows sees.
    pub fn relu_pattern(&mut self, p: &[f32], samples: &Samples, rows: &[usize]) -> Vec<bool> {
        assert!(!rows.is_empty() && rows.len() <= self.cap);
        self.forward(p, samples, rows);
        let m = rows.len();
        let hidden = self.sizes.len() - 2;
        (0..hidden)
            .flat_map(|l| {
                self.acts[l][..m * self.sizes[l + 1]]
                    .iter()
                    .map(|&a| a > 0.0)
            })
            .collect()
    }

    /// Forward pass of the rows `rows` of `samples`; activations in `self.acts`, logits last.
    fn forward(&mut self, p: &[f32], samples: &Samples, rows: &[usize]) {
        let m = rows.len();
        let s = &self.sizes;
        let (w0, b0) = self.offs[0];
        let csr = &samples.csr;
        if kernels::rowwise_sparse() {
            let (w, b) = (&p[w0..b0], &p[b0..b0 + s[1]]);
            let (ptr, idx, val) = (&csr.ptr, &csr.idx, &csr.val);
            kernels::spmm(
                self.isa,
                rows,
                ptr,
                idx,
                val,
                w,
                s[1],
                b,
                &mut self.acts[0],
                s[1],
            );
        } else {
            kernels::spmm_grouped(
                self.isa,
                rows,
                &csr.ptr,
                &csr.idx,
                &csr.val,
                &p[w0..b0],
                s[1],
                &p[b0..b0 + s[1]],
                &mut self.acts[0],
                s[1],
                &mut self.group,
            );
        }
        let nl = s.len() - 1;
        for l in 0..nl {
            if l > 0 {
                let (wo, bo) = self.offs[l];
                let (prev, cur) = self.acts.split_at_mut(l);
                let a = MatRef {
                    data: &prev[l - 1][..m * s[l]],
                    rs: s[l],
                    cs: 1,
                };
                kernels::gemm(
                    self.isa,
                    m,
                    s[l + 1],
                    s[l],
                    a,
                    &p[wo..bo],
                    s[l + 1],
                    Some(&p[bo..bo + s[l + 1]]),
                    &mut cur[0],
                    s[l + 1],
                    None,
                );
            }
            if l + 1 < nl {
                kernels::relu(self.isa, &mut self.acts[l][..m * s[l + 1]]);
            }
        }
    }

    /// Mean loss over the rows `rows` and its gradient into `out`, whose support becomes the
    /// first-layer rows of the batch's nonzero pixels and everything from the first bias on
    /// (values outside stay zero: rows of the buffer's previous support that are not active now
    /// are cleared). With [`Pass::Sgd`] the SGD step is fused into the gradient kernels instead
    /// (the weight parts of `out` are then not written; the result equals computing `g` and
    /// stepping).
    pub fn loss_grad(
        &mut self,
        mut pass: Pass<'_>,
        samples: &Samples,
        rows: &[usize],
        out: &mut Grad<f32>,
    ) -> f32 {
        let m = rows.len();
        assert!(m > 0 && m <= self.cap);
        let s = self.sizes.clone();
        let nl = s.len() - 1;
        let (w0, b0) = self.offs[0];
        let np = crate::model::n_params(&s);
        let (grad, support) = out.parts_mut();
        if grad.len() != np {
            grad.clear();
            grad.resize(np, 0.0);
            support.clear();
        }
        // this batch's nonzero pixels (sorted); first-layer rows of the buffer's previous
        // support that are not active now are cleared, the active ones are overwritten below
        let csr = &samples.csr;
        for &r in rows {
            for &k in &csr.idx[csr.ptr[r]..csr.ptr[r + 1]] {
                self.mark[k as usize] = true;
            }
        }
        for rg in support.iter().filter(|rg| rg.start < b0) {
            if !self.mark[(rg.start - w0) / s[1]] {
                grad[rg.clone()].fill(0.0);
            }
        }
        self.active.clear();
        for (k, mk) in self.mark.iter_mut().enumerate() {
            if *mk {
                self.active.push(k as u32);
                *mk = false;
            }
        }
        support.clear();
        support.extend(
            self.active
                .iter()
                .map(|&k| w0 + k as usize * s[1]..w0 + (k as usize + 1) * s[1]),
        );
        support.push(b0..np);
        let sgd = pass.lr();
        self.forward(pass.params(), samples, rows);
        // output delta = (softmax - onehot) / m
        let nc = s[nl];
        let inv = 1.0 / m as f32;
        let mut loss = 0.0f32;
        for (t, &r) in rows.iter().enumerate() {
            let y = samples.y()[r] as usize;
            loss += softmax_ce(&self.acts[nl - 1][t * nc..(t + 1) * nc], y, &mut self.probs);
            let d = &mut self.deltas[nl - 1][t * nc..(t + 1) * nc];
            for (dv, &pv) in d.iter_mut().zip(&self.probs) {
                *dv = pv * inv;
            }
            d[y] -= inv;
        }
        // backward through the dense layers (input deltas first: they need W before a fused step)
        for l in (1..nl).rev() {
            let (wo, bo) = self.offs[l];
            let (n_in, n_out) = (s[l], s[l + 1]);
            let (lo, hi) = self.deltas.split_at_mut(l);
            kernels::backprop_input(
                self.isa,
                m,
                n_in,
                n_out,
                &hi[0],
                &pass.params()[wo..bo],
                &self.acts[l - 1],
                &mut lo[l - 1],
            );
            let a = MatRef {
                data: &self.acts[l - 1][..m * n_in],
                rs: 1,
                cs: n_in,
            };
            let target = match &mut pass {
                Pass::Sgd(p, _) => &mut p[wo..bo],
                Pass::Gradient(_) => &mut grad[wo..bo],
            };
            let d = &self.deltas[l];
            kernels::gemm(
                self.isa, n_in, n_out, m, a, d, n_out, None, target, n_out, sgd,
            );
            let gb = &mut grad[bo..bo + n_out];
            colsum(&self.deltas[l][..m * n_out], n_out, gb);
            if let Pass::Sgd(p, lr) = &mut pass {
                sam_optim::kernels::sub_scaled(&mut p[bo..bo + n_out], gb, *lr);
            }
        }
        // first layer: gradient rows of the batch's nonzero pixels, sum_i x[i, k] delta1[i, :],
        // as a GEMM over the batch's inputs gathered densely onto the active pixels
        let n1 = s[1];
        let u = self.active.len();
        self.xa.clear();
        self.xa.resize(m * u, 0.0);
        for (t, &r) in rows.iter().enumerate() {
            let (mut q, row) = (0, &mut self.xa[t * u..(t + 1) * u]);
            for (&k, &v) in csr.idx[csr.ptr[r]..csr.ptr[r + 1]]
                .iter()
                .zip(&csr.val[csr.ptr[r]..csr.ptr[r + 1]])
            {
                while self.active[q] != k {
                    q += 1;
                }
                row[q] = v;
            }
        }
        let xt = MatRef {
            data: &self.xa,
            rs: 1,
            cs: u,
        };
        let d0 = &self.deltas[0][..m * n1];
        let target = match &mut pass {
            Pass::Sgd(p, _) => &mut p[w0..b0],
            Pass::Gradient(_) => &mut grad[w0..b0],
        };
        kernels::gemm_rows(self.isa, n1, m, xt, d0, n1, target, n1, &self.active, sgd);
        let gb = &mut grad[b0..b0 + n1];
        colsum(&self.deltas[0][..m * n1], n1, gb);
        if let Pass::Sgd(p, lr) = &mut pass {
            sam_optim::kernels::sub_scaled(&mut p[b0..b0 + n1], gb, *lr);
        }
        loss * inv
    }
}

/// `out[j] = sum_i d[i, j]` (rows in order).
fn colsum(d: &[f32], n: usize, out: &mut [f32]) {
    out.fill(0.0);
    for row in d.chunks(n) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Sum of losses and number of correct predictions over the rows `lo..hi`, one block at a time.
fn eval_range(
    params: &Params,
    samples: &Samples,
    lo: usize,
    hi: usize,
    isa: kernels::Isa,
) -> Vec<(f64, usize)> {
    let _ftz = kernels::FlushDenormals::new();
    let sizes = params.sizes();
    let mut eng = Engine::new(sizes, EVAL_BLOCK);
    eng.isa = isa;
    let nl = sizes.len() - 1;
    let nc = sizes[nl];
    let mut out = Vec::new();
    let mut rows = Vec::with_capacity(EVAL_BLOCK);
    let mut b = lo;
    while b < hi {
        let e = (b + EVAL_BLOCK).min(hi);
        rows.clear();
        // rows sorted by label and chained by pixel overlap within the block: a group's images
        // share more pixels (the sums are order-free up to rounding; the order is fixed, so
        // results stay deterministic)
        rows.extend_from_slice(&samples.eval_order[b..e]);
        eng.forward(params.flat(), samples, &rows);
        let mut loss = 0.0f64;
        let mut correct = 0;
        for (t, &r) in rows.iter().enumerate() {
            let z = &eng.acts[nl - 1][t * nc..(t + 1) * nc];
            let y = samples.y()[r] as usize;
            loss += softmax_ce(z, y, &mut eng.probs) as f64;
            correct += (argmax(z) == y) as usize;
        }
        out.push((loss, correct));
        b = e;
    }
    out
}

/// Mean loss and accuracy over all `samples` (f32 forward, f64 sums). Blocks of fixed size are
/// combined in order, so the result is identical for any `threads`.
pub(crate) fn evaluate(params: &Params, samples: &Samples, threads: usize) -> (f64, f64) {
    let n = samples.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let isa = kernels::isa();
    let nblocks = n.div_ceil(EVAL_BLOCK);
    let threads = threads.clamp(1, nblocks);
    let per = nblocks.div_ceil(threads);
    let parts: Vec<Vec<(f64, usize)>> = if threads == 1 {
        vec![eval_range(params, samples, 0, n, isa)]
    } else {
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads)
                .map(|t| {
                    let lo = (t * per * EVAL_BLOCK).min(n);
                    let hi = ((t + 1) * per * EVAL_BLOCK).min(n);
                    sc.spawn(move || eval_range(params, samples, lo, hi, isa))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    let (mut loss, mut correct) = (0.0, 0);
    for (l, c) in parts.into_iter().flatten() {
        loss += l;
        correct += c;
    }
    (loss / n as f64, correct as f64 / n as f64)
}
