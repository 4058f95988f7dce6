//! The elementwise kernels every update rule is made of, generic over [`Float`]. Each is
//! compiled three times: portable, and with AVX-512 or AVX2 enabled so that LLVM vectorizes it
//! with 512- or 256-bit registers (chosen at run time, [`isa`]). All three do the same IEEE
//! operations in the same order (Rust does not contract `a * b + c` into an FMA), so results
//! are identical whichever runs; a test checks it.

use crate::Float;

/// Which compiled version of the hot kernels runs on this machine. The AVX-512 and AVX2 versions
/// of a kernel do the same IEEE operations on every element in the same order (the MNIST GEMMs'
/// fused multiply-adds included), so they give bit-identical results; the portable version has
/// no FMA (a multiply and an add), so where FMAs are used its results differ by rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isa {
    /// AVX-512F (512-bit registers, mask registers).
    Avx512,
    /// AVX2 with FMA (256-bit registers).
    Avx2,
    /// Plain Rust: SSE2 on x86-64, whatever the target offers elsewhere; no FMA.
    Portable,
}

impl Isa {
    /// `avx512`, `avx2` or `portable` (as recorded in result files).
    ///
    /// ```
    /// assert_eq!(sam_optim::kernels::Isa::Avx2.name(), "avx2");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    /// Whether the MNIST GEMMs use fused multiply-adds on this path (AVX-512 and AVX2 do, with
    /// identical results; the portable path does not).
    ///
    /// ```
    /// assert!(sam_optim::kernels::Isa::Avx2.fused() && !sam_optim::kernels::Isa::Portable.fused());
    /// ```
    pub fn fused(self) -> bool {
        self != Isa::Portable
    }
}

/// The kernel path of this process, decided once: AVX-512F if the CPU has it, else AVX2 + FMA if
/// it has both, else portable. `SAM_NO_SIMD` (or `SAM_MNIST_NO_SIMD`) set forces the portable
/// path; `SAM_NO_AVX512` set skips AVX-512 (to compare the two SIMD paths on one machine).
///
/// ```
/// assert_eq!(sam_optim::kernels::isa(), sam_optim::kernels::isa());
/// ```
pub fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *ON.get_or_init(|| {
            let var = |k: &str| std::env::var_os(k).is_some();
            if var("SAM_NO_SIMD") || var("SAM_MNIST_NO_SIMD") {
                Isa::Portable
            } else if !var("SAM_NO_AVX512") && is_x86_feature_detected!("avx512f") {
                Isa::Avx512
            } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                Isa::Avx2
            } else {
                Isa::Portable
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Isa::Portable
    }
}

