//! f32 kernels of the hot path: dense GEMM with a bias row, sparse-rows x dense, masked
//! `D W^T`, and the scatter of the first layer's gradient. Each has an AVX-512 version, an
//! AVX2 + FMA version (the first the CPU has is used, detected at run time: [`isa`]) and a
//! portable scalar version; all are tested against naive loops. The two SIMD versions do the
//! same fused multiply-adds on every element in the same order (the horizontal sums of
//! `backprop_input` emulate AVX-512's 16 lanes and its reduction tree on AVX2), so their
//! results are identical bit for bit; the portable one multiplies and adds, so it differs by
//! rounding. Results are deterministic for a given path (fixed summation order).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Which compiled kernels run: the optimizer stack's decision ([`sam_optim::kernels::isa`]),
/// so both sides agree. The AVX-512 and AVX2 kernels give bit-identical results.
///
/// ```
/// let p = sam_mnist::kernels::isa();
/// assert_eq!(p, sam_mnist::kernels::isa()); // decided once per process
/// ```
pub use sam_optim::kernels::{isa, Isa};

/// Whether the f32 hot path flushes denormal results to zero (default;
/// `SAM_MNIST_KEEP_DENORMALS` set keeps IEEE gradual underflow, for comparison).
pub fn flush_denormals() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SAM_MNIST_KEEP_DENORMALS").is_none())
}

/// While alive, the current thread flushes denormal f32/f64 results to zero (x86-64 MXCSR bit
/// FTZ; a no-op elsewhere or when [`flush_denormals`] is off); the previous mode is restored on
/// drop. Guards belong to one thread (`!Send`) and must be dropped in scope order.
///
/// Why: late in training, Adam's second moments and SAM's/SGD's tiny gradients fall into the
/// denormal range, where every arithmetic operation takes a slow microcode path (Adam's update
/// became 2.4x slower after a few epochs). With FTZ no operation produces a denormal, so none
/// is ever an input either (the data and the initial weights have none). The JAX reference
/// runs the same way: XLA on CPU flushes denormals to zero. Only results of magnitude below
/// 1.2e-38 change; nothing in the loss or the accuracy is that small. Only FTZ is set: Rust
/// documents changing the DAZ, rounding or exception-mask bits as undefined behaviour, but not
/// FTZ, which only changes results that would be denormal.
///
/// ```
/// use std::hint::black_box;
/// let tiny = black_box(1e-39f32); // a denormal
/// {
///     let _ftz = sam_mnist::kernels::FlushDenormals::new();
///     let z = black_box(tiny) * black_box(0.5f32); // a denormal result
///     if cfg!(target_arch = "x86_64") && sam_mnist::kernels::flush_denormals() {
///         assert_eq!(z, 0.0);
///     }
/// }
/// assert!(black_box(tiny) * black_box(0.5f32) > 0.0); // restored: gradual underflow again
/// ```
pub struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: Option<u32>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl FlushDenormals {
    /// Switches the current thread to flushing mode.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = flush_denormals().then(|| {
                let mut saved: u32 = 0;
                // SAFETY: stmxcsr stores MXCSR to a valid, aligned u32; ldmxcsr loads a value
                // that differs from it only in FTZ (bit 15), which Rust does not assume clear.
                unsafe {
                    std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved as *mut u32, options(nostack));
                    let mode = saved | (1 << 15);
                    std::arch::asm!("ldmxcsr [{}]", in(reg) &mode as *const u32, options(nostack));
                }
                saved
            });
            FlushDenormals {
                saved,
                _not_send: std::marker::PhantomData,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            FlushDenormals {
                _not_send: std::marker::PhantomData,
            }
        }
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if let Some(saved) = self.saved {
            // SAFETY: restores the value read in `new` on the same thread (the guard is !Send).
            unsafe {
                std::arch::asm!("ldmxcsr [{}]", in(reg) &saved as *const u32, options(nostack));
            }
        }
    }
}

/// Whether the first layer uses the one-row-at-a-time sparse kernel instead of the grouped one
/// (`SAM_MNIST_ROWWISE` set; for benchmarking, results are identical).
pub fn rowwise_sparse() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SAM_MNIST_ROWWISE").is_some())
}

/// Strided read-only matrix: element `(r, c)` at `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

/// `C[i, j] = init[j] + sum_p A[i, p] * B[p, j]` for `i < m, j < n, p < k`; `B` row-major with
/// leading dimension `ldb`, `C` with `ldc`; `init = None` means zero. With `upd = Some(lr)`,
/// instead `C[i, j] <- C[i, j] - lr * sum_p A[i, p] B[p, j]` (an SGD step fused into the
/// gradient; the same IEEE operations as computing the gradient and then stepping).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    isa: Isa,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: &[f32],
    ldb: usize,
    init: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
    upd: Option<f32>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(a.data.len() > (m - 1) * a.rs + k.saturating_sub(1) * a.cs || k == 0);
    assert!(k == 0 || b.len() >= (k - 1) * ldb + n);
    assert!(c.len() >= (m - 1) * ldc + n);
    if let Some(v) = init {
        assert!(v.len() >= n);
    }
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time (isa()); bounds asserted above.
        Isa::Avx512 => return unsafe { avx512::gemm(m, n, k, a, b, ldb, init, c, ldc, upd) },
        Isa::Avx2 => return unsafe { avx2::gemm(m, n, k, a, b, ldb, init, c, ldc, upd) },
        Isa::Portable => {}
    }
    let _ = isa;
    let mut acc = vec![0.0f32; n];
    for i in 0..m {
        match (init, upd) {
            (Some(v), None) => acc.copy_from_slice(&v[..n]),
            _ => acc.fill(0.0),
        }
        for p in 0..k {
            let av = a.data[i * a.rs + p * a.cs];
            for (cv, &bv) in acc.iter_mut().zip(&b[p * ldb..p * ldb + n]) {
                *cv += av * bv;
            }
        }
        let row = &mut c[i * ldc..i * ldc + n];
        match upd {
            Some(lr) => row.iter_mut().zip(&acc).for_each(|(cv, &g)| *cv -= lr * g),
            None => row.copy_from_slice(&acc),
        }
    }
}

/// Largest column index in the listed CSR rows (`None` if they hold no entry); the bounds check
/// of the sparse kernels (vectorized: it runs over every nonzero of every evaluation block).
fn max_index(isa: Isa, rows: &[usize], ptr: &[usize], idx: &[u32]) -> Option<u32> {
    #[inline(always)]
    fn body(rows: &[usize], ptr: &[usize], idx: &[u32]) -> Option<u32> {
        let mut mx: Option<u32> = None;
        for &r in rows {
            let m = idx[ptr[r]..ptr[r + 1]].iter().fold(0u32, |a, &k| a.max(k));
            if ptr[r + 1] > ptr[r] {
                mx = Some(mx.map_or(m, |x| x.max(m)));
            }
        }
        mx
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn wide(rows: &[usize], ptr: &[usize], idx: &[u32]) -> Option<u32> {
        body(rows, ptr, idx)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn half(rows: &[usize], ptr: &[usize], idx: &[u32]) -> Option<u32> {
        body(rows, ptr, idx)
    }
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time (isa()).
        Isa::Avx512 => return unsafe { wide(rows, ptr, idx) },
        Isa::Avx2 => return unsafe { half(rows, ptr, idx) },
        Isa::Portable => {}
    }
    let _ = isa;
    body(rows, ptr, idx)
}

/// Sparse rows times dense: for each listed row `r` (CSR `ptr/idx/val`), `C[t, :] = bias +
/// sum_nnz val * W[idx, :]`, `W` row-major `(in, n)`, output row `t` = position in `rows`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spmm(
    isa: Isa,
    rows: &[usize],
    ptr: &[usize],
    idx: &[u32],
    val: &[f32],
    w: &[f32],
    n: usize,
    bias: &[f32],
    c: &mut [f32],
    ldc: usize,
) {
    assert!(bias.len() >= n && c.len() >= rows.len().saturating_sub(1) * ldc + n);
    assert!(val.len() >= idx.len());
    if let Some(k) = max_index(isa, rows, ptr, idx) {
        assert!((k as usize + 1) * n <= w.len());
    }
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time; all indices checked above.
        Isa::Avx512 => return unsafe { avx512::spmm(rows, ptr, idx, val, w, n, bias, c, ldc) },
        Isa::Avx2 => return unsafe { avx2::spmm(rows, ptr, idx, val, w, n, bias, c, ldc) },
        Isa::Portable => {}
    }
    for (t, &r) in rows.iter().enumerate() {
        let out = &mut c[t * ldc..t * ldc + n];
        out.copy_from_slice(&bias[..n]);
        for (&k, &v) in idx[ptr[r]..ptr[r + 1]].iter().zip(&val[ptr[r]..ptr[r + 1]]) {
            let wr = &w[k as usize * n..(k as usize + 1) * n];
            for (o, &wv) in out.iter_mut().zip(wr) {
                *o += v * wv;
            }
        }
    }
}

