//! The MLP (784-500-300-10 ReLU by default, any widths allowed), its parameters as one flat
//! vector, the sample sets it is evaluated on, and an f64 reference path: loss, hand-written
//! gradient and the exact Hessian-vector product (Pearlmutter's R-operator).
//!
//! Layout of the flat parameter vector: for each layer `l`, `W_l` (shape `(in, out)`, row-major,
//! applied as `x @ W + b`) then `b_l`, exactly like the leaves of the JAX reference.

use crate::error::{MnistError, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The review's widths: 784-500-300-10.
pub const SIZES: [usize; 4] = [784, 500, 300, 10];

/// Number of parameters of an MLP with the given widths.
///
/// ```
/// assert_eq!(sam_mnist::model::n_params(&sam_mnist::model::SIZES), 545_810);
/// ```
pub fn n_params(sizes: &[usize]) -> usize {
    sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
}

/// Offsets `(w, b)` of each layer's weights and biases in the flat vector.
///
/// ```
/// assert_eq!(sam_mnist::model::layer_offsets(&[3, 2, 1]), vec![(0, 6), (8, 10)]);
/// ```
pub fn layer_offsets(sizes: &[usize]) -> Vec<(usize, usize)> {
    let mut off = 0;
    sizes
        .windows(2)
        .map(|w| {
            let r = (off, off + w[0] * w[1]);
            off += w[0] * w[1] + w[1];
            r
        })
        .collect()
}

/// MLP parameters: widths and one flat f32 vector (see the module docs for the layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    sizes: Vec<usize>,
    data: Vec<f32>,
}

impl Params {
    /// PyTorch-style init: every `W_l` and `b_l` uniform in `±1/sqrt(fan_in)`, drawn from
    /// ChaCha8 seeded with `seed` (stream 0; the batch order uses stream 1).
    ///
    /// ```
    /// let p = sam_mnist::model::Params::init(&[4, 3, 2], 7);
    /// assert_eq!(p.flat().len(), 4 * 3 + 3 + 3 * 2 + 2);
    /// assert!(p.flat()[..15].iter().all(|w| w.abs() <= 0.5));
    /// assert_eq!(p, sam_mnist::model::Params::init(&[4, 3, 2], 7));
    /// ```
    pub fn init(sizes: &[usize], seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(0);
        let mut data = Vec::with_capacity(n_params(sizes));
        for w in sizes.windows(2) {
            let bound = 1.0 / (w[0] as f32).sqrt();
            for _ in 0..w[0] * w[1] + w[1] {
                data.push(rng.random_range(-bound..bound));
            }
        }
        Params {
            sizes: sizes.to_vec(),
            data,
        }
    }
    /// Parameters from a flat vector (checked against the widths).
    ///
    /// ```
    /// assert!(sam_mnist::model::Params::from_flat(&[2, 1], vec![0.0; 3]).is_ok());
    /// assert!(sam_mnist::model::Params::from_flat(&[2, 1], vec![0.0; 4]).is_err());
    /// ```
    pub fn from_flat(sizes: &[usize], data: Vec<f32>) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(MnistError::Shape(format!(
                "widths {sizes:?}: need at least two, all positive"
            )));
        }
        if data.len() != n_params(sizes) {
            return Err(MnistError::Shape(format!(
                "{} parameters given, widths {sizes:?} need {}",
                data.len(),
                n_params(sizes)
            )));
        }
        Ok(Params {
            sizes: sizes.to_vec(),
            data,
        })
    }
    /// The flat vector as little-endian f32 bytes (the JAX anchors' and the sweep trials'
    /// weight files).
    ///
    /// ```
    /// use sam_mnist::model::Params;
    /// let p = Params::init(&[3, 2], 1);
    /// assert_eq!(Params::from_le_bytes(&[3, 2], &p.to_le_bytes()).unwrap(), p);
    /// assert!(Params::from_le_bytes(&[3, 2], &[0; 5]).is_err()); // not whole f32s
    /// ```
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.data.iter().flat_map(|x| x.to_le_bytes()).collect()
    }
    /// Parameters from little-endian f32 bytes ([`Params::to_le_bytes`]), checked against the
    /// widths (a length that is not a whole number of f32 is an error).
    pub fn from_le_bytes(sizes: &[usize], bytes: &[u8]) -> Result<Self> {
        if !bytes.len().is_multiple_of(4) {
            return Err(MnistError::Shape(format!(
                "{} bytes is not a whole number of f32 weights",
                bytes.len()
            )));
        }
        let flat = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Self::from_flat(sizes, flat)
    }
    /// Layer widths.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// The flat parameter vector.
    pub fn flat(&self) -> &[f32] {
        &self.data
    }
    /// The flat parameter vector, mutable.
    pub fn flat_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
    /// The flat parameter vector in f64 (for Lanczos and the f64 reference path).
    pub fn to_f64(&self) -> Vec<f64> {
        self.data.iter().map(|&v| v as f64).collect()
    }
    /// Weights of layer `l` (`(in, out)` row-major).
    pub fn w(&self, l: usize) -> &[f32] {
        let (wo, bo) = layer_offsets(&self.sizes)[l];
        &self.data[wo..bo]
    }
    /// Biases of layer `l`.
    pub fn b(&self, l: usize) -> &[f32] {
        let (_, bo) = layer_offsets(&self.sizes)[l];
        &self.data[bo..bo + self.sizes[l + 1]]
    }
}