/// Defines a generic elementwise kernel with a portable body, compiled also with AVX-512 and with
/// AVX2 enabled (LLVM vectorizes each with that width; the operations are the same).
macro_rules! elementwise {
    ($(#[$m:meta])* $name:ident ($($arg:ident : $ty:ty),*) $body:block) => {
        $(#[$m])*
        pub fn $name<T: Float>($($arg: $ty),*) {
            #[inline(always)]
            fn body<T: Float>($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            unsafe fn wide<T: Float>($($arg: $ty),*) { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn half<T: Float>($($arg: $ty),*) { body($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            match isa() {
                // SAFETY: AVX-512F was detected at run time (isa).
                Isa::Avx512 => return unsafe { wide($($arg),*) },
                // SAFETY: AVX2 and FMA were detected at run time (isa).
                Isa::Avx2 => return unsafe { half($($arg),*) },
                Isa::Portable => {}
            }
            body($($arg),*)
        }
    };
}

elementwise! {
    /// `x ← x − a·g` (the SGD step).
    ///
    /// ```
    /// let mut x = [1.0f32, 2.0];
    /// sam_optim::kernels::sub_scaled(&mut x, &[1.0, 1.0], 0.5);
    /// assert_eq!(x, [0.5, 1.5]);
    /// ```
    sub_scaled(x: &mut [T], g: &[T], a: T) {
        assert_eq!(x.len(), g.len());
        for (xv, &gv) in x.iter_mut().zip(g) {
            *xv -= a * gv;
        }
    }
}

elementwise! {
    /// `x ← base − a·g` (restore and step in one pass).
    ///
    /// ```
    /// let mut x = [9.0f64];
    /// sam_optim::kernels::sub_scaled_from(&mut x, &[1.0], &[2.0], 0.25);
    /// assert_eq!(x, [0.5]);
    /// ```
    sub_scaled_from(x: &mut [T], base: &[T], g: &[T], a: T) {
        assert!(x.len() == g.len() && base.len() == g.len());
        for ((xv, &bv), &gv) in x.iter_mut().zip(base).zip(g) {
            *xv = bv - a * gv;
        }
    }
}

elementwise! {
    /// `acc ← acc + a·g`.
    ///
    /// ```
    /// let mut acc = [1.0f32];
    /// sam_optim::kernels::add_scaled(&mut acc, &[2.0], 0.5);
    /// assert_eq!(acc, [2.0]);
    /// ```
    add_scaled(acc: &mut [T], g: &[T], a: T) {
        assert_eq!(acc.len(), g.len());
        for (av, &gv) in acc.iter_mut().zip(g) {
            *av += a * gv;
        }
    }
}

elementwise! {
    /// `saved ← x; x ← x + s·g` (SAM's climb along the gradient).
    ///
    /// ```
    /// let (mut x, mut saved) = ([1.0f64], [0.0]);
    /// sam_optim::kernels::climb(&mut x, &[2.0], 0.5, &mut saved);
    /// assert_eq!((x, saved), ([2.0], [1.0]));
    /// ```
    climb(x: &mut [T], g: &[T], s: T, saved: &mut [T]) {
        assert!(x.len() == g.len() && saved.len() == g.len());
        for ((xv, &gv), sv) in x.iter_mut().zip(g).zip(saved.iter_mut()) {
            *sv = *xv;
            *xv += s * gv;
        }
    }
}

elementwise! {
    /// One Adam update in PyTorch's form with precomputed constants
    /// `c = [β₁, 1−β₁, β₂, 1−β₂, lr/(1−β₁ᵗ), √(1−β₂ᵗ), ε]`:
    /// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², x ← x − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε).
    ///
    /// ```
    /// let (mut x, mut m, mut v) = ([1.0f64], [0.0], [0.0]);
    /// // lr = 0.1 at t = 1: lr/(1-0.9) = 1, sqrt(1-0.999)
    /// sam_optim::kernels::adam(&mut x, &[3.0], &mut m, &mut v, [0.9, 0.1, 0.999, 0.001, 1.0, 0.001f64.sqrt(), 0.0]);
    /// assert!((x[0] - 0.9).abs() < 1e-12); // first step: lr · sign(g)
    /// ```
    adam(x: &mut [T], g: &[T], m: &mut [T], v: &mut [T], c: [T; 7]) {
        let [b1, c1, b2, c2, step, sbc2, eps] = c;
        assert!(x.len() == g.len() && m.len() == g.len() && v.len() == g.len());
        for (((xv, &gv), mv), vv) in x.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *mv = b1 * *mv + c1 * gv;
            *vv = b2 * *vv + c2 * gv * gv;
            *xv -= step * *mv / (vv.sqrt() / sbc2 + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whichever body runs (AVX-512, AVX2 or portable), results are the plain loops' bit for bit
    /// (no FMA contraction).
    #[test]
    fn wide_and_portable_kernels_agree_bit_for_bit() {
        let n = 1000;
        let g: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3)
            .collect();
        let x0: Vec<f32> = (0..n)
            .map(|i| ((i * 53 % 97) as f32 - 40.0) * 1e-2)
            .collect();
        // reference: plain loops written here, independently of the macro
        let mut want = x0.clone();
        for (w, &gv) in want.iter_mut().zip(&g) {
            *w -= 0.3f32 * gv;
        }
        let mut got = x0.clone();
        sub_scaled(&mut got, &g, 0.3f32);
        assert_eq!(got, want);
        let (mut m, mut v) = (vec![0.1f32; n], vec![0.2f32; n]);
        let mut x = x0.clone();
        let c = [0.9f32, 0.1, 0.999, 0.001, 0.01, 0.5, 1e-8];
        adam(&mut x, &g, &mut m, &mut v, c);
        for i in 0..n {
            let mm = 0.9f32 * 0.1 + 0.1 * g[i];
            let vv = 0.999f32 * 0.2 + 0.001 * g[i] * g[i];
            let xx = x0[i] - 0.01 * mm / (vv.sqrt() / 0.5 + 1e-8);
            assert_eq!((x[i], m[i], v[i]), (xx, mm, vv));
        }
    }
}