/// `out[i, q] = (act[i, q] > 0) ? sum_j d[i, j] * w[q, j] : 0` for `i < m, q < n_in, j < n_out`
/// (back-propagation through `x @ W` and a ReLU; `act` is the ReLU output).
#[allow(clippy::too_many_arguments)]
pub(crate) fn backprop_input(
    isa: Isa,
    m: usize,
    n_in: usize,
    n_out: usize,
    d: &[f32],
    w: &[f32],
    act: &[f32],
    out: &mut [f32],
) {
    assert!(d.len() >= m * n_out && w.len() >= n_in * n_out);
    assert!(act.len() >= m * n_in && out.len() >= m * n_in);
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time; lengths asserted above.
        Isa::Avx512 => return unsafe { avx512::backprop_input(m, n_in, n_out, d, w, act, out) },
        Isa::Avx2 => return unsafe { avx2::backprop_input(m, n_in, n_out, d, w, act, out) },
        Isa::Portable => {}
    }
    for i in 0..m {
        for q in 0..n_in {
            out[i * n_in + q] = if act[i * n_in + q] > 0.0 {
                d[i * n_out..(i + 1) * n_out]
                    .iter()
                    .zip(&w[q * n_out..(q + 1) * n_out])
                    .map(|(a, b)| a * b)
                    .sum()
            } else {
                0.0
            };
        }
    }
}

/// `C[crow[i], j] = sum_p A[i, p] * B[p, j]` for `i < crow.len()`: a GEMM whose output rows are
/// scattered (the first layer's gradient rows of the batch's nonzero pixels).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_rows(
    isa: Isa,
    n: usize,
    k: usize,
    a: MatRef,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    crow: &[u32],
    upd: Option<f32>,
) {
    let m = crow.len();
    if m == 0 || n == 0 {
        return;
    }
    assert!(k == 0 || a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs);
    assert!(k == 0 || b.len() >= (k - 1) * ldb + n);
    assert!(crow.iter().all(|&r| (r as usize) * ldc + n <= c.len()));
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time; bounds asserted above.
        Isa::Avx512 => return unsafe { avx512::gemm_rows(n, k, a, b, ldb, c, ldc, crow, upd) },
        Isa::Avx2 => return unsafe { avx2::gemm_rows(n, k, a, b, ldb, c, ldc, crow, upd) },
        Isa::Portable => {}
    }
    let mut acc = vec![0.0f32; n];
    for (i, &r) in crow.iter().enumerate() {
        acc.fill(0.0);
        for p in 0..k {
            let av = a.data[i * a.rs + p * a.cs];
            for (cv, &bv) in acc.iter_mut().zip(&b[p * ldb..p * ldb + n]) {
                *cv += av * bv;
            }
        }
        let row = &mut c[r as usize * ldc..r as usize * ldc + n];
        match upd {
            Some(lr) => row.iter_mut().zip(&acc).for_each(|(cv, &g)| *cv -= lr * g),
            None => row.copy_from_slice(&acc),
        }
    }
}