/// Reorders `rows` (in place) into a greedy chain of similar sparsity patterns: from the first
/// row, repeatedly the unused row whose nonzero set has the largest Jaccard overlap with the
/// current one (ties: the earliest). Consecutive rows then share more nonzero pixels, so the
/// groups of the first-layer kernel (12 consecutive rows over the union of their pixels) do
/// less work: on the MNIST protocol's 11000 images the kernel's FLOPs drop by about 10%. Only
/// the order of the evaluation changes, not any row's result.
fn chain_by_overlap(rows: &mut [usize], csr: &Csr, dim: usize) {
    let words = dim.div_ceil(64);
    let sets: Vec<Vec<u64>> = rows
        .iter()
        .map(|&r| {
            let mut b = vec![0u64; words];
            for &k in &csr.idx[csr.ptr[r]..csr.ptr[r + 1]] {
                b[k as usize / 64] |= 1 << (k % 64);
            }
            b
        })
        .collect();
    let count = |a: &[u64]| a.iter().map(|w| w.count_ones()).sum::<u32>();
    let sizes: Vec<u32> = sets.iter().map(|b| count(b)).collect();
    let n = rows.len();
    let mut used = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut cur = 0;
    for _ in 0..n {
        used[cur] = true;
        order.push(rows[cur]);
        // best = argmax of |A∩B| / |A∪B|, compared exactly as fractions
        let mut best: Option<(usize, u32, u32)> = None;
        for j in (0..n).filter(|&j| !used[j]) {
            let inter: u32 = sets[cur]
                .iter()
                .zip(&sets[j])
                .map(|(a, b)| (a & b).count_ones())
                .sum();
            let union = sizes[cur] + sizes[j] - inter;
            let better = match best {
                None => true,
                Some((_, bi, bu)) => (inter as u64) * (bu as u64) > (bi as u64) * (union as u64),
            };
            if better {
                best = Some((j, inter, union.max(1)));
            }
        }
        match best {
            Some((j, _, _)) => cur = j,
            None => break,
        }
    }
    rows.copy_from_slice(&order);
}

/// Sparse rows (CSR) of an input matrix: indices and values of the nonzero entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Csr {
    pub ptr: Vec<usize>,
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

/// A set of samples: inputs (row-major f32, `len * dim`), labels, and a sparse copy of the
/// inputs used by the fast path (MNIST pixels are ~80% zeros).
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    x: Vec<f32>,
    y: Vec<u8>,
    dim: usize,
    pub(crate) csr: Csr,
    /// Evaluation order: indices sorted by label (stable), then chained by pixel overlap within
    /// each evaluation block, so the rows of a group share more nonzero pixels and the grouped
    /// first-layer kernel does less work.
    pub(crate) eval_order: Vec<usize>,
}

