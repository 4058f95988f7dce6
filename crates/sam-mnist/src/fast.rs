//! The f32 hot path: minibatch loss and gradient with hand-written backprop, and the blocked
//! evaluation pass. The first layer reads the inputs as sparse rows (exact: zero pixels add
//! nothing), and its gradient only touches the rows of pixels that are nonzero in the batch.

use crate::kernels::{self, MatRef};
use crate::model::{layer_offsets, Params, Samples};
use sam_optim::{Grad, SamPass};

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
    /// The low-rank SAM step's first pass (activations, then deltas scaled to the
    /// perturbation's factors Δ̂), kept while the second pass runs in `acts`/`deltas`.
    keep_acts: Vec<Vec<f32>>,
    keep_deltas: Vec<Vec<f32>>,
    /// Per chunk, the Gram block X_k X_kᵀ of its inputs (chunks one after another), and the
    /// first layer's pre-activations X W + b at w.
    gram_x: Vec<f32>,
    z0: Vec<f32>,
    /// One chunk's small matrix (m_k x m_k) and one layer's bias gradient.
    block: Vec<f32>,
    bias_grad: Vec<f32>,
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
            keep_acts: Vec::new(),
            keep_deltas: Vec::new(),
            gram_x: Vec::new(),
            z0: Vec::new(),
            block: Vec::new(),
            bias_grad: vec![0.0; sizes.iter().copied().max().unwrap_or(0)],
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
        self.first_layer(p, samples, rows);
        self.forward_rest(p, rows.len());
    }

    /// The forward pass of the first m rows after the first layer's pre-activations.
    fn forward_rest(&mut self, p: &[f32], m: usize) {
        let nl = self.sizes.len() - 1;
        for l in 0..nl {
            if l > 0 {
                self.dense_layer(l, p, m);
            }
            if l + 1 < nl {
                let n = m * self.sizes[l + 1];
                kernels::relu(self.isa, &mut self.acts[l][..n]);
            }
        }
    }

    /// The first layer's pre-activations of `rows` (sparse inputs) into `self.acts[0]`.
    fn first_layer(&mut self, p: &[f32], samples: &Samples, rows: &[usize]) {
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
    }

    /// Layer l's (≥ 1) pre-activations `acts[l - 1] W_l + b_l` of the first m rows.
    fn dense_layer(&mut self, l: usize, p: &[f32], m: usize) {
        let s = &self.sizes;
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
        self.mark_pixels(samples, rows);
        for rg in support.iter().filter(|rg| rg.start < b0) {
            if !self.mark[(rg.start - w0) / s[1]] {
                grad[rg.clone()].fill(0.0);
            }
        }
        self.take_active();
        support.clear();
        support.extend(
            self.active
                .iter()
                .map(|&k| w0 + k as usize * s[1]..w0 + (k as usize + 1) * s[1]),
        );
        support.push(b0..np);
        let sgd = pass.lr();
        self.forward(pass.params(), samples, rows);
        let inv = 1.0 / m as f32;
        let loss = self.output_deltas(samples, rows, |_| inv);
        // backward through the dense layers (input deltas first: they need W before a fused step)
        for l in (1..nl).rev() {
            let (wo, bo) = self.offs[l];
            let (n_in, n_out) = (s[l], s[l + 1]);
            self.backprop_layer(l, m, &pass.params()[wo..bo]);
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
        self.gather_inputs(samples, rows);
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

    /// Marks the pixels nonzero in any of `rows` in `self.mark`.
    fn mark_pixels(&mut self, samples: &Samples, rows: &[usize]) {
        let csr = &samples.csr;
        for &r in rows {
            for &k in &csr.idx[csr.ptr[r]..csr.ptr[r + 1]] {
                self.mark[k as usize] = true;
            }
        }
    }

    /// Moves the marked pixels into `self.active` (ascending) and clears the marks.
    fn take_active(&mut self) {
        self.active.clear();
        for (k, mk) in self.mark.iter_mut().enumerate() {
            if *mk {
                self.active.push(k as u32);
                *mk = false;
            }
        }
    }

    /// The inputs of `rows` gathered densely onto the active pixels, into `self.xa`.
    fn gather_inputs(&mut self, samples: &Samples, rows: &[usize]) {
        let csr = &samples.csr;
        let u = self.active.len();
        self.xa.clear();
        self.xa.resize(rows.len() * u, 0.0);
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
    }

    /// Softmax cross-entropy of the logits of `rows` (after a forward pass): the output deltas
    /// `(softmax - onehot) · inv(t)` of row t, and the sum of the losses (f32, in row order).
    fn output_deltas(
        &mut self,
        samples: &Samples,
        rows: &[usize],
        inv: impl Fn(usize) -> f32,
    ) -> f32 {
        let nl = self.sizes.len() - 1;
        let nc = self.sizes[nl];
        let mut loss = 0.0f32;
        for (t, &r) in rows.iter().enumerate() {
            let y = samples.y()[r] as usize;
            loss += softmax_ce(&self.acts[nl - 1][t * nc..(t + 1) * nc], y, &mut self.probs);
            let d = &mut self.deltas[nl - 1][t * nc..(t + 1) * nc];
            let inv = inv(t);
            for (dv, &pv) in d.iter_mut().zip(&self.probs) {
                *dv = pv * inv;
            }
            d[y] -= inv;
        }
        loss
    }

    /// The deltas of layer l's input from those of its output, through `w` and the ReLU.
    fn backprop_layer(&mut self, l: usize, m: usize, w: &[f32]) {
        let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
        let (lo, hi) = self.deltas.split_at_mut(l);
        kernels::backprop_input(
            self.isa,
            m,
            n_in,
            n_out,
            &hi[0],
            w,
            &self.acts[l - 1],
            &mut lo[l - 1],
        );
    }

    /// One SAM step with an SGD base on the batch `rows`, one perturbation per chunk of `chunk`
    /// rows, computed with low-rank algebra: w + ê is never written. For a dense layer with
    /// inputs A (rows x n_in, the first layer's are the images X) and output deltas Δ (the
    /// chunk's mean loss), the gradient is (AᵀΔ, 1ᵀΔ), so with Ã = [A 1]:
    ///
    /// * ‖g_k‖² = Σ_layers Σ_{i,j ∈ k} (Ã Ãᵀ)_ij (Δ Δᵀ)_ij, from the chunk's Gram blocks;
    /// * with Δ̂ = s_k Δ (s_k = `multiple(‖g_k‖)`), ê = (AᵀΔ̂, 1ᵀΔ̂), and the pre-activations at
    ///   w + ê of an input row h of chunk k are h W + b + Σ_{j ∈ k} (h·a_j + 1) Δ̂_j;
    /// * the deltas back through W + ê: δ Wᵀ + Σ_{j ∈ k} (δ·Δ̂_j) a_j, masked by the ReLU of the
    ///   perturbed pass;
    /// * the step w ← w − lr Σ_k (m_k/B) g'_k is one fused GEMM over the batch with the second
    ///   pass's deltas scaled by 1/B (the chunk means weighted by m_k/B).
    ///
    /// Costs over an SGD step: a forward pass and the input deltas, plus O(m_k²) products per
    /// row; no pass over the parameters. Equals the two-phase step (sam_optim::Sam) up to f32
    /// rounding; chunk = batch is plain SAM, chunk = 1 is 1-SAM. Returns the mean loss at w, the
    /// largest ‖g_k‖ (NaN, with the parameters untouched, when the loss or a norm is not finite)
    /// and the chunks' ‖ê_k‖ averaged by size.
    pub fn sam_step(
        &mut self,
        p: &mut [f32],
        samples: &Samples,
        rows: &[usize],
        chunk: usize,
        lr: f32,
        multiple: &dyn Fn(f64) -> f32,
    ) -> SamPass {
        let m = rows.len();
        assert!(m > 0 && m <= self.cap && chunk > 0);
        let s = self.sizes.clone();
        let nl = s.len() - 1;
        let isa = self.isa;
        self.mark_pixels(samples, rows);
        self.take_active();
        self.gather_inputs(samples, rows);
        let u = self.active.len();
        let chunks: Vec<(usize, usize)> = (0..m)
            .step_by(chunk)
            .map(|lo| (lo, (lo + chunk).min(m)))
            .collect();
        // first pass at w: activations and the deltas of the chunk means; the first layer's
        // pre-activations X W + b are kept (the second pass only adds its correction)
        self.first_layer(p, samples, rows);
        let n1 = s[1];
        self.z0.clear();
        self.z0.extend_from_slice(&self.acts[0][..m * n1]);
        self.forward_rest(p, m);
        let loss = self.output_deltas(samples, rows, |t| 1.0 / chunk_len(m, chunk, t) as f32);
        for l in (1..nl).rev() {
            let (wo, bo) = self.offs[l];
            self.backprop_layer(l, m, &p[wo..bo]);
        }
        // per chunk: ‖g_k‖² from the Gram blocks, then Δ̂ = s_k Δ
        let (mut max_norm, mut e_mean) = (0.0f64, 0.0f64);
        self.gram_x.clear();
        for &(lo, hi) in &chunks {
            let mk = hi - lo;
            let g0 = self.gram_x.len();
            self.gram_x.resize(g0 + mk * mk, 0.0);
            let xk = &self.xa[lo * u..hi * u];
            kernels::row_dots(isa, xk, mk, xk, mk, u, &mut self.gram_x[g0..]);
            let mut sq = 0.0f64;
            self.block.resize(2 * mk * mk, 0.0);
            for l in 0..nl {
                let (n_in, n_out) = (s[l], s[l + 1]);
                let (kb, dd) = self.block.split_at_mut(mk * mk);
                let ka: &[f32] = match l {
                    0 => &self.gram_x[g0..],
                    _ => {
                        let a = &self.acts[l - 1][lo * n_in..hi * n_in];
                        kernels::row_dots(isa, a, mk, a, mk, n_in, kb);
                        kb
                    }
                };
                let d = &self.deltas[l][lo * n_out..hi * n_out];
                kernels::row_dots(isa, d, mk, d, mk, n_out, dd);
                sq += ka
                    .iter()
                    .zip(dd.iter())
                    .map(|(&k, &d)| (k as f64 + 1.0) * d as f64)
                    .sum::<f64>();
            }
            let norm = sq.max(0.0).sqrt();
            if !(norm.is_finite() && loss.is_finite()) {
                // not stepped: the parameters are untouched
                return SamPass {
                    loss: (loss / m as f32) as f64,
                    grad_norm: f64::NAN,
                    perturbation_norm: f64::NAN,
                };
            }
            max_norm = max_norm.max(norm);
            let sk = multiple(norm);
            e_mean += sk.abs() as f64 * norm * mk as f64 / m as f64;
            for l in 0..nl {
                let n_out = s[l + 1];
                for v in &mut self.deltas[l][lo * n_out..hi * n_out] {
                    *v *= sk;
                }
            }
        }
        // second pass at w + ê, in the low-rank form
        std::mem::swap(&mut self.acts, &mut self.keep_acts);
        std::mem::swap(&mut self.deltas, &mut self.keep_deltas);
        if self.acts.len() != nl {
            self.acts = (0..nl).map(|l| vec![0.0; self.cap * s[l + 1]]).collect();
            self.deltas = self.acts.clone();
        }
        self.forward_perturbed(p, m, &chunks);
        let inv = 1.0 / m as f32;
        self.output_deltas(samples, rows, |_| inv);
        for l in (1..nl).rev() {
            let (wo, bo) = self.offs[l];
            let (n_in, n_out) = (s[l], s[l + 1]);
            self.backprop_layer(l, m, &p[wo..bo]);
            // + Σ_j (δ'_i·Δ̂_j) a_j within each chunk, then the perturbed pass's ReLU mask
            for &(lo, hi) in &chunks {
                let mk = hi - lo;
                self.block.resize(mk * mk, 0.0);
                let d2 = &self.deltas[l][lo * n_out..hi * n_out];
                let dh = &self.keep_deltas[l][lo * n_out..hi * n_out];
                kernels::row_dots(isa, d2, mk, dh, mk, n_out, &mut self.block);
                let e = MatRef {
                    data: &self.block,
                    rs: mk,
                    cs: 1,
                };
                let a = &self.keep_acts[l - 1][lo * n_in..hi * n_in];
                let out = &mut self.deltas[l - 1][lo * n_in..hi * n_in];
                kernels::gemm(isa, mk, n_in, mk, e, a, n_in, None, out, n_in, Some(-1.0));
                kernels::relu_mask(isa, out, &self.acts[l - 1][lo * n_in..hi * n_in]);
            }
            // the fused SGD step of layer l with the gradient at the perturbed points
            let a = MatRef {
                data: &self.acts[l - 1][..m * n_in],
                rs: 1,
                cs: n_in,
            };
            let d = &self.deltas[l];
            kernels::gemm(
                isa,
                n_in,
                n_out,
                m,
                a,
                d,
                n_out,
                None,
                &mut p[wo..bo],
                n_out,
                Some(lr),
            );
            let gb = &mut self.bias_grad[..n_out];
            colsum(&self.deltas[l][..m * n_out], n_out, gb);
            sam_optim::kernels::sub_scaled(&mut p[bo..bo + n_out], gb, lr);
        }
        let (w0, b0) = self.offs[0];
        let n1 = s[1];
        let xt = MatRef {
            data: &self.xa,
            rs: 1,
            cs: u,
        };
        let d0 = &self.deltas[0][..m * n1];
        kernels::gemm_rows(
            isa,
            n1,
            m,
            xt,
            d0,
            n1,
            &mut p[w0..b0],
            n1,
            &self.active,
            Some(lr),
        );
        let gb = &mut self.bias_grad[..n1];
        colsum(&self.deltas[0][..m * n1], n1, gb);
        sam_optim::kernels::sub_scaled(&mut p[b0..b0 + n1], gb, lr);
        SamPass {
            loss: (loss / m as f32) as f64,
            grad_norm: max_norm,
            perturbation_norm: e_mean,
        }
    }

    /// The forward pass at w + ê of the low-rank SAM step (see [`Engine::sam_step`]): each
    /// layer's pre-activations at w plus, within each chunk, (H Aᵀ + 1) Δ̂ with A and Δ̂ the
    /// first pass's (kept) inputs and scaled deltas; the first layer's inputs are the batch's
    /// images in both passes, so its pre-activations at w are the first pass's and its H Aᵀ is
    /// the Gram block.
    fn forward_perturbed(&mut self, p: &[f32], m: usize, chunks: &[(usize, usize)]) {
        let s = self.sizes.clone();
        let nl = s.len() - 1;
        let isa = self.isa;
        for l in 0..nl {
            let (n_in, n_out) = (s[l], s[l + 1]);
            match l {
                0 => self.acts[0][..m * n_out].copy_from_slice(&self.z0),
                _ => self.dense_layer(l, p, m),
            }
            let mut g0 = 0;
            for &(lo, hi) in chunks {
                let mk = hi - lo;
                self.block.resize(mk * mk, 0.0);
                if l == 0 {
                    self.block.copy_from_slice(&self.gram_x[g0..g0 + mk * mk]);
                    g0 += mk * mk;
                } else {
                    let h = &self.acts[l - 1][lo * n_in..hi * n_in];
                    let a = &self.keep_acts[l - 1][lo * n_in..hi * n_in];
                    kernels::row_dots(isa, h, mk, a, mk, n_in, &mut self.block);
                }
                for v in &mut self.block {
                    *v += 1.0;
                }
                let c = MatRef {
                    data: &self.block,
                    rs: mk,
                    cs: 1,
                };
                let dh = &self.keep_deltas[l][lo * n_out..hi * n_out];
                let z = &mut self.acts[l][lo * n_out..hi * n_out];
                kernels::gemm(isa, mk, n_out, mk, c, dh, n_out, None, z, n_out, Some(-1.0));
            }
            if l + 1 < nl {
                kernels::relu(isa, &mut self.acts[l][..m * n_out]);
            }
        }
    }
}

/// Rows in the chunk of row t (chunks of `chunk` rows of a batch of m).
fn chunk_len(m: usize, chunk: usize, t: usize) -> usize {
    let lo = t / chunk * chunk;
    (lo + chunk).min(m) - lo
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