/// `out[i] = 0` where `act[i] <= 0` (the ReLU's mask on back-propagated deltas; exact, the
/// same on every path).
pub(crate) fn relu_mask(isa: Isa, out: &mut [f32], act: &[f32]) {
    #[inline(always)]
    fn body(out: &mut [f32], act: &[f32]) {
        for (o, &h) in out.iter_mut().zip(act) {
            *o = if h > 0.0 { *o } else { 0.0 };
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn wide(out: &mut [f32], act: &[f32]) {
        body(out, act)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn half(out: &mut [f32], act: &[f32]) {
        body(out, act)
    }
    assert_eq!(out.len(), act.len());
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time (isa()).
        Isa::Avx512 => return unsafe { wide(out, act) },
        Isa::Avx2 => return unsafe { half(out, act) },
        Isa::Portable => {}
    }
    let _ = isa;
    body(out, act)
}

/// `out[i * rb + j] = sum_p a[i * n + p] * b[j * n + p]` for `i < ra, j < rb`: the small
/// matrix of row dot products `A Bᵀ` of two row-major blocks (the Gram and cross terms of the
/// low-rank SAM step). Each dot product runs in 16 partial sums combined in a fixed order, with
/// separate multiplies and adds, so every path (portable, AVX2, AVX-512) gives the same bits;
/// four rows of `B` go together, sharing the loads of a row of `A` (four independent chains).
pub(crate) fn row_dots(
    isa: Isa,
    a: &[f32],
    ra: usize,
    b: &[f32],
    rb: usize,
    n: usize,
    out: &mut [f32],
) {
    /// A fixed pairwise reduction of 16 lanes.
    #[inline(always)]
    fn reduce(mut acc: [f32; 16]) -> f32 {
        let mut w = 8;
        while w > 0 {
            for l in 0..w {
                acc[l] += acc[l + w];
            }
            w /= 2;
        }
        acc[0]
    }
    /// Lane l of the 16 partial sums of `x · y` gets the products at p ≡ l (mod 16) of the
    /// full 16-blocks in order (the SIMD paths below do exactly this), then the tail's.
    #[inline(always)]
    fn finish(mut acc: [f32; 16], x: &[f32], y: &[f32]) -> f32 {
        let full = x.len() / 16 * 16;
        for (l, p) in (full..x.len()).enumerate() {
            acc[l] += x[p] * y[p];
        }
        reduce(acc)
    }
    #[inline(always)]
    fn portable(x: &[f32], y: &[f32]) -> [f32; 16] {
        let mut acc = [0.0f32; 16];
        for (u, v) in x.chunks_exact(16).zip(y.chunks_exact(16)) {
            for l in 0..16 {
                acc[l] += u[l] * v[l];
            }
        }
        acc
    }
    fn row(m: &[f32], n: usize, i: usize) -> &[f32] {
        &m[i * n..(i + 1) * n]
    }
    fn body(a: &[f32], ra: usize, b: &[f32], rb: usize, n: usize, out: &mut [f32]) {
        for i in 0..ra {
            for j in 0..rb {
                let (x, y) = (row(a, n, i), row(b, n, j));
                out[i * rb + j] = finish(portable(x, y), x, y);
            }
        }
    }
    // The SIMD paths: up to four rows of B per pass over a row of A (independent chains).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn wide_group<const R: usize>(x: &[f32], ys: [&[f32]; R], out: &mut [f32]) {
        let full = x.len() / 16 * 16;
        let mut acc = [_mm512_setzero_ps(); R];
        for c in (0..full).step_by(16) {
            // SAFETY: c + 16 <= full <= x.len() = ys[r].len()
            unsafe {
                let u = _mm512_loadu_ps(x.as_ptr().add(c));
                for r in 0..R {
                    let v = _mm512_loadu_ps(ys[r].as_ptr().add(c));
                    acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(u, v));
                }
            }
        }
        for r in 0..R {
            let mut lanes = [0.0f32; 16];
            // SAFETY: 16 lanes into a 16-float array
            unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), acc[r]) };
            out[r] = finish(lanes, x, ys[r]);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn half_group<const R: usize>(x: &[f32], ys: [&[f32]; R], out: &mut [f32]) {
        let full = x.len() / 16 * 16;
        let mut lo = [_mm256_setzero_ps(); R];
        let mut hi = [_mm256_setzero_ps(); R];
        for c in (0..full).step_by(16) {
            // SAFETY: c + 16 <= full <= x.len() = ys[r].len()
            unsafe {
                let u0 = _mm256_loadu_ps(x.as_ptr().add(c));
                let u1 = _mm256_loadu_ps(x.as_ptr().add(c + 8));
                for r in 0..R {
                    let yp = ys[r].as_ptr().add(c);
                    lo[r] = _mm256_add_ps(lo[r], _mm256_mul_ps(u0, _mm256_loadu_ps(yp)));
                    hi[r] = _mm256_add_ps(hi[r], _mm256_mul_ps(u1, _mm256_loadu_ps(yp.add(8))));
                }
            }
        }
        for r in 0..R {
            let mut lanes = [0.0f32; 16];
            // SAFETY: 2 x 8 lanes into a 16-float array
            unsafe {
                _mm256_storeu_ps(lanes.as_mut_ptr(), lo[r]);
                _mm256_storeu_ps(lanes.as_mut_ptr().add(8), hi[r]);
            }
            out[r] = finish(lanes, x, ys[r]);
        }
    }
    /// Runs `group` over the rows of A and groups of four (then single) rows of B.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn grouped(
        a: &[f32],
        ra: usize,
        b: &[f32],
        rb: usize,
        n: usize,
        out: &mut [f32],
        four: impl Fn(&[f32], [&[f32]; 4], &mut [f32]),
        one: impl Fn(&[f32], [&[f32]; 1], &mut [f32]),
    ) {
        for i in 0..ra {
            let (x, o) = (row(a, n, i), &mut out[i * rb..(i + 1) * rb]);
            let mut j = 0;
            while j + 4 <= rb {
                let ys = [
                    row(b, n, j),
                    row(b, n, j + 1),
                    row(b, n, j + 2),
                    row(b, n, j + 3),
                ];
                four(x, ys, &mut o[j..j + 4]);
                j += 4;
            }
            for j in j..rb {
                one(x, [row(b, n, j)], &mut o[j..j + 1]);
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn wide(a: &[f32], ra: usize, b: &[f32], rb: usize, n: usize, out: &mut [f32]) {
        // SAFETY (both closures): this function runs only where AVX-512 was detected
        grouped(
            a,
            ra,
            b,
            rb,
            n,
            out,
            |x, y, o| unsafe { wide_group(x, y, o) },
            |x, y, o| unsafe { wide_group(x, y, o) },
        )
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn half(a: &[f32], ra: usize, b: &[f32], rb: usize, n: usize, out: &mut [f32]) {
        // SAFETY (both closures): this function runs only where AVX2 was detected
        grouped(
            a,
            ra,
            b,
            rb,
            n,
            out,
            |x, y, o| unsafe { half_group(x, y, o) },
            |x, y, o| unsafe { half_group(x, y, o) },
        )
    }
    assert!(a.len() >= ra * n && b.len() >= rb * n && out.len() >= ra * rb);
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time (isa()); the slices are indexed
        // with bounds checks.
        Isa::Avx512 => return unsafe { wide(a, ra, b, rb, n, out) },
        Isa::Avx2 => return unsafe { half(a, ra, b, rb, n, out) },
        Isa::Portable => {}
    }
    let _ = isa;
    body(a, ra, b, rb, n, out)
}

/// Scratch space of [`spmm_grouped`].
pub(crate) struct GroupScratch {
    pos: Vec<u32>,
    union: Vec<u32>,
    uoff: Vec<usize>,
    a: Vec<f32>,
    aoff: Vec<usize>,
}

impl GroupScratch {
    pub fn new(dim: usize) -> Self {
        GroupScratch {
            pos: vec![u32::MAX; dim],
            union: Vec::new(),
            uoff: Vec::new(),
            a: Vec::new(),
            aoff: Vec::new(),
        }
    }
}

impl GroupScratch {
    /// Cuts `rows` into groups of `mr` and, per group, gathers the union of its nonzero pixels
    /// (ascending; `union[uoff[g]..uoff[g + 1]]`) and a dense block of its values packed
    /// pixel-major (the group's values of one pixel adjacent; from `a[aoff[g]..]`), zeros where
    /// a row lacks a pixel of the union.
    fn prepare(&mut self, rows: &[usize], ptr: &[usize], idx: &[u32], val: &[f32], mr: usize) {
        let g = self;
        let dim = g.pos.len();
        g.union.clear();
        g.uoff.clear();
        g.a.clear();
        g.aoff.clear();
        for grp in rows.chunks(mr) {
            for &r in grp {
                for &k in &idx[ptr[r]..ptr[r + 1]] {
                    g.pos[k as usize] = 0;
                }
            }
            let u0 = g.union.len();
            for k in 0..dim {
                if g.pos[k] == 0 {
                    g.pos[k] = (g.union.len() - u0) as u32;
                    g.union.push(k as u32);
                }
            }
            let u = g.union.len() - u0;
            let a0 = g.a.len();
            g.a.resize(a0 + grp.len() * u, 0.0);
            let gl = grp.len();
            for (t, &r) in grp.iter().enumerate() {
                for q in ptr[r]..ptr[r + 1] {
                    g.a[a0 + g.pos[idx[q] as usize] as usize * gl + t] = val[q];
                }
            }
            for &k in &g.union[u0..] {
                g.pos[k as usize] = u32::MAX;
            }
            g.uoff.push(u0);
            g.aoff.push(a0);
        }
        g.uoff.push(g.union.len());
    }
}

/// Same result as [`spmm`] (bit for bit on the SIMD paths), computed in groups of rows that share
/// each loaded row of `W` (faster when many rows are processed together).
#[allow(clippy::too_many_arguments)]
pub(crate) fn spmm_grouped(
    isa: Isa,
    rows: &[usize],
    ptr: &[usize],
    idx: &[u32],
    val: &[f32],
    w: &[f32],
    n: usize,
    bias: &[f32],
    c: &mut [f32],
    ldc: usize,
    g: &mut GroupScratch,
) {
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Portable {
        assert!(bias.len() >= n && c.len() >= rows.len().saturating_sub(1) * ldc + n);
        assert!(val.len() >= idx.len());
        if let Some(k) = max_index(isa, rows, ptr, idx) {
            assert!((k as usize) < g.pos.len() && (k as usize + 1) * n <= w.len());
        }
        // SAFETY (both): the path was detected at run time; indices and output size checked
        // above.
        match isa {
            Isa::Avx512 => unsafe {
                avx512::spmm_grouped(rows, ptr, idx, val, w, n, bias, c, ldc, g)
            },
            _ => unsafe { avx2::spmm_grouped(rows, ptr, idx, val, w, n, bias, c, ldc, g) },
        }
        return;
    }
    let _ = g;
    spmm(isa, rows, ptr, idx, val, w, n, bias, c, ldc)
}

/// Defines an elementwise kernel three times: portable, and compiled with AVX-512 or AVX2 enabled
/// so LLVM vectorizes it with wide registers. All do the same IEEE operations (no FMA
/// contraction in Rust), so results are identical whichever runs.
macro_rules! elementwise {
    ($(#[$m:meta])* $name:ident ($($arg:ident : $ty:ty),*) $body:block) => {
        $(#[$m])*
        pub(crate) fn $name(isa: Isa, $($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            unsafe fn wide($($arg: $ty),*) { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn half($($arg: $ty),*) { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            match isa {
                // SAFETY (both): the path was detected at run time (isa()).
                Isa::Avx512 => return unsafe { wide($($arg),*) },
                Isa::Avx2 => return unsafe { half($($arg),*) },
                Isa::Portable => {}
            }
            let _ = isa;
            body($($arg),*)
        }
    };
}

elementwise! {
    /// `x <- max(x, 0)` (ReLU; like `f32::max`, a NaN becomes 0).
    relu(x: &mut [f32]) {
        for v in x.iter_mut() {
            *v = v.max(0.0);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::*;

    #[inline(always)]
    fn mask(rem: usize) -> __mmask16 {
        if rem >= 16 {
            0xffff
        } else {
            ((1u32 << rem) - 1) as __mmask16
        }
    }

    /// Micro-kernel: `MR` rows x 32 columns (two masked vectors).
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn kern<const MR: usize, const IND: bool, const INDC: bool, const UPD: bool>(
        k: usize,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        bidx: *const u32,
        init: *const f32,
        c: *mut f32,
        ldc: usize,
        cidx: *const u32,
        lr: f32,
        m0: __mmask16,
        m1: __mmask16,
    ) {
        let (i0, i1) = if init.is_null() {
            (_mm512_setzero_ps(), _mm512_setzero_ps())
        } else {
            (
                _mm512_maskz_loadu_ps(m0, init),
                _mm512_maskz_loadu_ps(m1, init.wrapping_add(16)),
            )
        };
        let mut acc = [[i0, i1]; MR];
        for p in 0..k {
            let row = if IND {
                *bidx.wrapping_add(p) as usize
            } else {
                p
            };
            let bp = b.wrapping_add(row * ldb);
            let b0 = _mm512_maskz_loadu_ps(m0, bp);
            let b1 = _mm512_maskz_loadu_ps(m1, bp.wrapping_add(16));
            let ap = a.wrapping_add(p * csa);
            for (r, ac) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.wrapping_add(r * rsa));
                ac[0] = _mm512_fmadd_ps(av, b0, ac[0]);
                ac[1] = _mm512_fmadd_ps(av, b1, ac[1]);
            }
        }
        for (r, ac) in acc.iter().enumerate() {
            let row = if INDC {
                *cidx.wrapping_add(r) as usize
            } else {
                r
            };
            let cp = c.wrapping_add(row * ldc);
            if UPD {
                // SGD fused into the gradient: C <- C - lr * acc (same IEEE ops as unfused)
                let l = _mm512_set1_ps(lr);
                let c0 = _mm512_maskz_loadu_ps(m0, cp);
                let c1 = _mm512_maskz_loadu_ps(m1, cp.wrapping_add(16));
                let u0 = _mm512_sub_ps(c0, _mm512_mul_ps(l, ac[0]));
                let u1 = _mm512_sub_ps(c1, _mm512_mul_ps(l, ac[1]));
                _mm512_mask_storeu_ps(cp, m0, u0);
                _mm512_mask_storeu_ps(cp.wrapping_add(16), m1, u1);
            } else {
                _mm512_mask_storeu_ps(cp, m0, ac[0]);
                _mm512_mask_storeu_ps(cp.wrapping_add(16), m1, ac[1]);
            }
        }
    }

    const MR: usize = 12;

    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm(
        m: usize,
        n: usize,
        k: usize,
        a: MatRef,
        b: &[f32],
        ldb: usize,
        init: Option<&[f32]>,
        c: &mut [f32],
        ldc: usize,
        upd: Option<f32>,
    ) {
        let ap = a.data.as_ptr();
        let bp = b.as_ptr();
        let cp = c.as_mut_ptr();
        let mut j = 0;
        while j < n {
            let m0 = mask(n - j);
            let m1 = mask((n - j).saturating_sub(16));
            let ip = init.map_or(std::ptr::null(), |v| v.as_ptr().wrapping_add(j));
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let (a0, c0) = (ap.wrapping_add(i * a.rs), cp.wrapping_add(i * ldc + j));
                let b0 = bp.wrapping_add(j);
                let z = std::ptr::null();
                macro_rules! go {
                    ($u:literal, $lr:expr; $($r:literal)*) => {
                        match mr {
                            $($r => kern::<$r, false, false, $u>(k, a0, a.rs, a.cs, b0, ldb, z, ip, c0, ldc, z, $lr, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                match upd {
                    Some(lr) => go!(true, lr; 1 2 3 4 5 6 7 8 9 10 11 12),
                    None => go!(false, 0.0; 1 2 3 4 5 6 7 8 9 10 11 12),
                }
                i += mr;
            }
            j += 32;
        }
    }

    /// Sparse rows in groups of up to 12: each group's nonzero pixels (union, ascending) are
    /// gathered into a small dense block and multiplied with the matching rows of `W` by the
    /// GEMM micro-kernel, so each loaded row of `W` serves 12 samples. All groups are prepared
    /// first, then each 32-column panel of `W` is used by every group while it is in cache. The
    /// sum runs over the union in ascending pixel order and the extra terms are exact zeros, so
    /// the result equals the one-row-at-a-time kernel bit for bit.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn spmm_grouped(
        rows: &[usize],
        ptr: &[usize],
        idx: &[u32],
        val: &[f32],
        w: &[f32],
        n: usize,
        bias: &[f32],
        c: &mut [f32],
        ldc: usize,
        g: &mut GroupScratch,
    ) {
        g.prepare(rows, ptr, idx, val, MR);
        let (bp, cp) = (w.as_ptr(), c.as_mut_ptr());
        let mut j = 0;
        while j < n {
            let m0 = mask(n - j);
            let m1 = mask((n - j).saturating_sub(16));
            let b0 = bp.wrapping_add(j);
            let init = bias.as_ptr().wrapping_add(j);
            for (gi, grp) in rows.chunks(MR).enumerate() {
                let (u0, u) = (g.uoff[gi], g.uoff[gi + 1] - g.uoff[gi]);
                let ap = g.a.as_ptr().wrapping_add(g.aoff[gi]);
                let ip = g.union.as_ptr().wrapping_add(u0);
                let c0 = cp.wrapping_add(gi * MR * ldc + j);
                let z = std::ptr::null();
                macro_rules! go {
                    ($($r:literal)*) => {
                        match grp.len() {
                            $($r => kern::<$r, true, false, false>(u, ap, 1, $r, b0, n, ip, init, c0, ldc, z, 0.0, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                go!(1 2 3 4 5 6 7 8 9 10 11 12);
            }
            j += 32;
        }
    }

    /// `C[crow[i], j] = sum_p A[i, p] * B[p, j]` (output rows scattered by `crow`).
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_rows(
        n: usize,
        k: usize,
        a: MatRef,
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
        crow: &[u32],
        upd: Option<f32>,
    ) {
        let m = crow.len();
        let (ap, bp, cp) = (a.data.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let mut j = 0;
        while j < n {
            let m0 = mask(n - j);
            let m1 = mask((n - j).saturating_sub(16));
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let a0 = ap.wrapping_add(i * a.rs);
                let (b0, c0) = (bp.wrapping_add(j), cp.wrapping_add(j));
                let ci = crow.as_ptr().wrapping_add(i);
                let (z, zf) = (std::ptr::null::<u32>(), std::ptr::null::<f32>());
                macro_rules! go {
                    ($u:literal, $lr:expr; $($r:literal)*) => {
                        match mr {
                            $($r => kern::<$r, false, true, $u>(k, a0, a.rs, a.cs, b0, ldb, z, zf, c0, ldc, ci, $lr, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                match upd {
                    Some(lr) => go!(true, lr; 1 2 3 4 5 6 7 8 9 10 11 12),
                    None => go!(false, 0.0; 1 2 3 4 5 6 7 8 9 10 11 12),
                }
                i += mr;
            }
            j += 32;
        }
    }

    const NV: usize = 8; // vectors per column chunk of the sparse kernel (128 columns)

    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn spmm(
        rows: &[usize],
        ptr: &[usize],
        idx: &[u32],
        val: &[f32],
        w: &[f32],
        n: usize,
        bias: &[f32],
        c: &mut [f32],
        ldc: usize,
    ) {
        let wp = w.as_ptr();
        let cp = c.as_mut_ptr();
        let mut j = 0;
        while j < n {
            let mut ms = [0 as __mmask16; NV];
            for (v, mv) in ms.iter_mut().enumerate() {
                *mv = mask((n - j).saturating_sub(16 * v));
            }
            let mut bv = [_mm512_setzero_ps(); NV];
            for v in 0..NV {
                bv[v] = _mm512_maskz_loadu_ps(ms[v], bias.as_ptr().wrapping_add(j + 16 * v));
            }
            for (t, &r) in rows.iter().enumerate() {
                let mut acc = bv;
                let (s, e) = (ptr[r], ptr[r + 1]);
                for q in s..e {
                    let k = *idx.get_unchecked(q) as usize;
                    let x = _mm512_set1_ps(*val.get_unchecked(q));
                    let wr = wp.wrapping_add(k * n + j);
                    for v in 0..NV {
                        let wv = _mm512_maskz_loadu_ps(ms[v], wr.wrapping_add(16 * v));
                        acc[v] = _mm512_fmadd_ps(x, wv, acc[v]);
                    }
                }
                let out = cp.wrapping_add(t * ldc + j);
                for v in 0..NV {
                    _mm512_mask_storeu_ps(out.wrapping_add(16 * v), ms[v], acc[v]);
                }
            }
            j += 16 * NV;
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn dots<const MB: usize>(
        n_in: usize,
        n_out: usize,
        d: *const f32,
        w: *const f32,
        act: *const f32,
        out: *mut f32,
    ) {
        for q in 0..n_in {
            let mut any = false;
            for i in 0..MB {
                any |= *act.wrapping_add(i * n_in + q) > 0.0;
            }
            if !any {
                for i in 0..MB {
                    *out.wrapping_add(i * n_in + q) = 0.0;
                }
                continue;
            }
            let mut acc = [_mm512_setzero_ps(); MB];
            let wr = w.wrapping_add(q * n_out);
            let mut j = 0;
            while j < n_out {
                let mk = mask(n_out - j);
                let wv = _mm512_maskz_loadu_ps(mk, wr.wrapping_add(j));
                for (i, a) in acc.iter_mut().enumerate() {
                    let dv = _mm512_maskz_loadu_ps(mk, d.wrapping_add(i * n_out + j));
                    *a = _mm512_fmadd_ps(dv, wv, *a);
                }
                j += 16;
            }
            for (i, a) in acc.iter().enumerate() {
                *out.wrapping_add(i * n_in + q) = if *act.wrapping_add(i * n_in + q) > 0.0 {
                    _mm512_reduce_add_ps(*a)
                } else {
                    0.0
                };
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn backprop_input(
        m: usize,
        n_in: usize,
        n_out: usize,
        d: &[f32],
        w: &[f32],
        act: &[f32],
        out: &mut [f32],
    ) {
        const MB: usize = 8;
        let mut i = 0;
        while i < m {
            let mb = (m - i).min(MB);
            let (dp, ap, op) = (
                d.as_ptr().wrapping_add(i * n_out),
                act.as_ptr().wrapping_add(i * n_in),
                out.as_mut_ptr().wrapping_add(i * n_in),
            );
            macro_rules! go {
                ($($r:literal)*) => {
                    match mb {
                        $($r => dots::<$r>(n_in, n_out, dp, w.as_ptr(), ap, op),)*
                        _ => unreachable!(),
                    }
                };
            }
            go!(1 2 3 4 5 6 7 8);
            i += mb;
        }
    }
}

/// The AVX2 + FMA kernels: the AVX-512 ones with 8-lane registers. Every output element is the
/// same chain of fused multiply-adds in the same order as there (tiles are narrower, which does
/// not change any element's chain), and `dots` keeps 16 lanes in two registers and sums them
/// with AVX-512's reduction tree, so results equal the AVX-512 path's bit for bit.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    /// Lane mask of the first `rem` (capped at 8) lanes, and whether all 8 are on.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn lanes(rem: usize) -> (__m256i, bool) {
        let r = rem.min(8) as i32;
        let m = _mm256_cmpgt_epi32(
            _mm256_set1_epi32(r),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        );
        (m, rem >= 8)
    }

    /// Loads 8 lanes at `p` (masked lanes read as 0 and are not accessed).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn load(p: *const f32, m: (__m256i, bool)) -> __m256 {
        if m.1 {
            _mm256_loadu_ps(p)
        } else {
            _mm256_maskload_ps(p, m.0)
        }
    }

    /// Stores the unmasked lanes of `v` at `p`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn store(p: *mut f32, m: (__m256i, bool), v: __m256) {
        if m.1 {
            _mm256_storeu_ps(p, v)
        } else {
            _mm256_maskstore_ps(p, m.0, v)
        }
    }

    type Mask = (__m256i, bool);

    /// Micro-kernel: `MR` rows x 16 columns (two masked vectors); see the AVX-512 `kern`.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn kern<const MR: usize, const IND: bool, const INDC: bool, const UPD: bool>(
        k: usize,
        a: *const f32,
        rsa: usize,
        csa: usize,
        b: *const f32,
        ldb: usize,
        bidx: *const u32,
        init: *const f32,
        c: *mut f32,
        ldc: usize,
        cidx: *const u32,
        lr: f32,
        m0: Mask,
        m1: Mask,
    ) {
        let (i0, i1) = if init.is_null() {
            (_mm256_setzero_ps(), _mm256_setzero_ps())
        } else {
            (load(init, m0), load(init.wrapping_add(8), m1))
        };
        let mut acc = [[i0, i1]; MR];
        for p in 0..k {
            let row = if IND {
                *bidx.wrapping_add(p) as usize
            } else {
                p
            };
            let bp = b.wrapping_add(row * ldb);
            let b0 = load(bp, m0);
            let b1 = load(bp.wrapping_add(8), m1);
            let ap = a.wrapping_add(p * csa);
            for (r, ac) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*ap.wrapping_add(r * rsa));
                ac[0] = _mm256_fmadd_ps(av, b0, ac[0]);
                ac[1] = _mm256_fmadd_ps(av, b1, ac[1]);
            }
        }
        for (r, ac) in acc.iter().enumerate() {
            let row = if INDC {
                *cidx.wrapping_add(r) as usize
            } else {
                r
            };
            let cp = c.wrapping_add(row * ldc);
            if UPD {
                // SGD fused into the gradient: C <- C - lr * acc (same IEEE ops as unfused)
                let l = _mm256_set1_ps(lr);
                let u0 = _mm256_sub_ps(load(cp, m0), _mm256_mul_ps(l, ac[0]));
                let u1 = _mm256_sub_ps(load(cp.wrapping_add(8), m1), _mm256_mul_ps(l, ac[1]));
                store(cp, m0, u0);
                store(cp.wrapping_add(8), m1, u1);
            } else {
                store(cp, m0, ac[0]);
                store(cp.wrapping_add(8), m1, ac[1]);
            }
        }
    }

    /// Rows per micro-kernel tile: 6 x 2 accumulators, two B vectors and a broadcast fit the 16
    /// registers.
    const MR: usize = 6;
    /// Columns per tile.
    const NR: usize = 16;

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm(
        m: usize,
        n: usize,
        k: usize,
        a: MatRef,
        b: &[f32],
        ldb: usize,
        init: Option<&[f32]>,
        c: &mut [f32],
        ldc: usize,
        upd: Option<f32>,
    ) {
        let ap = a.data.as_ptr();
        let bp = b.as_ptr();
        let cp = c.as_mut_ptr();
        let mut j = 0;
        while j < n {
            let (m0, m1) = (lanes(n - j), lanes((n - j).saturating_sub(8)));
            let ip = init.map_or(std::ptr::null(), |v| v.as_ptr().wrapping_add(j));
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let (a0, c0) = (ap.wrapping_add(i * a.rs), cp.wrapping_add(i * ldc + j));
                let b0 = bp.wrapping_add(j);
                let z = std::ptr::null();
                macro_rules! go {
                    ($u:literal, $lr:expr; $($r:literal)*) => {
                        match mr {
                            $($r => kern::<$r, false, false, $u>(k, a0, a.rs, a.cs, b0, ldb, z, ip, c0, ldc, z, $lr, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                match upd {
                    Some(lr) => go!(true, lr; 1 2 3 4 5 6),
                    None => go!(false, 0.0; 1 2 3 4 5 6),
                }
                i += mr;
            }
            j += NR;
        }
    }

    /// Sparse rows in groups of 6 sharing each loaded row of `W` (see the AVX-512 version; the
    /// grouping differs, the sums do not: each runs over its row's union in ascending pixel
    /// order and the extra terms are exact zeros).
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn spmm_grouped(
        rows: &[usize],
        ptr: &[usize],
        idx: &[u32],
        val: &[f32],
        w: &[f32],
        n: usize,
        bias: &[f32],
        c: &mut [f32],
        ldc: usize,
        g: &mut GroupScratch,
    ) {
        g.prepare(rows, ptr, idx, val, MR);
        let (bp, cp) = (w.as_ptr(), c.as_mut_ptr());
        let mut j = 0;
        while j < n {
            let (m0, m1) = (lanes(n - j), lanes((n - j).saturating_sub(8)));
            let b0 = bp.wrapping_add(j);
            let init = bias.as_ptr().wrapping_add(j);
            for (gi, grp) in rows.chunks(MR).enumerate() {
                let (u0, u) = (g.uoff[gi], g.uoff[gi + 1] - g.uoff[gi]);
                let ap = g.a.as_ptr().wrapping_add(g.aoff[gi]);
                let ip = g.union.as_ptr().wrapping_add(u0);
                let c0 = cp.wrapping_add(gi * MR * ldc + j);
                let z = std::ptr::null();
                macro_rules! go {
                    ($($r:literal)*) => {
                        match grp.len() {
                            $($r => kern::<$r, true, false, false>(u, ap, 1, $r, b0, n, ip, init, c0, ldc, z, 0.0, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                go!(1 2 3 4 5 6);
            }
            j += NR;
        }
    }

    /// `C[crow[i], j] = sum_p A[i, p] * B[p, j]` (output rows scattered by `crow`).
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_rows(
        n: usize,
        k: usize,
        a: MatRef,
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
        crow: &[u32],
        upd: Option<f32>,
    ) {
        let m = crow.len();
        let (ap, bp, cp) = (a.data.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let mut j = 0;
        while j < n {
            let (m0, m1) = (lanes(n - j), lanes((n - j).saturating_sub(8)));
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let a0 = ap.wrapping_add(i * a.rs);
                let (b0, c0) = (bp.wrapping_add(j), cp.wrapping_add(j));
                let ci = crow.as_ptr().wrapping_add(i);
                let (z, zf) = (std::ptr::null::<u32>(), std::ptr::null::<f32>());
                macro_rules! go {
                    ($u:literal, $lr:expr; $($r:literal)*) => {
                        match mr {
                            $($r => kern::<$r, false, true, $u>(k, a0, a.rs, a.cs, b0, ldb, z, zf, c0, ldc, ci, $lr, m0, m1),)*
                            _ => unreachable!(),
                        }
                    };
                }
                match upd {
                    Some(lr) => go!(true, lr; 1 2 3 4 5 6),
                    None => go!(false, 0.0; 1 2 3 4 5 6),
                }
                i += mr;
            }
            j += NR;
        }
    }

    /// Vectors per column chunk of the row-at-a-time sparse kernel (64 columns).
    const NV: usize = 8;

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn spmm(
        rows: &[usize],
        ptr: &[usize],
        idx: &[u32],
        val: &[f32],
        w: &[f32],
        n: usize,
        bias: &[f32],
        c: &mut [f32],
        ldc: usize,
    ) {
        let wp = w.as_ptr();
        let cp = c.as_mut_ptr();
        let mut j = 0;
        while j < n {
            let mut ms = [lanes(0); NV];
            for (v, mv) in ms.iter_mut().enumerate() {
                *mv = lanes((n - j).saturating_sub(8 * v));
            }
            for (t, &r) in rows.iter().enumerate() {
                let mut acc = [_mm256_setzero_ps(); NV];
                for v in 0..NV {
                    acc[v] = load(bias.as_ptr().wrapping_add(j + 8 * v), ms[v]);
                }
                for q in ptr[r]..ptr[r + 1] {
                    let k = *idx.get_unchecked(q) as usize;
                    let x = _mm256_set1_ps(*val.get_unchecked(q));
                    let wr = wp.wrapping_add(k * n + j);
                    for v in 0..NV {
                        let wv = load(wr.wrapping_add(8 * v), ms[v]);
                        acc[v] = _mm256_fmadd_ps(x, wv, acc[v]);
                    }
                }
                let out = cp.wrapping_add(t * ldc + j);
                for v in 0..NV {
                    store(out.wrapping_add(8 * v), ms[v], acc[v]);
                }
            }
            j += 8 * NV;
        }
    }

    /// The sum of 16 lanes held as `lo` (lanes 0-7) and `hi` (8-15) in the order of AVX-512's
    /// `_mm512_reduce_add_ps` as LLVM emits it (halves added: 8, then 4, then 2, then 1 lanes).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn reduce16(lo: __m256, hi: __m256) -> f32 {
        let s8 = _mm256_add_ps(lo, hi);
        let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
        let s2 = _mm_add_ps(s4, _mm_castpd_ps(_mm_permute_pd::<1>(_mm_castps_pd(s4))));
        _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dots<const MB: usize>(
        n_in: usize,
        n_out: usize,
        d: *const f32,
        w: *const f32,
        act: *const f32,
        out: *mut f32,
    ) {
        for q in 0..n_in {
            let mut any = false;
            for i in 0..MB {
                any |= *act.wrapping_add(i * n_in + q) > 0.0;
            }
            if !any {
                for i in 0..MB {
                    *out.wrapping_add(i * n_in + q) = 0.0;
                }
                continue;
            }
            // 16 lanes per row, as on AVX-512: lanes 0-7 and 8-15 of each 16-column step
            let mut acc = [[_mm256_setzero_ps(); 2]; MB];
            let wr = w.wrapping_add(q * n_out);
            let mut j = 0;
            while j < n_out {
                let (m0, m1) = (lanes(n_out - j), lanes((n_out - j).saturating_sub(8)));
                let w0 = load(wr.wrapping_add(j), m0);
                let w1 = load(wr.wrapping_add(j + 8), m1);
                for (i, a) in acc.iter_mut().enumerate() {
                    let dp = d.wrapping_add(i * n_out + j);
                    a[0] = _mm256_fmadd_ps(load(dp, m0), w0, a[0]);
                    a[1] = _mm256_fmadd_ps(load(dp.wrapping_add(8), m1), w1, a[1]);
                }
                j += 16;
            }
            for (i, a) in acc.iter().enumerate() {
                *out.wrapping_add(i * n_in + q) = if *act.wrapping_add(i * n_in + q) > 0.0 {
                    reduce16(a[0], a[1])
                } else {
                    0.0
                };
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn backprop_input(
        m: usize,
        n_in: usize,
        n_out: usize,
        d: &[f32],
        w: &[f32],
        act: &[f32],
        out: &mut [f32],
    ) {
        // 4 rows x 2 accumulators, two W vectors and a load fit the 16 registers
        const MB: usize = 4;
        let mut i = 0;
        while i < m {
            let mb = (m - i).min(MB);
            let (dp, ap, op) = (
                d.as_ptr().wrapping_add(i * n_out),
                act.as_ptr().wrapping_add(i * n_in),
                out.as_mut_ptr().wrapping_add(i * n_in),
            );
            match mb {
                1 => dots::<1>(n_in, n_out, dp, w.as_ptr(), ap, op),
                2 => dots::<2>(n_in, n_out, dp, w.as_ptr(), ap, op),
                3 => dots::<3>(n_in, n_out, dp, w.as_ptr(), ap, op),
                4 => dots::<4>(n_in, n_out, dp, w.as_ptr(), ap, op),
                _ => unreachable!(),
            }
            i += mb;
        }
    }
}

/// This machine's measured f32 peak in GFLOP/s on `threads` threads: independent chains of fused
/// multiply-adds on AVX-512 registers (16 chains, enough to cover the FMA latency on two ports),
/// or of multiply-adds on plain f32 without AVX-512, run for about `seconds` on each thread at
/// once. The benchmarks report their rates as fractions of it (not of another machine's number).
///
/// ```
/// let p = sam_mnist::kernels::peak_gflops(1, 0.01);
/// assert!(p.is_finite() && p > 0.0);
/// ```
pub fn peak_gflops(threads: usize, seconds: f64) -> f64 {
    let threads = threads.max(1);
    let isa = isa();
    // calibrate: iterations for about `seconds` on one thread
    let mut iters: u64 = 1 << 12;
    loop {
        let t = std::time::Instant::now();
        std::hint::black_box(fma_chains(isa, iters));
        let s = t.elapsed().as_secs_f64();
        if s > 0.02 || iters > 1 << 40 {
            iters = ((iters as f64) * (seconds / s.max(1e-9))).max(1.0) as u64;
            break;
        }
        iters *= 4;
    }
    let barrier = std::sync::Barrier::new(threads + 1);
    let wall = std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                barrier.wait();
                std::hint::black_box(fma_chains(isa, iters));
            });
        }
        barrier.wait();
        std::time::Instant::now()
    });
    let elapsed = wall.elapsed().as_secs_f64();
    let flop_per_iter = match isa {
        Isa::Avx512 => 16.0 * 16.0 * 2.0,
        Isa::Avx2 => 12.0 * 8.0 * 2.0,
        Isa::Portable => 16.0 * 2.0,
    };
    threads as f64 * iters as f64 * flop_per_iter / elapsed / 1e9
}

/// The GFLOP/s of the project's dense GEMM on the evaluation's main shape (a block of 192 rows
/// times the 500 x 300 layer, with its bias row), on `threads` threads at once, each on its own
/// matrices, for about `seconds`: the rate the evaluation pass could reach if nothing else took
/// time (a second yardstick beside [`peak_gflops`]).
///
/// ```
/// let g = sam_mnist::kernels::gemm_gflops(1, 0.01);
/// assert!(g.is_finite() && g > 0.0);
/// ```
pub fn gemm_gflops(threads: usize, seconds: f64) -> f64 {
    let threads = threads.max(1);
    let (m, n, k) = (crate::fast::EVAL_BLOCK, 300, 500);
    let isa = isa();
    let run = |reps: usize| {
        let a: Vec<f32> = (0..m * k).map(|i| ((i % 7) as f32 - 3.0) * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i % 5) as f32 - 2.0) * 0.01).collect();
        let bias = vec![0.1f32; n];
        let mut c = vec![0.0f32; m * n];
        for _ in 0..reps {
            let a = MatRef {
                data: &a,
                rs: k,
                cs: 1,
            };
            gemm(isa, m, n, k, a, &b, n, Some(&bias), &mut c, n, None);
            std::hint::black_box(&mut c);
        }
    };
    // calibrate on one thread
    let mut reps = 4;
    let per = loop {
        let t = std::time::Instant::now();
        run(reps);
        let s = t.elapsed().as_secs_f64();
        if s > 0.02 || reps > 1 << 24 {
            break s / reps as f64;
        }
        reps *= 4;
    };
    let reps = ((seconds / per.max(1e-12)) as usize).max(1);
    let barrier = std::sync::Barrier::new(threads + 1);
    let start = std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                barrier.wait();
                run(reps);
            });
        }
        barrier.wait();
        std::time::Instant::now()
    });
    let elapsed = start.elapsed().as_secs_f64();
    threads as f64 * reps as f64 * 2.0 * (m * n * k) as f64 / elapsed / 1e9
}

/// `iters` rounds of independent multiply-add chains (16 AVX-512 registers, 12 AVX2 ones, or 16
/// plain f32); returns their sum (so nothing is optimised away).
fn fma_chains(isa: Isa, iters: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY (both): the path was detected at run time (isa()).
        Isa::Avx512 => return unsafe { fma_chains_avx512(iters) },
        Isa::Avx2 => return unsafe { fma_chains_avx2(iters) },
        Isa::Portable => {}
    }
    let _ = isa;
    let (a, b) = (
        std::hint::black_box(0.999_999f32),
        std::hint::black_box(1e-7f32),
    );
    let mut r = [1.0f32; 16];
    for _ in 0..iters {
        for x in r.iter_mut() {
            *x = *x * a + b;
        }
    }
    r.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_chains_avx512(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm512_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm512_set1_ps(std::hint::black_box(1e-7));
    let mut r = [_mm512_set1_ps(1.0); 16];
    for _ in 0..iters {
        for x in r.iter_mut() {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let mut s = _mm512_setzero_ps();
    for x in r {
        s = _mm512_add_ps(s, x);
    }
    _mm512_reduce_add_ps(s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_chains_avx2(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm256_set1_ps(std::hint::black_box(0.999_999));
    let b = _mm256_set1_ps(std::hint::black_box(1e-7));
    // 12 chains cover 2 FMA ports x a latency of up to 6 cycles, and with a and b fit the 16
    // registers
    let mut r = [_mm256_set1_ps(1.0); 12];
    for _ in 0..iters {
        for x in r.iter_mut() {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut s = _mm256_setzero_ps();
    for x in r {
        s = _mm256_add_ps(s, x);
    }
    let mut out = [0.0f32; 8];
    _mm256_storeu_ps(out.as_mut_ptr(), s);
    out.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn rnd(n: usize, seed: u64, zeros: f64) -> Vec<f32> {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                if r.random_bool(zeros) {
                    0.0
                } else {
                    r.random_range(-1.0f32..1.0)
                }
            })
            .collect()
    }

    /// The portable path and every SIMD path this CPU runs (AVX2 also where AVX-512 is used).
    fn modes() -> Vec<Isa> {
        match isa() {
            Isa::Avx512 => vec![Isa::Portable, Isa::Avx2, Isa::Avx512],
            Isa::Avx2 => vec![Isa::Portable, Isa::Avx2],
            Isa::Portable => vec![Isa::Portable],
        }
    }

    /// The row dot products against f64 sums, and bit-identical on every path.
    #[test]
    fn row_dots_match_f64_sums_and_agree_across_paths() {
        for &(ra, rb, n) in &[(1, 1, 1), (3, 2, 15), (10, 10, 500), (2, 5, 33), (1, 4, 0)] {
            let a = rnd(ra * n, 1, 0.3);
            let b = rnd(rb * n, 2, 0.3);
            let mut first: Option<Vec<f32>> = None;
            for isa in modes() {
                let mut out = vec![f32::NAN; ra * rb];
                row_dots(isa, &a, ra, &b, rb, n, &mut out);
                for i in 0..ra {
                    for j in 0..rb {
                        let want: f64 = (0..n)
                            .map(|p| a[i * n + p] as f64 * b[j * n + p] as f64)
                            .sum();
                        let got = out[i * rb + j] as f64;
                        assert!(
                            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "{got} {want}"
                        );
                    }
                }
                match &first {
                    None => first = Some(out),
                    Some(f) => assert_eq!(
                        f.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        "{}",
                        isa.name()
                    ),
                }
            }
        }
    }

    #[test]
    fn gemm_matches_naive_for_all_shapes_and_strides() {
        for isa in modes() {
            for &(m, n, k) in &[
                (1, 1, 1),
                (13, 33, 7),
                (10, 300, 500),
                (25, 10, 3),
                (3, 47, 0),
            ] {
                for trans in [false, true] {
                    let a = rnd(m * k + 1, 1, 0.3);
                    let b = rnd(k * n + 5, 2, 0.0);
                    let bias = rnd(n, 3, 0.0);
                    let (rs, cs) = if trans { (1, m) } else { (k, 1) };
                    let mut c = vec![f32::NAN; m * (n + 2)];
                    let amat = MatRef { data: &a, rs, cs };
                    gemm(isa, m, n, k, amat, &b, n, Some(&bias), &mut c, n + 2, None);
                    for i in 0..m {
                        for j in 0..n {
                            let mut s = bias[j] as f64;
                            for p in 0..k {
                                s += a[i * rs + p * cs] as f64 * b[p * n + j] as f64;
                            }
                            let got = c[i * (n + 2) + j] as f64;
                            assert!(
                                (got - s).abs() < 1e-4 * (1.0 + s.abs()),
                                "{isa:?} {m}x{n}x{k}"
                            );
                        }
                        assert!(c[i * (n + 2) + n].is_nan(), "wrote past n");
                    }
                }
            }
        }
    }

    #[test]
    fn spmm_and_backprop_input_match_naive() {
        for isa in modes() {
            let (rows_n, n_in, n) = (7, 50, 141);
            let x = rnd(rows_n * n_in, 4, 0.8);
            let s = crate::model::Samples::new(x.clone(), vec![0; rows_n], n_in).unwrap();
            let w = rnd(n_in * n, 5, 0.0);
            let bias = rnd(n, 6, 0.0);
            let rows = [3usize, 0, 6];
            let mut c = vec![0.0; rows.len() * n];
            spmm(
                isa, &rows, &s.csr.ptr, &s.csr.idx, &s.csr.val, &w, n, &bias, &mut c, n,
            );
            for (t, &r) in rows.iter().enumerate() {
                for j in 0..n {
                    let mut e = bias[j] as f64;
                    for k in 0..n_in {
                        e += x[r * n_in + k] as f64 * w[k * n + j] as f64;
                    }
                    assert!((c[t * n + j] as f64 - e).abs() < 1e-4 * (1.0 + e.abs()));
                }
            }
            // backprop_input with m = 11 (crosses the 8-row block)
            let (m, n_out) = (11, 37);
            let d = rnd(m * n_out, 7, 0.0);
            let w2 = rnd(n * n_out, 8, 0.0);
            let act = rnd(m * n, 9, 0.5)
                .iter()
                .map(|v| v.max(0.0))
                .collect::<Vec<_>>();
            let mut out = vec![f32::NAN; m * n];
            backprop_input(isa, m, n, n_out, &d, &w2, &act, &mut out);
            for i in 0..m {
                for q in 0..n {
                    let e: f64 = if act[i * n + q] > 0.0 {
                        (0..n_out)
                            .map(|j| d[i * n_out + j] as f64 * w2[q * n_out + j] as f64)
                            .sum()
                    } else {
                        0.0
                    };
                    assert!((out[i * n + q] as f64 - e).abs() < 1e-4 * (1.0 + e.abs()));
                }
            }
            // scattered-row GEMM: rows 5, 0, 2 of a 6-row output
            let crow = [5u32, 0, 2];
            let xa = rnd(4 * 3, 10, 0.3);
            let bb = rnd(4 * 37, 11, 0.0);
            let mut cc = vec![7.0f32; 6 * 37];
            let at = MatRef {
                data: &xa,
                rs: 1,
                cs: 3,
            };
            gemm_rows(isa, 37, 4, at, &bb, 37, &mut cc, 37, &crow, None);
            for (i, &r) in crow.iter().enumerate() {
                for j in 0..37 {
                    let e: f64 = (0..4)
                        .map(|p| xa[p * 3 + i] as f64 * bb[p * 37 + j] as f64)
                        .sum();
                    assert!((cc[r as usize * 37 + j] as f64 - e).abs() < 1e-5);
                }
            }
            assert!(cc[37..74].iter().all(|&v| v == 7.0), "untouched rows stay");
        }
    }

    /// The two SIMD paths give the same bits (AVX2 emulates AVX-512's lanes and reduction
    /// order). Runs where both are available; on AVX2-only machines the optimizer fixture checks
    /// the same against checksums written on an AVX-512 machine.
    #[test]
    fn avx2_and_avx512_kernels_agree_bit_for_bit() {
        if !modes().contains(&Isa::Avx512) {
            eprintln!("no AVX-512 here: the optimizer fixture checks the AVX2 path instead");
            return;
        }
        let (m, n, k) = (23, 77, 41);
        let a = rnd(m * k, 21, 0.3);
        let b = rnd(k * n, 22, 0.0);
        let bias = rnd(n, 23, 0.0);
        let run = |isa| {
            let mut c = vec![0.0f32; m * n];
            let am = MatRef {
                data: &a,
                rs: k,
                cs: 1,
            };
            gemm(isa, m, n, k, am, &b, n, Some(&bias), &mut c, n, Some(0.1));
            let d = rnd(m * n, 24, 0.0);
            let act = rnd(m * k, 25, 0.5);
            let mut o = vec![0.0f32; m * k];
            backprop_input(isa, m, k, n, &d, &b, &act, &mut o);
            let x = rnd(m * k, 26, 0.8);
            let s = crate::model::Samples::new(x, vec![0; m], k).unwrap();
            let rows: Vec<usize> = (0..m).rev().collect();
            let mut sp = vec![0.0f32; m * n];
            let mut g = GroupScratch::new(k);
            spmm_grouped(
                isa, &rows, &s.csr.ptr, &s.csr.idx, &s.csr.val, &b, n, &bias, &mut sp, n, &mut g,
            );
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (bits(&c), bits(&o), bits(&sp))
        };
        assert_eq!(run(Isa::Avx2), run(Isa::Avx512));
    }
}