impl Samples {
    /// Samples from f32 inputs and labels.
    ///
    /// ```
    /// let s = sam_mnist::model::Samples::new(vec![0.0, 1.0, 0.5, 0.0], vec![0, 1], 2).unwrap();
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn new(x: Vec<f32>, y: Vec<u8>, dim: usize) -> Result<Self> {
        if dim == 0 || x.len() != y.len() * dim {
            return Err(MnistError::InvalidData(format!(
                "{} input values for {} labels of dimension {dim}",
                x.len(),
                y.len()
            )));
        }
        let mut csr = Csr {
            ptr: vec![0],
            ..Csr::default()
        };
        for row in x.chunks(dim) {
            for (k, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    csr.idx.push(k as u32);
                    csr.val.push(v);
                }
            }
            csr.ptr.push(csr.idx.len());
        }
        let mut eval_order: Vec<usize> = (0..y.len()).collect();
        eval_order.sort_by_key(|&i| y[i]);
        for block in eval_order.chunks_mut(crate::fast::EVAL_BLOCK) {
            chain_by_overlap(block, &csr, dim);
        }
        Ok(Samples {
            x,
            y,
            dim,
            csr,
            eval_order,
        })
    }
    /// Samples from bytes scaled by 1/255 (as the reference: `x.astype(float32) / 255`).
    ///
    /// ```
    /// let s = sam_mnist::model::Samples::from_bytes(&[0, 255, 51, 0], &[4, 2], 2).unwrap();
    /// assert_eq!(s.x()[1], 1.0);
    /// ```
    pub fn from_bytes(images: &[u8], labels: &[u8], dim: usize) -> Result<Self> {
        Self::new(
            images.iter().map(|&p| p as f32 / 255.0).collect(),
            labels.to_vec(),
            dim,
        )
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// Input dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Inputs, row-major.
    pub fn x(&self) -> &[f32] {
        &self.x
    }
    /// Labels.
    pub fn y(&self) -> &[u8] {
        &self.y
    }
    /// Input row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }
}

fn check_shapes(sizes: &[usize], theta: &[f64], samples: &Samples) -> Result<()> {
    if theta.len() != n_params(sizes) {
        return Err(MnistError::Shape(format!(
            "parameter vector has {} entries, widths {sizes:?} need {}",
            theta.len(),
            n_params(sizes)
        )));
    }
    if samples.dim() != sizes[0] {
        return Err(MnistError::Shape(format!(
            "samples have dimension {}, the network's input width is {}",
            samples.dim(),
            sizes[0]
        )));
    }
    if let Some(&l) = samples
        .y()
        .iter()
        .find(|&&l| l as usize >= sizes[sizes.len() - 1])
    {
        return Err(MnistError::Shape(format!(
            "label {l} but only {} outputs",
            sizes[sizes.len() - 1]
        )));
    }
    Ok(())
}

/// `out[j] += sum_k a[k] * w[k*n + j]` (f64, skipping zero inputs: exact).
fn vecmat_acc(a: &[f64], w: &[f64], n: usize, out: &mut [f64]) {
    for (k, &ak) in a.iter().enumerate() {
        if ak != 0.0 {
            for (o, &wv) in out.iter_mut().zip(&w[k * n..(k + 1) * n]) {
                *o += ak * wv;
            }
        }
    }
}

/// `out[k] = sum_j w[k*n + j] * d[j]` (f64; each row's sum in the 8 partial sums of
/// [`sam_optim::float::dot`]: a single running sum is bound by the adds' latency).
fn matvec_t(w: &[f64], d: &[f64], out: &mut [f64]) {
    let n = d.len();
    for (k, o) in out.iter_mut().enumerate() {
        *o = sam_optim::float::dot(&w[k * n..(k + 1) * n], d);
    }
}

/// `g[k*n + j] += a[k] * d[j]` (outer-product accumulation, f64).
fn outer_acc(a: &[f64], d: &[f64], g: &mut [f64]) {
    let n = d.len();
    for (k, &ak) in a.iter().enumerate() {
        if ak != 0.0 {
            for (gv, &dv) in g[k * n..(k + 1) * n].iter_mut().zip(d) {
                *gv += ak * dv;
            }
        }
    }
}

/// One sample through the f64 reference: returns the loss; adds the gradient to `g` and, with a
/// direction `v`, the Hessian-vector product to `hv` (both unscaled: per-sample sums).
fn sample_f64(
    sizes: &[usize],
    offs: &[(usize, usize)],
    theta: &[f64],
    x: &[f64],
    y: usize,
    g: &mut [f64],
    v: Option<(&[f64], &mut [f64])>,
) -> f64 {
    let nl = sizes.len() - 1;
    // forward: acts[0] = x, z[l] pre-activation of layer l, acts[l+1] = relu(z[l]) (last: z)
    let mut acts: Vec<Vec<f64>> = vec![x.to_vec()];
    let mut zs: Vec<Vec<f64>> = Vec::with_capacity(nl);
    for l in 0..nl {
        let (wo, bo) = offs[l];
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let mut z = theta[bo..bo + n_out].to_vec();
        vecmat_acc(&acts[l], &theta[wo..wo + n_in * n_out], n_out, &mut z);
        let a = if l + 1 < nl {
            z.iter().map(|&t| t.max(0.0)).collect()
        } else {
            z.clone()
        };
        zs.push(z);
        acts.push(a);
    }
    let logits = &zs[nl - 1];
    let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let se: f64 = logits.iter().map(|&t| (t - m).exp()).sum();
    let lse = m + se.ln();
    let loss = lse - logits[y];
    let p: Vec<f64> = logits.iter().map(|&t| (t - lse).exp()).collect();
    let mut delta: Vec<f64> = p.clone();
    delta[y] -= 1.0;

    // R-forward
    let mut r_acts: Vec<Vec<f64>> = Vec::new();
    let mut r_delta = Vec::new();
    if let Some((vv, _)) = &v {
        r_acts.push(vec![0.0; sizes[0]]);
        let mut rz_last = Vec::new();
        for l in 0..nl {
            let (wo, bo) = offs[l];
            let (n_in, n_out) = (sizes[l], sizes[l + 1]);
            let mut rz = vv[bo..bo + n_out].to_vec();
            vecmat_acc(&acts[l], &vv[wo..wo + n_in * n_out], n_out, &mut rz);
            vecmat_acc(&r_acts[l], &theta[wo..wo + n_in * n_out], n_out, &mut rz);
            if l + 1 < nl {
                let ra = rz
                    .iter()
                    .zip(&zs[l])
                    .map(|(&r, &z)| if z > 0.0 { r } else { 0.0 })
                    .collect();
                r_acts.push(ra);
            } else {
                rz_last = rz;
            }
        }
        let pr: f64 = p.iter().zip(&rz_last).map(|(a, b)| a * b).sum();
        r_delta = p
            .iter()
            .zip(&rz_last)
            .map(|(&pi, &ri)| pi * (ri - pr))
            .collect();
    }

    // backward (and R-backward)
    let mut hv_out = v;
    for l in (0..nl).rev() {
        let (wo, bo) = offs[l];
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        outer_acc(&acts[l], &delta, &mut g[wo..wo + n_in * n_out]);
        for (gb, d) in g[bo..bo + n_out].iter_mut().zip(&delta) {
            *gb += d;
        }
        if let Some((vv, hv)) = hv_out.as_mut() {
            outer_acc(&r_acts[l], &delta, &mut hv[wo..wo + n_in * n_out]);
            outer_acc(&acts[l], &r_delta, &mut hv[wo..wo + n_in * n_out]);
            for (h, d) in hv[bo..bo + n_out].iter_mut().zip(&r_delta) {
                *h += d;
            }
            if l > 0 {
                let mut rd = vec![0.0; n_in];
                matvec_t(&theta[wo..wo + n_in * n_out], &r_delta, &mut rd);
                let mut rd2 = vec![0.0; n_in];
                matvec_t(&vv[wo..wo + n_in * n_out], &delta, &mut rd2);
                r_delta = rd
                    .iter()
                    .zip(&rd2)
                    .zip(&zs[l - 1])
                    .map(|((a, b), &z)| if z > 0.0 { a + b } else { 0.0 })
                    .collect();
            }
        }
        if l > 0 {
            let mut d = vec![0.0; n_in];
            matvec_t(&theta[wo..wo + n_in * n_out], &delta, &mut d);
            delta = d
                .iter()
                .zip(&zs[l - 1])
                .map(|(&a, &z)| if z > 0.0 { a } else { 0.0 })
                .collect();
        }
    }
    loss
}

/// Samples per chunk of the f64 paths: chunks are processed in parallel and summed in a fixed
/// order, so results do not depend on the thread count.
const CHUNK: usize = 125;

fn reduce_f64(
    sizes: &[usize],
    theta: &[f64],
    samples: &Samples,
    v: Option<&[f64]>,
) -> (f64, Vec<f64>, Vec<f64>) {
    let offs = layer_offsets(sizes);
    let np = theta.len();
    let n = samples.len();
    let parts: Vec<(f64, Vec<f64>, Vec<f64>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut g = vec![0.0; np];
            let mut hv = vec![0.0; if v.is_some() { np } else { 0 }];
            let mut loss = 0.0;
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                let x: Vec<f64> = samples.row(i).iter().map(|&t| t as f64).collect();
                let vh = v.map(|vv| (vv, hv.as_mut_slice()));
                loss += sample_f64(sizes, &offs, theta, &x, samples.y()[i] as usize, &mut g, vh);
            }
            (loss, g, hv)
        })
        .collect();
    let mut loss = 0.0;
    let mut g = vec![0.0; np];
    let mut hv = vec![0.0; if v.is_some() { np } else { 0 }];
    for (l, gc, hc) in parts {
        loss += l;
        g.iter_mut().zip(&gc).for_each(|(a, b)| *a += b);
        hv.iter_mut().zip(&hc).for_each(|(a, b)| *a += b);
    }
    let inv = 1.0 / n.max(1) as f64;
    g.iter_mut().for_each(|t| *t *= inv);
    hv.iter_mut().for_each(|t| *t *= inv);
    (loss * inv, g, hv)
}

/// Mean cross-entropy and its gradient over all `samples`, in f64, at the flat parameter vector
/// `theta` (any point, e.g. a perturbed one). The f64 oracle of the fast f32 path.
///
/// ```
/// use sam_mnist::model::{loss_and_grad_at, Params, Samples};
/// let p = Params::init(&[2, 3, 2], 0);
/// let s = Samples::new(vec![0.5, -1.0], vec![1], 2).unwrap();
/// let (loss, g) = loss_and_grad_at(p.sizes(), &p.to_f64(), &s).unwrap();
/// assert!(loss > 0.0 && g.len() == p.flat().len());
/// ```
pub fn loss_and_grad_at(
    sizes: &[usize],
    theta: &[f64],
    samples: &Samples,
) -> Result<(f64, Vec<f64>)> {
    check_shapes(sizes, theta, samples)?;
    let (l, g, _) = reduce_f64(sizes, theta, samples, None);
    Ok((l, g))
}

/// Full-batch mean loss and gradient (f64) at `params`.
///
/// ```
/// use sam_mnist::model::{loss_and_grad, Params, Samples};
/// let p = Params::init(&[2, 3, 2], 0);
/// let s = Samples::new(vec![0.5, -1.0, 1.0, 0.0], vec![1, 0], 2).unwrap();
/// let (loss, g) = loss_and_grad(&p, &s).unwrap();
/// assert!(loss.is_finite() && g.iter().any(|v| *v != 0.0));
/// ```
pub fn loss_and_grad(params: &Params, samples: &Samples) -> Result<(f64, Vec<f64>)> {
    loss_and_grad_at(params.sizes(), &params.to_f64(), samples)
}

/// Mean loss (f64) at a flat parameter vector.
///
/// ```
/// use sam_mnist::model::{loss_at, Samples};
/// let s = Samples::new(vec![1.0], vec![0], 1).unwrap();
/// // 1-2 network with zero weights: uniform softmax, loss ln 2
/// assert!((loss_at(&[1, 2], &[0.0; 4], &s).unwrap() - 2f64.ln()).abs() < 1e-12);
/// ```
pub fn loss_at(sizes: &[usize], theta: &[f64], samples: &Samples) -> Result<f64> {
    Ok(loss_and_grad_at(sizes, theta, samples)?.0)
}

/// Exact Hessian-vector product `H v` of the mean loss over `samples` at the flat parameter
/// vector `theta` (Pearlmutter's R-operator, f64; ReLU's second derivative is taken as 0).
///
/// ```
/// use sam_mnist::model::{hvp_at, Params, Samples};
/// let p = Params::init(&[2, 3, 2], 0);
/// let s = Samples::new(vec![0.5, -1.0], vec![1], 2).unwrap();
/// let v = vec![1.0; p.flat().len()];
/// assert_eq!(hvp_at(p.sizes(), &p.to_f64(), &s, &v).unwrap().len(), v.len());
/// ```
pub fn hvp_at(sizes: &[usize], theta: &[f64], samples: &Samples, v: &[f64]) -> Result<Vec<f64>> {
    check_shapes(sizes, theta, samples)?;
    if v.len() != theta.len() {
        return Err(MnistError::Shape(format!(
            "direction has {} entries, the parameter vector {}",
            v.len(),
            theta.len()
        )));
    }
    Ok(reduce_f64(sizes, theta, samples, Some(v)).2)
}

/// Hessian-vector product at `params` over `samples` (see [`hvp_at`]).
///
/// ```
/// use sam_mnist::model::{hvp, Params, Samples};
/// let p = Params::init(&[2, 3, 2], 0);
/// let s = Samples::new(vec![0.5, -1.0], vec![1], 2).unwrap();
/// let hv = hvp(&p, &s, &vec![0.0; p.flat().len()]).unwrap();
/// assert!(hv.iter().all(|t| *t == 0.0));
/// ```
pub fn hvp(params: &Params, samples: &Samples, v: &[f64]) -> Result<Vec<f64>> {
    hvp_at(params.sizes(), &params.to_f64(), samples, v)
}

/// Logits of every sample by the naive f64 triple loop (a reference for tests): the last layer
/// of [`preactivations_naive`].
///
/// ```
/// use sam_mnist::model::{logits_naive, Params, Samples};
/// let p = Params::from_flat(&[1, 2], vec![2.0, -1.0, 0.5, 0.0]).unwrap();
/// let s = Samples::new(vec![3.0], vec![0], 1).unwrap();
/// assert_eq!(logits_naive(&p, &s), vec![vec![6.5, -3.0]]);
/// ```
pub fn logits_naive(params: &Params, samples: &Samples) -> Vec<Vec<f64>> {
    let rows: Vec<usize> = (0..samples.len()).collect();
    preactivations_naive(params, samples, &rows)
        .into_iter()
        .map(|mut layers| layers.pop().expect("at least one layer"))
        .collect()
}

/// The pre-activations z_l = W_l a_{l−1} + b_l of every layer (hidden layers first, the logits
/// last) for the samples `rows`, by the naive f64 loop: `out[i][l]` is layer `l + 1`'s for
/// `rows[i]`. The signs of the hidden ones are the network's ReLU pattern.
///
/// ```
/// use sam_mnist::model::{preactivations_naive, Params, Samples};
/// // 1-2-1 network: z1 = (3·1 + 0, 3·(−1) + 0) = (3, −3); z2 = 2·3 + (−1)·0 + 0.5
/// let p = Params::from_flat(&[1, 2, 1], vec![1.0, -1.0, 0.0, 0.0, 2.0, -1.0, 0.5]).unwrap();
/// let s = Samples::new(vec![3.0], vec![0], 1).unwrap();
/// assert_eq!(preactivations_naive(&p, &s, &[0]), vec![vec![vec![3.0, -3.0], vec![6.5]]]);
/// ```
pub fn preactivations_naive(
    params: &Params,
    samples: &Samples,
    rows: &[usize],
) -> Vec<Vec<Vec<f64>>> {
    let sizes = params.sizes();
    let theta = params.flat();
    let offs = layer_offsets(sizes);
    rows.iter()
        .map(|&i| {
            let mut a: Vec<f64> = samples.row(i).iter().map(|&t| t as f64).collect();
            let mut layers = Vec::with_capacity(sizes.len() - 1);
            for l in 0..sizes.len() - 1 {
                let (wo, bo) = offs[l];
                let n_out = sizes[l + 1];
                let mut z: Vec<f64> = theta[bo..bo + n_out].iter().map(|&b| b as f64).collect();
                // row-major W (in, out): input k's row adds a_k·W[k, :]; zero inputs add nothing
                for (k, &ak) in a.iter().enumerate().filter(|(_, ak)| **ak != 0.0) {
                    let w = &theta[wo + k * n_out..wo + (k + 1) * n_out];
                    z.iter_mut()
                        .zip(w)
                        .for_each(|(zj, &wj)| *zj += ak * wj as f64);
                }
                a = z.iter().map(|t| t.max(0.0)).collect();
                layers.push(z);
            }
            layers
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain is a permutation of the block, and rows with identical pixel sets end up next
    /// to each other (Jaccard 1 beats everything else).
    #[test]
    fn chain_by_overlap_permutes_and_pairs_identical_patterns() {
        // rows 0 and 3 share a pattern, 1 and 4 another, 2 is alone
        let pat = |r: usize| -> Vec<f32> {
            let mut x = vec![0.0; 130];
            let base = [0, 40, 90, 0, 40][r.min(4)];
            let width = if r == 2 { 5 } else { 20 };
            for v in &mut x[base..base + width] {
                *v = 1.0;
            }
            x
        };
        let x: Vec<f32> = (0..5).flat_map(pat).collect();
        let s = Samples::new(x, vec![0; 5], 130).unwrap();
        let mut rows = vec![0, 1, 2, 3, 4];
        chain_by_overlap(&mut rows, &s.csr, 130);
        let mut sorted = rows.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
        let at = |r: usize| rows.iter().position(|&q| q == r).unwrap();
        assert_eq!(at(3), at(0) + 1, "{rows:?}");
        assert_eq!(at(4).abs_diff(at(1)), 1, "{rows:?}");
    }
}

/// The f64 MLP as an objective over its flat parameter vector: the mean cross-entropy over
/// `samples` (value, gradient in one pass, exact Hessian-vector product), so that sharpness and
/// curvature estimators (Lanczos, Hutchinson, the κ_ρ lower bound) take it through the objective
/// traits. A point of the wrong length gives NaN values (never a panic), which the estimators
/// report as non-finite.
///
/// ```
/// use sam_mnist::model::{MlpObjective, Params, Samples};
/// use sam_objectives::{Gradient, HessianVectorProduct, Objective};
/// let p = Params::init(&[2, 3, 2], 0);
/// let s = Samples::new(vec![0.5, -1.0], vec![1], 2).unwrap();
/// let f = MlpObjective::new(&[2, 3, 2], &s).unwrap();
/// let theta = p.to_f64();
/// let (loss, g) = f.value_and_gradient(&theta);
/// assert_eq!((loss, g.len()), (f.value(&theta), f.dim()));
/// assert_eq!(f.hvp(&theta, &vec![1.0; f.dim()]).len(), f.dim());
/// assert!(f.value(&[0.0]).is_nan());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MlpObjective<'a> {
    sizes: &'a [usize],
    samples: &'a Samples,
}

impl<'a> MlpObjective<'a> {
    /// The objective of the MLP with widths `sizes` on `samples` (input width checked).
    pub fn new(sizes: &'a [usize], samples: &'a Samples) -> Result<Self> {
        check_shapes(sizes, &vec![0.0; n_params(sizes)], samples)?;
        Ok(Self { sizes, samples })
    }
}

impl sam_objectives::Objective for MlpObjective<'_> {
    fn dim(&self) -> usize {
        n_params(self.sizes)
    }
    fn value(&self, x: &[f64]) -> f64 {
        loss_at(self.sizes, x, self.samples).unwrap_or(f64::NAN)
    }
    fn name(&self) -> String {
        let w: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        format!("mlp-{}", w.join("-"))
    }
}

impl sam_objectives::Gradient for MlpObjective<'_> {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        self.value_and_gradient(x).1
    }
    fn value_and_gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        loss_and_grad_at(self.sizes, x, self.samples)
            .unwrap_or_else(|_| (f64::NAN, vec![f64::NAN; x.len()]))
    }
}

impl sam_objectives::HessianVectorProduct for MlpObjective<'_> {
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        hvp_at(self.sizes, x, self.samples, v).unwrap_or_else(|_| vec![f64::NAN; v.len()])
    }
}
